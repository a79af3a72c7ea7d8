/**
 * Shiftmax row unit whose rows overlap (numerics.md §3; the same results as shiftmax.ts, bit for bit).
 * Each row is streamed three times, tagged by `in_pass`, like the one-row unit's passes:
 *   max pass (in_pass = 0): running row max (|x0| sampled at its first beat);
 *   exp pass (in_pass = 1): E_j on the shift-exp lanes, saturating Σ, then F = ⌊(2^31 − 1)/Σ⌋ on the divider;
 *   norm pass (in_pass = 2): E_j again on the same lanes, out_j = (E_j·F) >> (32 − k).
 * Three rows are in flight: while row i's reciprocal is computed and its norm pass streams, the max and exp
 * passes of rows i + 1 and i + 2 stream through the same lanes. Each beat carries its row's Δ and |x0| down
 * the lanes (the lanes carry |x0| with the element), and F rides beside the beats to the product, so passes of
 * different rows may follow each other beat for beat. A row's max, |x0| and n·|x0| live in three register sets
 * (the max/exp stage, the row waiting for its reciprocal, the norm stage). The feeder interleaves the passes
 * one row apart, E(i − 1), M(i), N(i − 2) in slot i: M0, E0, M1, E1, M2, N0, E2, M3, N1, …; the unit stalls
 * whichever pass it cannot take yet. No row buffer: the norm pass re-reads the row, as the one-row unit does.
 */
import { ModuleBuilder, bitsFor, lit, type Expr, type Signal } from '../hdl/module.js';
import { seqDividerLatency } from '../blocks/seq-divider.js';
import type { GeneratedUnit } from '../design.js';
import { shiftmaxOverlapTiming } from '../timing.js';
import { constMultiply, delayControl, lane, maskedBeatMax, maskedSum } from './row-control.js';
import { type ShiftmaxUnitParams, INT31_MAX, expLanes, normalise, shiftmaxBlocks, shiftmaxOutputs, shiftmaxPorts } from './shiftmax-parts.js';

/** in_pass codes, in the order a row's passes go. */
export const SHIFTMAX_PASS = { max: 0, exp: 1, norm: 2 } as const;

