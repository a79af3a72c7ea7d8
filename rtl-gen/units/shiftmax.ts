/**
 * Shiftmax row unit (numerics.md §3). The row is streamed three times at `lanes` elements per beat:
 *   pass 1 (max): running row max;
 *   pass 2 (exp): E_j on the shift-exp lanes, saturating Σ;
 *   one reciprocal F = ⌊(2^31 − 1)/Σ⌋ on the sequential divider (31 − n quotient bits, since Σ ≥ 2^n);
 *   pass 3 (norm): E_j again on the same lanes, out_j = (E_j·F) >> (32 − k).
 * Recomputing E in pass 3 costs nothing (the lanes are idle then) and saves a row buffer.
 */
import { ModuleBuilder, bitsFor, lit, type Expr } from '../hdl/module.js';
import { seqDividerLatency } from '../blocks/seq-divider.js';
import type { GeneratedUnit } from '../design.js';
import { shiftmaxTiming } from '../timing.js';
import { constMultiply, delayControl, lane, maskedBeatMax, maskedSum } from './row-control.js';
import { type ShiftmaxUnitParams, INT31_MAX, expLanes, normalise, shiftmaxBlocks, shiftmaxOutputs, shiftmaxPorts } from './shiftmax-parts.js';

export { SHIFTMAX_DEFAULTS, type ShiftmaxUnitParams } from './shiftmax-parts.js';

