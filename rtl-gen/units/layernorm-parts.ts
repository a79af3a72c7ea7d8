/**
 * Datapath pieces both I-LayerNorm units (the one-row unit in layernorm.ts and the overlapping one in
 * layernorm-overlap.ts) build identically: the per-beat lane sums, the shared divider's operands, μ = RNE(Σx / C),
 * the floor square root, the norm pass ⌊(x − μ)·F / 2⌋ + B and the output ports. The units differ only in how
 * rows move through them, so the arithmetic (and the parameters and widths it is built from) has one home.
 */
import { type Expr, type ModuleBuilder, type ModuleInterface, type Signal, bitsFor, lit } from '../hdl/module.js';
import type { SqrtRule } from '../../verify/golden/numerics-config.js';
import type { StreamPort } from '../design.js';
import { rowFramingPorts } from '../design.js';
import { delayControl, lane } from './row-control.js';

export interface LayerNormUnitParams {
  lanes: number;
  inputBits: number;
  /** the most channels a row may have (sets the sum, count and variance widths) */
  maxChannels: number;
  biasBits: number;
  outputBits: number;
  sqrt: SqrtRule;
}

export const LAYERNORM_DEFAULTS: LayerNormUnitParams = { lanes: 1, inputBits: 16, maxChannels: 1024, biasBits: 32, outputBits: 33, sqrt: 'newton10' };

/** Widths derived from the parameters (numerics.md §10's I-LN list, for C ≤ maxChannels). */
export function layerNormWidths(p: LayerNormUnitParams): {
  countBits: number;
  sumBits: number;
  varBits: number;
  quotBits: number;
  denBits: number;
  numBits: number;
} {
  const countBits = bitsFor(p.maxChannels);
  const sumBits = p.inputBits + countBits; // signed
  const varBits = 2 * p.inputBits + countBits; // (x − μ)² < 2^(2·inputBits)
  const quotBits = Math.max(31, varBits - 16); // first Newton step V / 2^16; the reciprocal needs 31
  // divisors: C, the Newton k (≤ 2^16 or the first step's V/2^17 + 2^15) and std
  const denBits = Math.max(17, varBits - 16, countBits, Math.ceil(varBits / 2) + 1);
  const numBits = Math.max(varBits, 31, sumBits);
  return { countBits, sumBits, varBits, quotBits, denBits, numBits };
}

type Widths = ReturnType<typeof layerNormWidths>;

const INT31_MAX = (1n << 31n) - 1n;

/** Σx and the count of kept lanes of one beat. */
export function laneBeatSums(m: ModuleBuilder, xs: Expr[], keepBits: Expr[], w: Widths, inputBits: number): { beatSum: Expr; beatCount: Expr } {
  let beatSum: Expr = lit(0, w.sumBits, true);
  let beatCount: Expr = lit(0, w.countBits);
  xs.forEach((x, j) => {
    beatSum = m.add(beatSum, m.mux(keepBits[j]!, x, lit(0, inputBits, true)), w.sumBits);
    beatCount = m.add(beatCount, keepBits[j]!, w.countBits);
  });
  return { beatSum, beatCount };
}

export interface EngineRegisters {
  sumNeg: Expr;
  vReg: Signal;
  /** the Newton iterate (absent for the floor root) */
  kReg: Signal | undefined;
  stdReg: Signal;
  /** the divider's numerator: |Σx| for μ, 2^31 − 1 for F, V for a Newton step */
  num: Expr;
  /** the divider's denominator: C for μ, std for F, k for a Newton step */
  den: Expr;
}

/** The scalar engine's registers and the shared divider's operand multiplexers. */
export function engineRegisters(
  m: ModuleBuilder,
  o: { sum: Signal; count: Signal; w: Widths; p: LayerNormUnitParams; meanStart: Expr; recipStart: Expr },
): EngineRegisters {
  const { w } = o;
  const sumNeg = m.msb(o.sum);
  const sumMag = m.wire('sum_mag', m.mux(sumNeg, m.sub(lit(0, 1), o.sum, w.sumBits), o.sum), { discards: 'top bit: |Σx| < 2^(sumBits − 1)' });
  const vReg = m.reg('variance', w.varBits);
  const kReg = o.p.sqrt === 'floor' ? undefined : m.reg('newton_k', w.denBits);
  const stdReg = m.reg('std', w.denBits);
  const num = m.mux(
    o.meanStart,
    m.extend(m.asUnsigned(m.truncate(sumMag, w.sumBits - 1, false)), w.numBits),
    m.mux(o.recipStart, lit(INT31_MAX, w.numBits), m.extend(vReg, w.numBits)),
  );
  const den = m.mux(o.meanStart, m.extend(o.count, w.denBits), kReg ? m.mux(o.recipStart, stdReg, kReg) : stdReg);
  return { sumNeg, vReg, kReg, stdReg, num, den };
}

