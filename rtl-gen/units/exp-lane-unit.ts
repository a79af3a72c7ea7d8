/**
 * The shift-exp lane on its own, as a stream unit (one Δ and one |x0| per beat): for the exhaustive check
 * of E over every Δ and |x0|, and for the per-lane synthesis figures of targets.md.
 */
import { ModuleBuilder, bitsFor } from '../hdl/module.js';
import { buildShiftExpLane } from '../blocks/shift-exp-lane.js';
import { DEFAULT_PIPELINE } from '../timing.js';
import { PYTORCH_NUMERICS } from '../../verify/golden/numerics-config.js';
import type { GeneratedUnit } from '../design.js';
import { constMultiply, delayControl } from './row-control.js';
import type { Flavour } from '../../verify/golden/constants.js';

export interface ExpLaneUnitParams {
  deltaBits: number;
  x0Bits: number;
  n: number;
  flavour: Flavour;
  expStages: number;
  /**
   * true: |x0| travels with each element, so it may change every beat (the exhaustive test);
   * false: |x0| is static, as in the row units (the per-lane synthesis figures)
   */
  carryConfig: boolean;
}

/** Shiftmax's lane in the default numerics preset: Δ = x − max of int8 logits needs 9 bits. */
export const EXP_LANE_DEFAULTS: ExpLaneUnitParams = {
  deltaBits: PYTORCH_NUMERICS.activationBits + 1,
  x0Bits: 8,
  n: PYTORCH_NUMERICS.softmax.n,
  flavour: PYTORCH_NUMERICS.flavour,
  expStages: DEFAULT_PIPELINE.expStages,
  carryConfig: true,
};

export function buildExpLaneUnit(p: ExpLaneUnitParams): GeneratedUnit {
  const lane = buildShiftExpLane({ ...p, stages: p.expStages, tagBits: 1 });
  const top = `ivit_exp_lane_unit_d${p.deltaBits}_x${p.x0Bits}_n${p.n}_${p.flavour === 'tvm' ? 'tvm' : 'pt'}_e${p.expStages}${p.carryConfig ? '_cc' : ''}`;
  const m = new ModuleBuilder(top, [
    'One shift-exp lane with its |x0| and n·|x0| taken per beat (registered), for exhaustive tests and synthesis.',
    `Latency ${p.expStages + 1} cycles (one configuration register, then the lane), one element per cycle.`,
  ]);
  const inValid = m.input('in_valid', 1, false, 'a beat is offered (always taken)');
  const inDelta = m.input('in_delta', p.deltaBits, false, 'Δ ≤ 0, signed');
  const inX0 = m.input('in_x0_mag', p.x0Bits, false, '|x0| ≥ 1');
  const qBits = bitsFor(p.n);
  // register the inputs and the constant n·|x0| (in a row unit they are configuration registers)
  const delta = m.delay('delta_q', m.asSigned(inDelta));
  const x0 = m.delay('x0_q', inX0);
  const clamp = m.delay('clamp_q', constMultiply(m, inX0, p.n, p.x0Bits + qBits));
  const v0 = m.flag('valid_q', inValid);
  const o = m.instance(
    lane.module,
    'lane',
    { delta, x0_mag: x0, clamp_mag: clamp, tag_in: v0 },
    { tag_out: 'the valid bit travels in the control line instead' },
  );
  const ctl = delayControl(m, 'ctl', v0, v0, lane.latency);
  m.output('out_valid', m.and(ctl.valid, ctl.data), 'E is valid');
  m.output('out_e', o.e!, `E, ${lane.expBits} bits`);
  return {
    unit: 'shift-exp-lane',
    top,
    modules: [lane.module, m],
    params: { ...p },
    inputs: [
      { name: 'in_delta', laneBits: p.deltaBits, lanes: 1, signed: true, doc: 'Δ' },
      { name: 'in_x0_mag', laneBits: p.x0Bits, lanes: 1, signed: false, doc: '|x0|' },
    ],
    outputs: [{ name: 'out_e', laneBits: lane.expBits, lanes: 1, signed: false, doc: 'E' }],
    handshake: 'always',
    passes: 1,
    timing: (rowLength) => ({ latency: rowLength - 1 + p.expStages + 1, initiationInterval: rowLength }),
    timingDoc: `one input register, then ${p.expStages} lane registers; one element per cycle`,
  };
}