export function buildShiftmaxUnit(p: ShiftmaxUnitParams): GeneratedUnit {
  const L = p.lanes;
  const top = `ivit_shiftmax_l${L}_n${p.n}_k${p.k}_i${p.inputBits}_x${p.x0Bits}_${p.flavour === 'tvm' ? 'tvm' : 'pt'}_e${p.expStages}`;
  const blocks = shiftmaxBlocks(p, false);
  const { expLane, quotBits, divider } = blocks;
  const le = expLane.latency;

  const m = new ModuleBuilder(top, [
    `Shiftmax row unit, ${L} lane(s), n = ${p.n}, k = ${p.k}, ${p.flavour} flavour, int${p.inputBits} logits, 1 ≤ |x0| < 2^${p.x0Bits}.`,
    'Stream each row three times (max, exp, norm passes); in_ready drops between passes.',
    `Latency and initiation interval: see the descriptor (timing.ts shiftmaxTiming).`,
  ]);
  const inValid = m.input('in_valid', 1, false, 'a beat is offered');
  const inLast = m.input('in_last', 1, false, 'last beat of the row (in every pass)');
  const inKeep = m.input('in_keep', L, false, 'lane j holds an element (at least one lane per beat)');
  const inX = m.input('in_x', L * p.inputBits, false, 'logits, lane 0 in the low bits');
  const cfgX0 = m.input('cfg_x0_mag', p.x0Bits, false, '|x0| ≥ 1, sampled at the first beat of the row');

  // FSM: 0 max pass, 7 let the last beat max land, 1 exp pass, 2 drain exp lanes and the sum register,
  // 3 start divide, 4 divide, 5 norm pass, 6 drain outputs
  const S = { max: 0, exp: 1, drain: 2, divStart: 3, divWait: 4, norm: 5, flush: 6, maxWait: 7 };
  const state = m.reg('state', 3, { reset: S.max });
  const is = (s: number): Expr => m.eq(state, lit(s, 3));
  const inReady = m.wire('in_ready_w', m.or(m.or(is(S.max), is(S.exp)), is(S.norm)));
  const accept = m.wire('accept', m.and(inValid, inReady));
  const firstBeat = m.reg('first_beat', 1, { reset: 1 });

  // configuration, captured at the row's first beat
  const takeCfg = m.wire('take_cfg', m.and(m.and(accept, is(S.max)), firstBeat));
  const x0Mag = m.delay('x0_mag', cfgX0, takeCfg);
  const qBits = bitsFor(p.n);
  const clampMag = m.delay('clamp_mag', constMultiply(m, cfgX0, p.n, p.x0Bits + qBits), takeCfg);

  // pass 1: row max
  const xs = Array.from({ length: L }, (_, j) => lane(m, inX, j, p.inputBits, true));
  const beatMax = maskedBeatMax(m, xs, inKeep, p.inputBits);
  const rowMax = m.reg('row_max', p.inputBits, { signed: true });
  const maxPassBeat = m.and(accept, is(S.max));
  // the beat max is registered before it meets the row max (the lane max tree and the running compare would
  // otherwise share one cycle); one wait cycle after the pass lets the last beat land
  const beatMaxQ = m.delay('beat_max_q', beatMax);
  const maxBeatQ = m.flag('max_beat_q', maxPassBeat);
  const firstQ = m.delay('first_beat_q', firstBeat);
  m.next(rowMax, m.mux(firstQ, beatMaxQ, m.max(rowMax, beatMaxQ)), maxBeatQ);
  m.next(firstBeat, m.mux(accept, m.and(is(S.norm), inLast), firstBeat));

  // passes 2 and 3: Δ → exp lanes
  const toLanes = m.wire('to_lanes', m.and(accept, m.or(is(S.exp), is(S.norm))));
  const lanesOut = expLanes(m, { lane: expLane, lanes: L, delta: (j) => m.sub(xs[j]!, rowMax, p.inputBits + 1), x0Mag, clampMag, inKeep });
  const { es, keepOut } = lanesOut;
  const ctl = delayControl(m, 'lane_ctl', toLanes, m.concat([is(S.norm), inLast]), le);
  const laneValid = m.wire('lane_valid', ctl.valid);
  const laneNorm = m.wire('lane_norm', m.bit(m.named(ctl.data, 'lane_ctl_out'), 1));
  const laneLast = m.wire('lane_last', m.bit(m.named(ctl.data, 'lane_ctl_out'), 0));
  const keepBus = m.wire('lane_keep', m.concat([...keepOut].reverse()));

  // Σ, saturating at 2^31 − 1
  const sumBits = expLane.expBits + bitsFor(L);
  // the lane sum is registered before the saturating accumulate (adder tree and accumulator in separate cycles)
  const beatSum = m.delay('beat_sum_q', maskedSum(m, es, keepBus, sumBits));
  const sum = m.reg('sum', 31);
  const expArrives = m.wire('exp_arrives', m.and(laneValid, m.not(laneNorm)));
  const accValid = m.flag('acc_valid', expArrives);
  const accLast = m.delay('acc_last', laneLast);
  const sumAdd = m.add(sum, beatSum, Math.max(31, sumBits) + 1);
  const sumNext = m.saturateUnsigned(sumAdd, INT31_MAX, 31);
  m.next(sum, m.mux(takeCfg, lit(0, 31), sumNext), m.or(takeCfg, accValid));

  // the reciprocal
  const divStart = m.wire('div_start', is(S.divStart));
  const div = m.instance(divider, 'recip', { start: divStart, num: lit(INT31_MAX, 31), den: sum }, { rem: 'the remainder of the reciprocal is not needed' });

  // normalisation: (E·F) >> (32 − k) with E = mant·2^mshift: a narrow mant × F product (E·F ≤ Σ·F < 2^31, so
  // mant·F < 2^31 too), registered, then the right shift by (32 − k − mshift) ≥ 1 and the output register
  const normArrives = m.wire('norm_arrives', m.and(laneValid, laneNorm));
  const out = normalise(m, { p, blocks, lanesOut, factor: div.quot!, keepBus, arrives: normArrives, last: laneLast });
  const outValid = out.valid;
  const outLast = out.last;

  // state transitions
  const lastBeat = m.and(accept, inLast);
  const nextState = m.mux(
    m.and(is(S.max), lastBeat),
    lit(S.maxWait, 3),
    m.mux(
      is(S.maxWait),
      lit(S.exp, 3),
      m.mux(
        m.and(is(S.exp), lastBeat),
        lit(S.drain, 3),
        m.mux(
          m.and(is(S.drain), m.and(accValid, accLast)),
          lit(S.divStart, 3),
          m.mux(
            is(S.divStart),
            lit(S.divWait, 3),
            m.mux(
              m.and(is(S.divWait), div.done!),
              lit(S.norm, 3),
              m.mux(m.and(is(S.norm), lastBeat), lit(S.flush, 3), m.mux(m.and(is(S.flush), m.and(outValid, outLast)), lit(S.max, 3), state)),
            ),
          ),
        ),
      ),
    ),
  );
  m.next(state, nextState);

  shiftmaxOutputs(m, inReady, 'the unit takes a beat this cycle', out, p);

  const timing = (rowLength: number) => shiftmaxTiming({ rowLength, lanes: L, expLatency: le, quotBits });
  return {
    unit: 'shiftmax',
    top,
    modules: [expLane.module, divider, m],
    params: { ...p },
    ...shiftmaxPorts(p),
    handshake: 'ready',
    passes: 3,
    timing,
    timingDoc:
      `3 passes of ⌈N/${L}⌉ beats; one cycle after the max pass (registered beat max); each of the exp and norm passes drains the ${le}-register exp lanes, the exp pass also the lane-sum register; ` +
      `the reciprocal takes ${seqDividerLatency(quotBits)} cycles on the sequential divider (${quotBits} quotient bits) ` +
      'plus one start cycle; product and output registers. The next row starts the cycle after the last output.',
  };
}