/** μ = RNE(Σ/C) from the divider: round the magnitude half to even, then restore the sign (RNE is odd-symmetric). */
export function roundedMean(
  m: ModuleBuilder,
  o: { div: Record<string, Signal>; count: Signal; sumNeg: Expr; inputBits: number; meanWait: Expr },
): { mean: Signal; meanDone: Signal } {
  const quot = o.div.quot!;
  const remTwice = m.concat([o.div.rem!, lit(0, 1)]);
  const countW = m.extend(o.count, remTwice.width);
  const roundUp = m.or(m.gt(remTwice, countW), m.and(m.eq(remTwice, countW), m.bit(quot, 0)));
  const meanMag = m.add(m.truncate(quot, o.inputBits, false), roundUp, o.inputBits + 1); // |μ| ≤ 2^(inputBits − 1)
  const meanSigned = m.mux(o.sumNeg, m.sub(lit(0, 1), meanMag, o.inputBits + 1), m.asSigned(meanMag));
  const mean = m.reg('mean', o.inputBits + 1, { signed: true });
  const meanDone = m.wire('mean_done', m.and(o.meanWait, o.div.done!));
  m.next(mean, m.truncate(meanSigned, o.inputBits + 1, true), meanDone);
  return { mean, meanDone };
}

/** std = max(1, ⌊√V⌋) on the digit-recurrence root; returns its done strobe. */
export function floorStd(m: ModuleBuilder, o: { isqrt: ModuleInterface; start: Expr; wait: Expr; vReg: Signal; stdReg: Signal; w: Widths }): Signal {
  const sq = m.instance(o.isqrt, 'isqrt', { start: o.start, value: o.vReg });
  const sqrtDone = m.wire('sqrt_done', m.and(o.wait, sq.done!));
  const root = m.extend(sq.root!, o.w.denBits);
  m.next(o.stdReg, m.mux(m.eq(root, lit(0, o.w.denBits)), lit(1, o.w.denBits), root), sqrtDone);
  return sqrtDone;
}

export interface NormOutput {
  valid: Signal;
  last: Signal;
  keep: Signal;
  y: Signal;
}

/** The norm pass: out = ⌊y·F / 2⌋ + B, a product register, then the output register. */
export function normPass(
  m: ModuleBuilder,
  o: { y: (lane: number) => Expr; factor: Signal; inBias: Signal; inKeep: Signal; beat: Expr; inLast: Signal; p: LayerNormUnitParams },
): NormOutput {
  const { p } = o;
  // |y·F| ≤ 2^31 (|y| ≤ √V ≤ std), so z = ⌊y·F/2⌋ fits 32 signed bits: register only those
  // y is built per lane where it is used, so the generated temporaries keep their order
  const zs = Array.from({ length: p.lanes }, (_, j) => m.delay(`z${j}`, m.truncate(m.shrConst(m.mul(o.y(j), o.factor), 1), 32, true)));
  const biasQ = Array.from({ length: p.lanes }, (_, j) => m.delay(`bias${j}`, lane(m, o.inBias, j, p.biasBits, true)));
  const prodKeep = m.delay('prod_keep', o.inKeep);
  const prodCtl = delayControl(m, 'prod_ctl', o.beat, o.inLast, 1);
  const outs = zs.map((z, j) => m.mux(m.bit(prodKeep, j), m.asUnsigned(m.add(m.asSigned(z), biasQ[j]!, p.outputBits)), lit(0, p.outputBits)));
  const y = m.delay('out_y_q', m.concat([...outs].reverse()));
  const keep = m.delay('out_keep_q', prodKeep);
  const last = m.delay('out_last_q', prodCtl.data);
  const valid = m.flag('out_valid_q', prodCtl.valid);
  return { valid, last, keep, y };
}

/** The output ports, the same for both units. */
export function layerNormOutputs(m: ModuleBuilder, inReady: Expr, readyDoc: string, out: NormOutput, outputBits: number): void {
  m.output('in_ready', inReady, readyDoc);
  m.output('out_valid', out.valid, 'a beat of results');
  m.output('out_last', out.last, 'last beat of the row');
  m.output('out_keep', out.keep, 'lanes holding a channel');
  m.output('out_y', out.y, `⌊(x − μ)·F/2⌋ + B, int${outputBits} per lane`);
}

/** The stream ports of the unit's descriptor; `extraInputs` go between the framing and the data. */
export function layerNormPorts(p: LayerNormUnitParams, extraInputs: StreamPort[] = []): { inputs: StreamPort[]; outputs: StreamPort[] } {
  const L = p.lanes;
  return {
    inputs: [
      ...rowFramingPorts('in', L, 'a channel'),
      ...extraInputs,
      { name: 'in_x', laneBits: p.inputBits, lanes: L, signed: true, doc: 'x' },
      { name: 'in_bias', laneBits: p.biasBits, lanes: L, signed: true, doc: 'B' },
    ],
    outputs: [...rowFramingPorts('out', L, 'a channel'), { name: 'out_y', laneBits: p.outputBits, lanes: L, signed: true, doc: 'normalised + bias' }],
  };
}
