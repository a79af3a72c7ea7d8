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
import { ModuleBuilder, lit, type Expr } from '../hdl/module.js';
import { buildSeqDivider, seqDividerLatency } from '../blocks/seq-divider.js';
import { buildSeqIsqrt, seqIsqrtLatency } from '../blocks/seq-isqrt.js';
import type { GeneratedUnit } from '../design.js';
import { layerNormTiming } from '../timing.js';
import { delayControl, lane, maskedSum } from './row-control.js';
import {
  type LayerNormUnitParams,
  engineRegisters,
  floorStd,
  laneBeatSums,
  layerNormOutputs,
  layerNormPorts,
  layerNormWidths,
  normPass,
  roundedMean,
} from './layernorm-parts.js';

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
  const { beatSum, beatCount } = laneBeatSums(m, xs, keepBits, w, p.inputBits);
  const sum = m.reg('sum_x', w.sumBits, { signed: true });
  m.next(sum, m.add(m.mux(restart, lit(0, w.sumBits, true), sum), beatSum, w.sumBits), sumPass);
  const count = m.reg('count', w.countBits);
  m.next(count, m.add(m.mux(restart, lit(0, w.countBits), count), beatCount, w.countBits), sumPass);

  // the shared divider
  const divStart = m.wire('div_start', m.or(m.or(is(S.meanStart), is(S.recipStart)), p.sqrt === 'floor' ? lit(0, 1) : is(S.sqrtStart)));
  const { vReg, kReg, stdReg, num, den, sumNeg } = engineRegisters(m, { sum, count, w, p, meanStart: is(S.meanStart), recipStart: is(S.recipStart) });
  const div = m.instance(divider, 'div', { start: divStart, num: m.named(num, 'div_num'), den: m.named(den, 'div_den') });
  const quot = div.quot!;
  const { mean, meanDone } = roundedMean(m, { div, count, sumNeg, inputBits: p.inputBits, meanWait: is(S.meanWait) });

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
    sqrtDone = floorStd(m, { isqrt: isqrt!, start: is(S.sqrtStart), wait: is(S.sqrtWait), vReg, stdReg, w });
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
  const normBeat = m.wire('norm_beat', m.and(accept, is(S.norm)));
  const out = normPass(m, { y: (j) => ys[j]!, factor: fReg, inBias, inKeep, beat: normBeat, inLast, p });

  const next = (cond: Expr, to: number, otherwise: Expr): Expr => m.mux(cond, lit(to, sb), otherwise);
  let ns: Expr = state;
  ns = next(m.and(is(S.flush), m.and(out.valid, out.last)), S.sum, ns);
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

  layerNormOutputs(m, inReady, 'the unit takes a beat this cycle', out, p.outputBits);

  const sqrtCycles = p.sqrt === 'floor' ? seqIsqrtLatency(w.varBits) + 1 : 10 * (seqDividerLatency(w.quotBits) + 1);
  return {
    unit: 'layernorm',
    top,
    modules: isqrt ? [divider, isqrt, m] : [divider, m],
    params: { ...p },
    ...layerNormPorts(p),
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
