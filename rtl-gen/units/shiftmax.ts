/**
 * Shiftmax row unit (numerics.md §3). The row is streamed three times at `lanes` elements per beat:
 *   pass 1 (max): running row max;
 *   pass 2 (exp): E_j on the shift-exp lanes, saturating Σ;
 *   one reciprocal F = ⌊(2^31 − 1)/Σ⌋ on the sequential divider (31 − n quotient bits, since Σ ≥ 2^n);
 *   pass 3 (norm): E_j again on the same lanes, out_j = (E_j·F) >> (32 − k).
 * Recomputing E in pass 3 costs nothing (the lanes are idle then) and saves a row buffer.
 */
import { ModuleBuilder, bitsFor, lit, type Expr } from '../hdl/module.js';
import { buildShiftExpLane } from '../blocks/shift-exp-lane.js';
import { buildSeqDivider, seqDividerLatency } from '../blocks/seq-divider.js';
import { type GeneratedUnit, rowFramingPorts } from '../design.js';
import { DEFAULT_PIPELINE, shiftmaxTiming } from '../timing.js';
import { PYTORCH_NUMERICS } from '../../verify/golden/numerics-config.js';
import { constMultiply, delayControl, lane, maskedBeatMax, maskedSum } from './row-control.js';
import type { Flavour } from '../../verify/golden/constants.js';

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

const INT31_MAX = (1n << 31n) - 1n;

export function buildShiftmaxUnit(p: ShiftmaxUnitParams): GeneratedUnit {
  if (p.k < 2 || p.k > 32) throw new RangeError(`shiftmax: k = ${p.k} must be in 2..32`);
  if (p.x0Bits + p.n > 31) throw new RangeError(`shiftmax: |x0| < 2^${p.x0Bits} with n = ${p.n} gives E wider than 31 bits`);
  const L = p.lanes;
  const top = `ivit_shiftmax_l${L}_n${p.n}_k${p.k}_i${p.inputBits}_x${p.x0Bits}_${p.flavour === 'tvm' ? 'tvm' : 'pt'}_e${p.expStages}`;
  if (p.n >= 32 - p.k) throw new RangeError(`shiftmax: n = ${p.n} must be below 32 − k = ${32 - p.k} (the normalisation shifts right)`);
  const expLane = buildShiftExpLane({
    deltaBits: p.inputBits + 1,
    x0Bits: p.x0Bits,
    n: p.n,
    flavour: p.flavour,
    stages: p.expStages,
    tagBits: 1,
    mantissaOutputs: true,
  });
  const quotBits = 31 - p.n; // Σ ≥ E(row max) = |x0|·2^n ≥ 2^n, so F < 2^(31−n)
  const divider = buildSeqDivider({ numBits: 31, denBits: 31, quotBits });
  const le = expLane.latency;
  const outBits = p.k - 1;

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
  const es: Expr[] = [];
  const mants: Expr[] = [];
  const mshifts: Expr[] = [];
  const keepOut: Expr[] = [];
  for (let j = 0; j < L; j++) {
    const delta = m.sub(xs[j]!, rowMax, p.inputBits + 1);
    const o = m.instance(expLane.module, `exp_lane${j}`, {
      delta,
      x0_mag: x0Mag,
      clamp_mag: clampMag,
      tag_in: m.bit(inKeep, j),
    });
    es.push(o.e!);
    mants.push(o.mant!);
    mshifts.push(o.mshift!);
    keepOut.push(o.tag_out!);
  }
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
  const prodBits = Math.min(31, expLane.mantBits + quotBits);
  const prods = mants.map((mant, j) => m.delay(`prod${j}`, m.mul(mant, div.quot!, prodBits)));
  const mshiftQ = mshifts.map((s, j) => m.delay(`mshift${j}`, s));
  const prodKeep = m.delay('prod_keep', keepBus);
  const prodCtl = delayControl(m, 'prod_ctl', normArrives, laneLast, 1);
  const outs: Expr[] = [];
  const sw = expLane.mshiftBits + 1;
  for (let j = 0; j < L; j++) {
    const sr = m.truncate(m.sub(lit(32 - p.k, sw), mshiftQ[j]!, sw + 1), sw, false);
    const shifted = m.wire(`shifted${j}`, m.shrVar(prods[j]!, sr), { discards: `only the low ${outBits} bits: the probability is below 2^${outBits}` });
    // lanes without an element read 0, so the output bus never carries stale values
    outs.push(m.mux(m.bit(prodKeep, j), m.slice(shifted, outBits - 1, 0), lit(0, outBits)));
  }
  const outP = m.delay('out_p_q', m.concat([...outs].reverse()));
  const outKeep = m.delay('out_keep_q', prodKeep);
  const outLast = m.delay('out_last_q', prodCtl.data);
  const outValid = m.flag('out_valid_q', prodCtl.valid);

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

  m.output('in_ready', inReady, 'the unit takes a beat this cycle');
  m.output('out_valid', outValid, 'a beat of probabilities');
  m.output('out_last', outLast, 'last beat of the row');
  m.output('out_keep', outKeep, 'lanes holding an element');
  m.output('out_p', outP, `probabilities, ${outBits} bits per lane, scale 2^−${p.k - 1}`);

  const timing = (rowLength: number) => shiftmaxTiming({ rowLength, lanes: L, expLatency: le, quotBits });
  return {
    unit: 'shiftmax',
    top,
    modules: [expLane.module, divider, m],
    params: { ...p },
    inputs: [
      ...rowFramingPorts('in', L),
      { name: 'in_x', laneBits: p.inputBits, lanes: L, signed: true, doc: 'logits' },
      { name: 'cfg_x0_mag', laneBits: p.x0Bits, lanes: 1, signed: false, doc: '|x0|' },
    ],
    outputs: [...rowFramingPorts('out', L), { name: 'out_p', laneBits: outBits, lanes: L, signed: false, doc: 'probabilities' }],
    handshake: 'ready',
    passes: 3,
    timing,
    timingDoc:
      `3 passes of ⌈N/${L}⌉ beats; one cycle after the max pass (registered beat max); each of the exp and norm passes drains the ${le}-register exp lanes, the exp pass also the lane-sum register; ` +
      `the reciprocal takes ${seqDividerLatency(quotBits)} cycles on the sequential divider (${quotBits} quotient bits) ` +
      'plus one start cycle; product and output registers. The next row starts the cycle after the last output.',
  };
}
