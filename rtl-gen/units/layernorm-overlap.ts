/**
 * I-LayerNorm row unit whose rows overlap (numerics.md §5; the same results as layernorm.ts, bit for bit).
 * Each row is streamed twice, tagged by `in_pass`:
 *   stats pass (in_pass = 0): Σx, Σx² and the channel count;
 *   norm pass (in_pass = 1, with the integer bias B): out = ⌊(x − μ)·F / 2⌋ + B.
 * Between them the scalar engine, on one sequential divider, computes μ = RNE(Σx / C), the exact variance
 * V = Σ(x − μ)² = Σx² − μ·(2Σx − C·μ) (integer algebra, no variance pass), the std (the reference's 10 Newton
 * steps from 2^16, or ⌊√V⌋) and F = ⌊(2^31 − 1)/std⌋. Three stages work on three rows at once: the stats
 * pass of row i + 1 and the norm pass of row i − 1 stream while the engine works on row i. The feeder
 * interleaves the passes in that order: S0, S1, N0, S2, N1, …, N(last); the unit stalls whichever it cannot take.
 *
 * The engine is shorter than the one-row unit's: each divide runs only as many quotient bits as its bound
 * needs (μ: inputBits; the Newton steps after the first: ⌈varBits/2⌉ + 1, since every k ≥ ⌊√V⌋; F: 31), and
 * the first Newton step divides by 2^16, a shift.
 */
import { ModuleBuilder, bitsFor, lit, type Expr } from '../hdl/module.js';
import { buildSeqDivider } from '../blocks/seq-divider.js';
import { buildSeqIsqrt } from '../blocks/seq-isqrt.js';
import type { GeneratedUnit } from '../design.js';
import { layerNormOverlapDivideBits, layerNormOverlapTiming } from '../timing.js';
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
const NEWTON_START = 65536;

