/**
 * I-LayerNorm row unit (numerics.md §5). The token's C channels are streamed three times:
 *   pass 1 (sum): Σx and the channel count;
 *   mean μ = RNE(Σx / C) on the sequential divider (sign-magnitude, half to even from the remainder);
 *   pass 2 (variance): V = Σ (x − μ)²;
 *   std: the reference's exact 10 Newton steps k ← ⌊(k + ⌊V/k⌋)/2⌋ from 2^16, each divide replayed on the
 *        same sequential divider (variant 'newton10'), or a true ⌊√V⌋ by digit recurrence (variant 'floor');
 *   F = ⌊(2^31 − 1)/std⌋ on the divider;
 *   pass 3 (norm, with the integer bias B): out = ⌊(x − μ)·F / 2⌋ + B.
 * One divider serves all 12 divisions: a second one would be idle all the time.
 */
import { ModuleBuilder, bitsFor, lit, type Expr } from '../hdl/module.js';
import { buildSeqDivider, seqDividerLatency } from '../blocks/seq-divider.js';
import { buildSeqIsqrt, seqIsqrtLatency } from '../blocks/seq-isqrt.js';
import { type GeneratedUnit, rowFramingPorts } from '../design.js';
import { layerNormTiming } from '../timing.js';
import { delayControl, lane, maskedSum } from './row-control.js';
import type { SqrtRule } from '../../verify/golden/numerics-config.js';

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

const INT31_MAX = (1n << 31n) - 1n;

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