export function buildShiftmaxOverlapUnit(p: ShiftmaxUnitParams): GeneratedUnit {
  const L = p.lanes;
  const top = `ivit_shiftmax_ov_l${L}_n${p.n}_k${p.k}_i${p.inputBits}_x${p.x0Bits}_${p.flavour === 'tvm' ? 'tvm' : 'pt'}_e${p.expStages}`;
  const blocks = shiftmaxBlocks(p, true);
  const { expLane, quotBits, divider } = blocks;
  const le = expLane.latency;
  const qBits = bitsFor(p.n);
  const clampBits = p.x0Bits + qBits;

  const m = new ModuleBuilder(top, [
    `Shiftmax row unit with overlapping rows, ${L} lane(s), n = ${p.n}, k = ${p.k}, ${p.flavour} flavour, int${p.inputBits} logits, 1 ≤ |x0| < 2^${p.x0Bits}.`,
    'Each row is streamed three times (in_pass 0: max, 1: exp, 2: norm), in the order M0, E0, M1, E1, M2, N0, E2, M3, N1, …; in_ready is per pass.',
    `Latency and initiation interval: see the descriptor (timing.ts shiftmaxOverlapTiming).`,
  ]);
  const inValid = m.input('in_valid', 1, false, 'a beat is offered');
  const inLast = m.input('in_last', 1, false, 'last beat of the pass');
  const inKeep = m.input('in_keep', L, false, 'lane j holds an element (at least one lane per beat)');
  const inPass = m.input('in_pass', 2, false, '0: max pass, 1: exp pass, 2: norm pass');
  const inX = m.input('in_x', L * p.inputBits, false, 'logits, lane 0 in the low bits');
  const cfgX0 = m.input('cfg_x0_mag', p.x0Bits, false, '|x0| ≥ 1, sampled at the first beat of the max pass');
  const isPass = (code: number): Expr => m.eq(inPass, lit(code, 2));
  const maxPass = m.wire('max_pass', isPass(SHIFTMAX_PASS.max));
  const expPass = m.wire('exp_pass', isPass(SHIFTMAX_PASS.exp));
  const normPass = m.wire('norm_pass', isPass(SHIFTMAX_PASS.norm));

  // ---- stage flags (declared first: readiness reads them) ----
  const maxHold = m.reg('max_hold', 1, { reset: 0 }); // the row's max pass is in: no next max pass before its exp pass
  const pendFull = m.reg('pend_full', 1, { reset: 0 }); // a row waits for its reciprocal
  const fReady = m.reg('f_ready', 1, { reset: 0 }); // the waiting row's F is in the divider
  const normLoaded = m.reg('norm_loaded', 1, { reset: 0 }); // the norm stage holds a row whose norm pass is due
  const maxBeatQ = m.reg('max_beat_q', 1, { reset: 0 });

  // the divider (its done strobe hands the waiting row over in the same cycle)
  const sum = m.reg('sum', 31);
  const divStart = m.reg('div_start', 1, { reset: 0 });
  const div = m.instance(divider, 'recip', { start: divStart, num: lit(INT31_MAX, 31), den: sum }, { rem: 'the remainder of the reciprocal is not needed' });
  const handOver = m.wire('hand_over', m.and(m.and(pendFull, m.or(fReady, div.done!)), m.not(normLoaded)));
  const pendFree = m.wire('pend_free', m.or(m.not(pendFull), handOver));

  const expReady = m.and(m.and(maxHold, m.not(maxBeatQ)), pendFree);
  const inReady = m.wire('in_ready_w', m.mux(maxPass, m.not(maxHold), m.mux(expPass, expReady, m.and(normPass, normLoaded))));
  const accept = m.wire('accept', m.and(inValid, inReady));
  const maxBeat = m.wire('max_beat', m.and(accept, maxPass));
  const expBeat = m.wire('exp_beat', m.and(accept, expPass));
  const normBeat = m.wire('norm_beat', m.and(accept, normPass));
  const maxFirst = m.reg('max_first', 1, { reset: 1 });
  m.next(maxFirst, inLast, maxBeat);
  const expFirst = m.reg('exp_first', 1, { reset: 1 });
  m.next(expFirst, inLast, expBeat);

  // ---- max/exp stage: |x0| captured at the row's first max beat, the row max ----
  const takeCfg = m.wire('take_cfg', m.and(maxBeat, maxFirst));
  const x0Mag = m.delay('x0_mag', cfgX0, takeCfg);
  const clampMag = m.delay('clamp_mag', constMultiply(m, cfgX0, p.n, clampBits), takeCfg);
  const xs = Array.from({ length: L }, (_, j) => lane(m, inX, j, p.inputBits, true));
  const beatMax = maskedBeatMax(m, xs, inKeep, p.inputBits);
  const rowMax = m.reg('row_max', p.inputBits, { signed: true });
  // the beat max is registered before it meets the row max; the exp pass waits one cycle for the last to land
  const beatMaxQ = m.delay('beat_max_q', beatMax);
  m.next(maxBeatQ, maxBeat);
  const firstQ = m.delay('first_beat_q', maxFirst);
  m.next(rowMax, m.mux(firstQ, beatMaxQ, m.max(rowMax, beatMaxQ)), maxBeatQ);
  const expLast = m.wire('exp_last', m.and(expBeat, inLast));
  m.next(maxHold, m.mux(m.and(maxBeat, inLast), lit(1, 1), m.mux(expLast, lit(0, 1), maxHold)));

  // ---- the row waiting for its reciprocal: its max and |x0|, copied at its last exp beat ----
  const hold = (name: string, value: Signal, bits: number, signed: boolean, when: Expr): Signal => {
    const r = m.reg(name, bits, { signed });
    m.next(r, value, when);
    return r;
  };
  const pendMax = hold('pend_max', rowMax, p.inputBits, true, expLast);
  const pendX0 = hold('pend_x0_mag', x0Mag, p.x0Bits, false, expLast);
  const pendClamp = hold('pend_clamp_mag', clampMag, clampBits, false, expLast);
  m.next(pendFull, m.mux(expLast, lit(1, 1), m.mux(handOver, lit(0, 1), pendFull)));

  // ---- norm stage: the row's max, |x0| and F, loaded at the hand-over ----
  const normMax = hold('norm_max', pendMax, p.inputBits, true, handOver);
  const normX0 = hold('norm_x0_mag', pendX0, p.x0Bits, false, handOver);
  const normClamp = hold('norm_clamp_mag', pendClamp, clampBits, false, handOver);
  const normF = m.reg('norm_factor', quotBits);
  m.next(normF, div.quot!, handOver);
  m.next(normLoaded, m.mux(handOver, lit(1, 1), m.mux(m.and(normBeat, inLast), lit(0, 1), normLoaded)));
  m.next(fReady, m.mux(handOver, lit(0, 1), m.mux(div.done!, lit(1, 1), fReady)));

  // ---- exp and norm passes: Δ and the row's |x0| into the lanes ----
  const toLanes = m.wire('to_lanes', m.or(expBeat, normBeat));
  const laneMax = m.wire('lane_max', m.mux(normPass, normMax, rowMax));
  const lanesOut = expLanes(m, {
    lane: expLane,
    lanes: L,
    delta: (j) => m.sub(xs[j]!, laneMax, p.inputBits + 1),
    x0Mag: m.named(m.mux(normPass, normX0, x0Mag), 'lane_x0_mag'),
    clampMag: m.named(m.mux(normPass, normClamp, clampMag), 'lane_clamp_mag'),
    inKeep,
  });
  const ctl = delayControl(m, 'lane_ctl', toLanes, m.concat([normPass, expFirst, inLast]), le);
  const ctlOut = m.named(ctl.data, 'lane_ctl_out');
  const laneValid = m.wire('lane_valid', ctl.valid);
  const laneNorm = m.wire('lane_norm', m.bit(ctlOut, 2));
  const laneFirst = m.wire('lane_first', m.bit(ctlOut, 1));
  const laneLast = m.wire('lane_last', m.bit(ctlOut, 0));
  const keepBus = m.wire('lane_keep', m.concat([...lanesOut.keepOut].reverse()));
  // F rides beside the beats: the product sees the F of the row its beat entered with
  let factor: Signal = normF;
  for (let i = 1; i <= le; i++) factor = m.delay(`factor_d${i}`, factor);

  // Σ, saturating at 2^31 − 1; the row's first exp beat restarts it
  const sumBits = expLane.expBits + bitsFor(L);
  const beatSum = m.delay('beat_sum_q', maskedSum(m, lanesOut.es, keepBus, sumBits));
  const expArrives = m.wire('exp_arrives', m.and(laneValid, m.not(laneNorm)));
  const accValid = m.flag('acc_valid', expArrives);
  const accFirst = m.delay('acc_first', laneFirst);
  const accLast = m.delay('acc_last', laneLast);
  const sumAdd = m.add(m.mux(accFirst, lit(0, 31), sum), beatSum, Math.max(31, sumBits) + 1);
  m.next(sum, m.saturateUnsigned(sumAdd, INT31_MAX, 31), accValid);
  // the sum is final the cycle after its last beat is added: the reciprocal starts then
  m.next(divStart, m.and(accValid, accLast));

  const normArrives = m.wire('norm_arrives', m.and(laneValid, laneNorm));
  const out = normalise(m, { p, blocks, lanesOut, factor, keepBus, arrives: normArrives, last: laneLast });
  shiftmaxOutputs(m, inReady, 'the unit takes a beat of the offered pass this cycle', out, p);

  const timing = (rowLength: number) => shiftmaxOverlapTiming({ rowLength, lanes: L, expLatency: le, quotBits });
  const t1 = timing(1);
  return {
    unit: 'shiftmax',
    top,
    modules: [expLane.module, divider, m],
    params: { ...p, form: 'overlap' },
    ...shiftmaxPorts(p, [{ name: 'in_pass', laneBits: 2, lanes: 1, signed: false, doc: '0: max, 1: exp, 2: norm pass' }]),
    handshake: 'ready',
    passes: 3,
    timing,
    timingDoc:
      `3 passes of ⌈N/${L}⌉ beats (max, exp, norm) through the ${le}-register exp lanes; the reciprocal waits ${t1.overlap!.engine} cycles after the exp pass ` +
      `(lane drain, lane-sum register, accumulate, ${seqDividerLatency(quotBits)} divider cycles from start to done for ${quotBits} quotient bits). Rows overlap three deep, ` +
      'so the initiation interval is the longer of the three passes and the exp pass plus the reciprocal wait.',
  };
}
