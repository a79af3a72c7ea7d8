/**
 * Pieces both Shiftmax units (the one-row unit in shiftmax.ts and the overlapping one in shiftmax-overlap.ts)
 * build identically: the parameter checks and the blocks they imply (shift-exp lane, reciprocal divider), the
 * exp lanes, the normalisation (E·F) >> (32 − k) with its product and output registers, and the ports. The
 * units differ only in how rows move through them, so the arithmetic has one home.
 */
import { type Expr, type ModuleBuilder, type Signal, lit } from '../hdl/module.js';
import { type ShiftExpLane, buildShiftExpLane } from '../blocks/shift-exp-lane.js';
import { buildSeqDivider } from '../blocks/seq-divider.js';
import { type StreamPort, rowFramingPorts } from '../design.js';
import { DEFAULT_PIPELINE } from '../timing.js';
import { PYTORCH_NUMERICS } from '../../verify/golden/numerics-config.js';
import type { Flavour } from '../../verify/golden/constants.js';
import { delayControl } from './row-control.js';

export interface ShiftmaxUnitParams {
  lanes: number;
  n: number;
  k: number;
  flavour: Flavour;
  inputBits: number;
  x0Bits: number;
  /** pipeline registers in each shift-exp lane */
  expStages: number;
}

/** The default numerics preset's Shiftmax (widths from verify/golden/numerics-config.ts). */
export const SHIFTMAX_DEFAULTS: ShiftmaxUnitParams = {
  lanes: 1,
  n: PYTORCH_NUMERICS.softmax.n,
  k: PYTORCH_NUMERICS.softmax.k,
  flavour: PYTORCH_NUMERICS.flavour,
  inputBits: PYTORCH_NUMERICS.activationBits,
  x0Bits: 8,
  expStages: DEFAULT_PIPELINE.expStages,
};

export const INT31_MAX = (1n << 31n) - 1n;

export interface ShiftmaxBlocks {
  expLane: ShiftExpLane;
  /** quotient bits of the reciprocal: Σ ≥ E(row max) = |x0|·2^n ≥ 2^n, so F < 2^(31−n) */
  quotBits: number;
  divider: ModuleBuilder;
  outBits: number;
}

/** Check the parameters and build the blocks; `carryConfig`: |x0| travels with each element (rows mix in the lanes). */
export function shiftmaxBlocks(p: ShiftmaxUnitParams, carryConfig: boolean): ShiftmaxBlocks {
  if (p.k < 2 || p.k > 32) throw new RangeError(`shiftmax: k = ${p.k} must be in 2..32`);
  if (p.x0Bits + p.n > 31) throw new RangeError(`shiftmax: |x0| < 2^${p.x0Bits} with n = ${p.n} gives E wider than 31 bits`);
  if (p.n >= 32 - p.k) throw new RangeError(`shiftmax: n = ${p.n} must be below 32 − k = ${32 - p.k} (the normalisation shifts right)`);
  const expLane = buildShiftExpLane({
    deltaBits: p.inputBits + 1,
    x0Bits: p.x0Bits,
    n: p.n,
    flavour: p.flavour,
    stages: p.expStages,
    tagBits: 1,
    mantissaOutputs: true,
    ...(carryConfig ? { carryConfig } : {}),
  });
  const quotBits = 31 - p.n;
  const divider = buildSeqDivider({ numBits: 31, denBits: 31, quotBits });
  return { expLane, quotBits, divider, outBits: p.k - 1 };
}

export interface ExpLaneOutputs {
  es: Expr[];
  mants: Expr[];
  mshifts: Expr[];
  keepOut: Expr[];
}

/** One shift-exp lane per lane: Δ, |x0| and n·|x0| as the caller gives them, the keep bit as the tag. */
export function expLanes(
  m: ModuleBuilder,
  o: { lane: ShiftExpLane; lanes: number; delta: (j: number) => Expr; x0Mag: Expr; clampMag: Expr; inKeep: Signal },
): ExpLaneOutputs {
  const r: ExpLaneOutputs = { es: [], mants: [], mshifts: [], keepOut: [] };
  for (let j = 0; j < o.lanes; j++) {
    const out = m.instance(o.lane.module, `exp_lane${j}`, {
      delta: o.delta(j),
      x0_mag: o.x0Mag,
      clamp_mag: o.clampMag,
      tag_in: m.bit(o.inKeep, j),
    });
    r.es.push(out.e!);
    r.mants.push(out.mant!);
    r.mshifts.push(out.mshift!);
    r.keepOut.push(out.tag_out!);
  }
  return r;
}