export function buildLayerNormOverlapUnit(p: LayerNormUnitParams): GeneratedUnit {
  const L = p.lanes;
  const w = layerNormWidths(p);
  const bits = layerNormOverlapDivideBits({ inputBits: p.inputBits, varBits: w.varBits });
  const sqBits = 2 * p.inputBits + w.countBits; // Σx² ≤ C·2^(2·inputBits − 2)
  const top = `ivit_layernorm_ov_l${L}_i${p.inputBits}_c${p.maxChannels}_b${p.biasBits}_o${p.outputBits}_${p.sqrt === 'floor' ? 'floor' : 'newton'}`;
  const choices = [bits.mean, bits.newton, bits.recip];
  const divider = buildSeqDivider({ numBits: w.numBits, denBits: w.denBits, quotBits: w.quotBits, choices });
  const isqrt = p.sqrt === 'floor' ? buildSeqIsqrt(w.varBits) : undefined;
  const m = new ModuleBuilder(top, [
    `I-LayerNorm row unit with overlapping rows, ${L} lane(s), int${p.inputBits} input, C ≤ ${p.maxChannels}, std by ${p.sqrt === 'floor' ? 'floor square root' : 'the exact 10-step Newton replay'}.`,
    'Each row is streamed twice (in_pass 0: stats, 1: norm with the bias), in the order S0, S1, N0, S2, N1, …; in_ready is per pass.',
  ]);
  const inValid = m.input('in_valid', 1, false, 'a beat is offered');
  const inLast = m.input('in_last', 1, false, 'last beat of the pass');
  const inKeep = m.input('in_keep', L, false, 'lane j holds a channel');
  const inPass = m.input('in_pass', 1, false, '0: stats pass, 1: norm pass');
  const inX = m.input('in_x', L * p.inputBits, false, 'x, lane 0 in the low bits');
  const inBias = m.input('in_bias', L * p.biasBits, false, 'integer bias B (read in the norm pass)');
  const xs = Array.from({ length: L }, (_, j) => lane(m, inX, j, p.inputBits, true));
  const keepBits = Array.from({ length: L }, (_, j) => m.bit(inKeep, j));

  // ---- the scalar engine's state (declared first: the stats stage hands over to it) ----
  const E = { idle: 0, meanStart: 1, meanWait: 2, cmu: 3, variance: 4, newtonFirst: 5, sqrtStart: 6, sqrtWait: 7, recipStart: 8, recipWait: 9, hand: 10 };
  const eb = 4;
  const eState = m.reg('engine_state', eb, { reset: E.idle });
  const is = (s: number): Expr => m.eq(eState, lit(s, eb));

  // ---- stats stage: Σx, count, Σx² (squares registered), then handed to the engine ----
  const statsHold = m.reg('stats_hold', 1, { reset: 0 }); // the last stats beat is in: take no more until the hand-over
  const statsDone = m.reg('stats_done', 1, { reset: 0 }); // the sums are final
  const capture = m.wire('capture', m.and(is(E.idle), statsDone));
  const statsReady = m.wire('stats_ready', m.or(m.not(statsHold), capture));
  const normLoaded = m.reg('norm_loaded', 1, { reset: 0 });
  const inReady = m.wire('in_ready_w', m.mux(inPass, normLoaded, statsReady));
  const accept = m.wire('accept', m.and(inValid, inReady));
  const statsBeat = m.wire('stats_beat', m.and(accept, m.not(inPass)));
  const normBeat = m.wire('norm_beat', m.and(accept, inPass));
  const statsFirst = m.reg('stats_first', 1, { reset: 1 });
  m.next(statsFirst, inLast, statsBeat);

  const { beatSum, beatCount } = laneBeatSums(m, xs, keepBits, w, p.inputBits);
  const beatSumQ = m.delay('beat_sum_q', beatSum);
  const beatCountQ = m.delay('beat_count_q', beatCount);
  // x² < 2^(2·inputBits − 1) + 1: the low 2·inputBits bits hold it
  const squares = xs.map((x, j) => m.delay(`square${j}`, m.truncate(m.mul(x, x, 2 * p.inputBits), 2 * p.inputBits, false)));
  const sqKeep = m.delay('square_keep', inKeep);
  const statsCtl = delayControl(m, 'stats_ctl', statsBeat, m.concat([statsFirst, inLast]), 1);
  const qFirst = m.bit(m.named(statsCtl.data, 'stats_ctl_out'), 1);
  const qLast = m.bit(m.named(statsCtl.data, 'stats_ctl_out'), 0);
  const sum = m.reg('sum_x', w.sumBits, { signed: true });
  m.next(sum, m.add(m.mux(qFirst, lit(0, w.sumBits, true), sum), beatSumQ, w.sumBits), statsCtl.valid);
  const count = m.reg('count', w.countBits);
  m.next(count, m.add(m.mux(qFirst, lit(0, w.countBits), count), beatCountQ, w.countBits), statsCtl.valid);
  const sumSq = m.reg('sum_sq', sqBits);
  m.next(sumSq, m.add(m.mux(qFirst, lit(0, sqBits), sumSq), maskedSum(m, squares, sqKeep, sqBits), sqBits), statsCtl.valid);
  const statsClosed = m.wire('stats_closed', m.and(statsCtl.valid, qLast));
  m.next(statsHold, m.mux(m.and(statsBeat, inLast), lit(1, 1), m.mux(capture, lit(0, 1), statsHold)));
  m.next(statsDone, m.mux(statsClosed, lit(1, 1), m.mux(capture, lit(0, 1), statsDone)));

  // ---- the engine: its copy of the sums, μ, V, std, F ----
  const eSum = m.reg('e_sum', w.sumBits, { signed: true });
  m.next(eSum, sum, capture);
  const eCount = m.reg('e_count', w.countBits);
  m.next(eCount, count, capture);
  const eSumSq = m.reg('e_sum_sq', sqBits);
  m.next(eSumSq, sumSq, capture);

  const divStart = m.wire('div_start', m.or(m.or(is(E.meanStart), is(E.recipStart)), p.sqrt === 'floor' ? lit(0, 1) : is(E.sqrtStart)));
  const selBits = bitsFor(choices.length - 1);
  const divSel = m.mux(is(E.meanStart), lit(0, selBits), m.mux(is(E.recipStart), lit(2, selBits), lit(1, selBits)));
  const { vReg, kReg, stdReg, num, den, sumNeg } = engineRegisters(m, {
    sum: eSum,
    count: eCount,
    w,
    p,
    meanStart: is(E.meanStart),
    recipStart: is(E.recipStart),
  });
  const div = m.instance(divider, 'div', { start: divStart, num: m.named(num, 'div_num'), den: m.named(den, 'div_den'), sel: m.named(divSel, 'div_sel') });
  const quot = div.quot!;

  const { mean, meanDone } = roundedMean(m, { div, count: eCount, sumNeg, inputBits: p.inputBits, meanWait: is(E.meanWait) });

  // V = Σx² − μ·(2Σx − C·μ): C·μ registered, then the second product and the difference
  const cmuBits = p.inputBits + 1 + w.countBits + 1;
  const cmu = m.reg('c_mu', cmuBits, { signed: true });
  m.next(cmu, m.mul(m.extend(eCount, w.countBits), mean, cmuBits), is(E.cmu));
  const twoSumMinus = m.sub(m.shlConst(eSum, 1), cmu, Math.max(w.sumBits + 1, cmuBits) + 1);
  const crossBits = p.inputBits + 1 + twoSumMinus.width;
  const cross = m.mul(mean, twoSumMinus, crossBits);
  const vWide = m.sub(eSumSq, cross, Math.max(sqBits + 1, crossBits) + 1);
  m.next(vReg, m.truncate(m.wire('v_wide', vWide, { discards: 'V = Σ(x − μ)² is below 2^varBits' }), w.varBits, false), is(E.variance));

  // std
  const stepBits = 4;
  const step = kReg ? m.reg('newton_step', stepBits) : undefined;
  let sqrtDone: Expr;
  if (!kReg || !step) {
    sqrtDone = floorStd(m, { isqrt: isqrt!, start: is(E.sqrtStart), wait: is(E.sqrtWait), vReg, stdReg, w });
  } else {
    // first step: k = ⌊(2^16 + ⌊V / 2^16⌋)/2⌋ with no divide; then nine divides k ← ⌊(k + ⌊V/k⌋)/2⌋
    const halfSum = m.shrConst(m.add(lit(NEWTON_START, 18), m.shrConst(vReg, 16), Math.max(18, w.varBits - 16) + 1), 1);
    // k1 ≤ (2^16 + V/2^16)/2 < 2^(varBits − 16) ≤ 2^denBits
    const firstK = halfSum.width > w.denBits ? m.truncate(halfSum, w.denBits, false) : m.extend(halfSum, w.denBits);
    const newtonDone = m.wire('newton_div_done', m.and(is(E.sqrtWait), div.done!));
    const kSum = m.add(kReg, quot, Math.max(w.denBits, w.quotBits) + 1);
    const kNext = m.wire('k_next', m.truncate(m.shrConst(kSum, 1), w.denBits, false));
    m.next(kReg, m.mux(is(E.newtonFirst), m.named(firstK, 'newton_k1'), kNext), m.or(is(E.newtonFirst), newtonDone));
    m.next(step, m.mux(is(E.newtonFirst), lit(0, stepBits), m.add(step, lit(1, 1), stepBits)), m.or(is(E.newtonFirst), newtonDone));
    sqrtDone = m.wire('sqrt_done', m.and(newtonDone, m.eq(step, lit(8, stepBits))));
    m.next(stdReg, kNext, sqrtDone);
  }
  const fReg = m.reg('factor', 31);
  const recipDone = m.wire('recip_done', m.and(is(E.recipWait), div.done!));
  m.next(fReg, m.truncate(quot, 31, false), recipDone);

  // ---- norm stage: the row's μ and F, loaded when the previous row's norm pass is in ----
  const handOver = m.wire('hand_over', m.and(is(E.hand), m.not(normLoaded)));
  const normMean = m.reg('norm_mean', p.inputBits + 1, { signed: true });
  m.next(normMean, mean, handOver);
  const normF = m.reg('norm_factor', 31);
  m.next(normF, fReg, handOver);
  m.next(normLoaded, m.mux(handOver, lit(1, 1), m.mux(m.and(normBeat, inLast), lit(0, 1), normLoaded)));

  const yw = p.inputBits + 1;
  const out = normPass(m, { y: (j) => m.sub(xs[j]!, normMean, yw + 1), factor: normF, inBias, inKeep, beat: normBeat, inLast, p });

  // ---- engine transitions ----
  const next = (cond: Expr, to: number, otherwise: Expr): Expr => m.mux(cond, lit(to, eb), otherwise);
  let ns: Expr = eState;
  ns = next(handOver, E.idle, ns);
  ns = next(recipDone, E.hand, ns);
  ns = next(is(E.recipStart), E.recipWait, ns);
  ns = next(sqrtDone, E.recipStart, ns);
  if (step) ns = next(m.and(m.and(is(E.sqrtWait), div.done!), m.ne(step, lit(8, stepBits))), E.sqrtStart, ns);
  ns = next(is(E.sqrtStart), E.sqrtWait, ns);
  ns = next(is(E.newtonFirst), E.sqrtStart, ns);
  ns = next(is(E.variance), kReg ? E.newtonFirst : E.sqrtStart, ns);
  ns = next(is(E.cmu), E.variance, ns);
  ns = next(meanDone, E.cmu, ns);
  ns = next(is(E.meanStart), E.meanWait, ns);
  ns = next(capture, E.meanStart, ns);
  m.next(eState, ns);

  layerNormOutputs(m, inReady, 'the unit takes a beat of the offered pass this cycle', out, p.outputBits);

  const timing = (rowLength: number) => layerNormOverlapTiming({ rowLength, lanes: L, inputBits: p.inputBits, sqrt: p.sqrt, varBits: w.varBits });
  const t1 = timing(1);
  return {
    unit: 'layernorm',
    top,
    modules: isqrt ? [divider, isqrt, m] : [divider, m],
    params: { ...p, form: 'overlap' },
    ...layerNormPorts(p, [{ name: 'in_pass', laneBits: 1, lanes: 1, signed: false, doc: '0: stats pass, 1: norm pass' }]),
    handshake: 'ready',
    passes: 2,
    timing,
    timingDoc:
      `2 passes of ⌈C/${L}⌉ beats (stats, norm); between them the scalar engine takes ${t1.latency - 2 * 1 - 4} cycles on one sequential divider ` +
      `(μ: ${bits.mean} quotient bits, ${p.sqrt === 'floor' ? 'the digit-recurrence square root' : `the first Newton step by shift and nine of ${bits.newton} bits`}, F: ${bits.recip} bits, ` +
      `two product steps for V). The engine works on row i while the stats pass of row i + 1 and the norm pass of row i − 1 stream, ` +
      'so the initiation interval is the longer of the engine loop and the two passes.',
  };
}