export function buildLayerNormUnit(p: LayerNormUnitParams): GeneratedUnit {
  const L = p.lanes;
  const w = layerNormWidths(p);
  const top = `ivit_layernorm_l${L}_i${p.inputBits}_c${p.maxChannels}_b${p.biasBits}_o${p.outputBits}_${p.sqrt === 'floor' ? 'floor' : 'newton'}`;
  const divider = buildSeqDivider({ numBits: w.numBits, denBits: w.denBits, quotBits: w.quotBits });
  const isqrt = p.sqrt === 'floor' ? buildSeqIsqrt(w.varBits) : undefined;
  const m = new ModuleBuilder(top, [
    `I-LayerNorm row unit, ${L} lane(s), int${p.inputBits} input, C ≤ ${p.maxChannels}, std by ${p.sqrt === 'floor' ? 'floor square root' : 'the exact 10-step Newton replay'}.`,
    'Stream the row three times (sum, variance, norm passes; the bias is read in the norm pass); in_ready drops between passes.',
  ]);
  const inValid = m.input('in_valid', 1, false, 'a beat is offered');
  const inLast = m.input('in_last', 1, false, 'last beat of the row (every pass)');
  const inKeep = m.input('in_keep', L, false, 'lane j holds a channel');
  const inX = m.input('in_x', L * p.inputBits, false, 'x, lane 0 in the low bits');
  const inBias = m.input('in_bias', L * p.biasBits, false, 'integer bias B (read in the norm pass)');

  const S = { sum: 0, meanStart: 1, meanWait: 2, variance: 3, drain: 4, sqrtStart: 5, sqrtWait: 6, recipStart: 7, recipWait: 8, norm: 9, flush: 10 };
  const sb = 4;
  const state = m.reg('state', sb, { reset: S.sum });
  const is = (s: number): Expr => m.eq(state, lit(s, sb));
  const inReady = m.wire('in_ready_w', m.or(m.or(is(S.sum), is(S.variance)), is(S.norm)));
  const accept = m.wire('accept', m.and(inValid, inReady));
  const lastBeat = m.wire('last_beat', m.and(accept, inLast));
  const firstBeat = m.reg('first_beat', 1, { reset: 1 });
  m.next(firstBeat, m.mux(accept, m.and(is(S.norm), inLast), firstBeat));
  const xs = Array.from({ length: L }, (_, j) => lane(m, inX, j, p.inputBits, true));
  const keepBits = Array.from({ length: L }, (_, j) => m.bit(inKeep, j));

  // pass 1: Σx and C
  const sumPass = m.wire('sum_beat', m.and(accept, is(S.sum)));
  const restart = m.wire('restart', m.and(sumPass, firstBeat));
  let beatSum: Expr = lit(0, w.sumBits, true);
  let beatCount: Expr = lit(0, w.countBits);
  xs.forEach((x, j) => {
    beatSum = m.add(beatSum, m.mux(keepBits[j]!, x, lit(0, p.inputBits, true)), w.sumBits);
    beatCount = m.add(beatCount, keepBits[j]!, w.countBits);
  });
  const sum = m.reg('sum_x', w.sumBits, { signed: true });
  m.next(sum, m.add(m.mux(restart, lit(0, w.sumBits, true), sum), beatSum, w.sumBits), sumPass);
  const count = m.reg('count', w.countBits);
  m.next(count, m.add(m.mux(restart, lit(0, w.countBits), count), beatCount, w.countBits), sumPass);

  // the shared divider
  const divStart = m.wire('div_start', m.or(m.or(is(S.meanStart), is(S.recipStart)), p.sqrt === 'floor' ? lit(0, 1) : is(S.sqrtStart)));
  const sumNeg = m.msb(sum);
  const sumMag = m.wire('sum_mag', m.mux(sumNeg, m.sub(lit(0, 1), sum, w.sumBits), sum), { discards: 'top bit: |Σx| < 2^(sumBits − 1)' });
  const vReg = m.reg('variance', w.varBits);
  const kReg = p.sqrt === 'floor' ? undefined : m.reg('newton_k', w.denBits);
  const stdReg = m.reg('std', w.denBits);
  const num = m.mux(
    is(S.meanStart),
    m.extend(m.asUnsigned(m.truncate(sumMag, w.sumBits - 1, false)), w.numBits),
    m.mux(is(S.recipStart), lit(INT31_MAX, w.numBits), m.extend(vReg, w.numBits)),
  );
  const den = m.mux(is(S.meanStart), m.extend(count, w.denBits), kReg ? m.mux(is(S.recipStart), stdReg, kReg) : stdReg);
  const div = m.instance(divider, 'div', { start: divStart, num: m.named(num, 'div_num'), den: m.named(den, 'div_den') });
  const quot = div.quot!;

  // μ = RNE(Σ/C): round the magnitude half to even, then restore the sign (RNE is odd-symmetric)
  const remTwice = m.concat([div.rem!, lit(0, 1)]);
  const countW = m.extend(count, remTwice.width);
  const roundUp = m.or(m.gt(remTwice, countW), m.and(m.eq(remTwice, countW), m.bit(quot, 0)));
  const meanMagBits = p.inputBits; // |μ| ≤ 2^(inputBits − 1)
  const meanMag = m.add(m.truncate(quot, meanMagBits, false), roundUp, meanMagBits + 1);
  const meanSigned = m.mux(sumNeg, m.sub(lit(0, 1), meanMag, p.inputBits + 1), m.asSigned(meanMag));
  const mean = m.reg('mean', p.inputBits + 1, { signed: true });
  const meanDone = m.wire('mean_done', m.and(is(S.meanWait), div.done!));
  m.next(mean, m.truncate(meanSigned, p.inputBits + 1, true), meanDone);

  // pass 2: V = Σ (x − μ)², one register for the squares
  const varPass = m.wire('var_beat', m.and(accept, is(S.variance)));
  const yw = p.inputBits + 1;
  const ys = xs.map((x) => m.sub(x, mean, yw + 1));
  const squares = ys.map((y, j) => m.delay(`square${j}`, m.truncate(m.mul(y, y, 2 * yw), 2 * p.inputBits, false)));
  const sqKeep = m.delay('square_keep', inKeep);
  const sqCtl = delayControl(m, 'square_ctl', varPass, inLast, 1);
  const sqSum = maskedSum(m, squares, sqKeep, w.varBits);
  m.next(vReg, m.mux(m.and(sumPass, firstBeat), lit(0, w.varBits), m.add(vReg, sqSum, w.varBits)), m.or(restart, sqCtl.valid));
  const varDone = m.wire('var_done', m.and(sqCtl.valid, sqCtl.data));

  // std
  const stepBits = 4;
  const step = kReg ? m.reg('newton_step', stepBits) : undefined;
  let sqrtDone: Expr;
  if (!kReg || !step) {
    const sq = m.instance(isqrt!, 'isqrt', { start: is(S.sqrtStart), value: vReg });
    sqrtDone = m.wire('sqrt_done', m.and(is(S.sqrtWait), sq.done!));
    const root = m.extend(sq.root!, w.denBits);
    m.next(stdReg, m.mux(m.eq(root, lit(0, w.denBits)), lit(1, w.denBits), root), sqrtDone); // std = max(1, ⌊√V⌋)
  } else {
    const newtonDone = m.wire('newton_div_done', m.and(is(S.sqrtWait), div.done!));
    // k ← ⌊(k + ⌊V/k⌋)/2⌋
    const kSum = m.add(kReg, quot, Math.max(w.denBits, w.quotBits) + 1);
    const kNext = m.wire('k_next', m.truncate(m.shrConst(kSum, 1), w.denBits, false));
    m.next(kReg, m.mux(restart, lit(65536, w.denBits), kNext), m.or(restart, newtonDone));
    m.next(step, m.mux(restart, lit(0, stepBits), m.add(step, lit(1, 1), stepBits)), m.or(restart, newtonDone));
    sqrtDone = m.wire('sqrt_done', m.and(newtonDone, m.eq(step, lit(9, stepBits))));
    m.next(stdReg, kNext, sqrtDone);
  }
  const fReg = m.reg('factor', 31);
  const recipDone = m.wire('recip_done', m.and(is(S.recipWait), div.done!));
  m.next(fReg, m.truncate(quot, 31, false), recipDone);

  // pass 3: out = ⌊y·F / 2⌋ + B; a product register, then the output register
  const normPass = m.wire('norm_beat', m.and(accept, is(S.norm)));
  const outs: Expr[] = [];
  // |y·F| ≤ 2^31 (|y| ≤ √V ≤ std), so z = ⌊y·F/2⌋ fits 32 signed bits: register only those
  const zs = ys.map((y, j) => m.delay(`z${j}`, m.truncate(m.shrConst(m.mul(y, fReg), 1), 32, true)));
  const biasQ = Array.from({ length: L }, (_, j) => m.delay(`bias${j}`, lane(m, inBias, j, p.biasBits, true)));
  const prodKeep = m.delay('prod_keep', inKeep);
  const prodCtl = delayControl(m, 'prod_ctl', normPass, inLast, 1);
  zs.forEach((z, j) => {
    const o = m.add(m.asSigned(z), biasQ[j]!, p.outputBits);
    outs.push(m.mux(m.bit(prodKeep, j), m.asUnsigned(o), lit(0, p.outputBits)));
  });
  const outP = m.delay('out_y_q', m.concat([...outs].reverse()));
  const outKeep = m.delay('out_keep_q', prodKeep);
  const outLast = m.delay('out_last_q', prodCtl.data);
  const outValid = m.flag('out_valid_q', prodCtl.valid);

  const next = (cond: Expr, to: number, otherwise: Expr): Expr => m.mux(cond, lit(to, sb), otherwise);
  let ns: Expr = state;
  ns = next(m.and(is(S.flush), m.and(outValid, outLast)), S.sum, ns);
  ns = next(m.and(is(S.norm), lastBeat), S.flush, ns);
  ns = next(recipDone, S.norm, ns);
  ns = next(is(S.recipStart), S.recipWait, ns);
  ns = next(sqrtDone, S.recipStart, ns);
  if (step) ns = next(m.and(m.and(is(S.sqrtWait), div.done!), m.ne(step, lit(9, stepBits))), S.sqrtStart, ns);
  ns = next(is(S.sqrtStart), S.sqrtWait, ns);
  ns = next(m.and(is(S.drain), varDone), S.sqrtStart, ns);
  ns = next(m.and(is(S.variance), lastBeat), S.drain, ns);
  ns = next(meanDone, S.variance, ns);
  ns = next(is(S.meanStart), S.meanWait, ns);
  ns = next(m.and(is(S.sum), lastBeat), S.meanStart, ns);
  m.next(state, ns);

  m.output('in_ready', inReady, 'the unit takes a beat this cycle');
  m.output('out_valid', outValid, 'a beat of results');
  m.output('out_last', outLast, 'last beat of the row');
  m.output('out_keep', outKeep, 'lanes holding a channel');
  m.output('out_y', outP, `⌊(x − μ)·F/2⌋ + B, int${p.outputBits} per lane`);

  const sqrtCycles = p.sqrt === 'floor' ? seqIsqrtLatency(w.varBits) + 1 : 10 * (seqDividerLatency(w.quotBits) + 1);
  return {
    unit: 'layernorm',
    top,
    modules: isqrt ? [divider, isqrt, m] : [divider, m],
    params: { ...p },
    inputs: [
      ...rowFramingPorts('in', L, 'a channel'),
      { name: 'in_x', laneBits: p.inputBits, lanes: L, signed: true, doc: 'x' },
      { name: 'in_bias', laneBits: p.biasBits, lanes: L, signed: true, doc: 'B' },
    ],
    outputs: [...rowFramingPorts('out', L, 'a channel'), { name: 'out_y', laneBits: p.outputBits, lanes: L, signed: true, doc: 'normalised + bias' }],
    handshake: 'ready',
    passes: 3,
    timing: (rowLength) => layerNormTiming({ rowLength, lanes: L, quotBits: w.quotBits, sqrt: p.sqrt, varBits: w.varBits }),
    timingDoc:
      `3 passes of ⌈C/${L}⌉ beats; the mean divide and the reciprocal take ${seqDividerLatency(w.quotBits) + 1} cycles each ` +
      `(start + ${w.quotBits} quotient bits + done); the std takes ${sqrtCycles} cycles ` +
      (p.sqrt === 'floor' ? '(digit-recurrence square root)' : '(10 Newton divides on the same divider)') +
      '; one square register in the variance pass, product and output registers in the norm pass.',
  };
}