export interface NormOutput {
  p: Signal;
  keep: Signal;
  last: Signal;
  valid: Signal;
}

/**
 * Normalisation: (E·F) >> (32 − k) with E = mant·2^mshift: a narrow mant × F product (E·F ≤ Σ·F < 2^31, so
 * mant·F < 2^31 too), registered, then the right shift by (32 − k − mshift) ≥ 1 and the output register.
 */
export function normalise(
  m: ModuleBuilder,
  o: { p: ShiftmaxUnitParams; blocks: ShiftmaxBlocks; lanesOut: ExpLaneOutputs; factor: Expr; keepBus: Expr; arrives: Expr; last: Expr },
): NormOutput {
  const { p, blocks } = o;
  const { expLane, quotBits, outBits } = blocks;
  const prodBits = Math.min(31, expLane.mantBits + quotBits);
  const prods = o.lanesOut.mants.map((mant, j) => m.delay(`prod${j}`, m.mul(mant, o.factor, prodBits)));
  const mshiftQ = o.lanesOut.mshifts.map((s, j) => m.delay(`mshift${j}`, s));
  const prodKeep = m.delay('prod_keep', o.keepBus);
  const prodCtl = delayControl(m, 'prod_ctl', o.arrives, o.last, 1);
  const outs: Expr[] = [];
  const sw = expLane.mshiftBits + 1;
  for (let j = 0; j < p.lanes; j++) {
    const sr = m.truncate(m.sub(lit(32 - p.k, sw), mshiftQ[j]!, sw + 1), sw, false);
    const shifted = m.wire(`shifted${j}`, m.shrVar(prods[j]!, sr), { discards: `only the low ${outBits} bits: the probability is below 2^${outBits}` });
    // lanes without an element read 0, so the output bus never carries stale values
    outs.push(m.mux(m.bit(prodKeep, j), m.slice(shifted, outBits - 1, 0), lit(0, outBits)));
  }
  const outP = m.delay('out_p_q', m.concat([...outs].reverse()));
  const outKeep = m.delay('out_keep_q', prodKeep);
  const outLast = m.delay('out_last_q', prodCtl.data);
  const outValid = m.flag('out_valid_q', prodCtl.valid);
  return { p: outP, keep: outKeep, last: outLast, valid: outValid };
}

/** The output ports, the same for both units. */
export function shiftmaxOutputs(m: ModuleBuilder, inReady: Expr, readyDoc: string, out: NormOutput, p: ShiftmaxUnitParams): void {
  m.output('in_ready', inReady, readyDoc);
  m.output('out_valid', out.valid, 'a beat of probabilities');
  m.output('out_last', out.last, 'last beat of the row');
  m.output('out_keep', out.keep, 'lanes holding an element');
  m.output('out_p', out.p, `probabilities, ${p.k - 1} bits per lane, scale 2^−${p.k - 1}`);
}

/** The stream ports of the unit's descriptor; `extraInputs` go between the framing and the data. */
export function shiftmaxPorts(p: ShiftmaxUnitParams, extraInputs: StreamPort[] = []): { inputs: StreamPort[]; outputs: StreamPort[] } {
  const L = p.lanes;
  return {
    inputs: [
      ...rowFramingPorts('in', L),
      ...extraInputs,
      { name: 'in_x', laneBits: p.inputBits, lanes: L, signed: true, doc: 'logits' },
      { name: 'cfg_x0_mag', laneBits: p.x0Bits, lanes: 1, signed: false, doc: '|x0|' },
    ],
    outputs: [...rowFramingPorts('out', L), { name: 'out_p', laneBits: p.k - 1, lanes: L, signed: false, doc: 'probabilities' }],
  };
}
