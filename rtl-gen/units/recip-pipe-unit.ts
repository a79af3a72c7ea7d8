/** ShiftGELU's per-element reciprocal divider on its own, as a stream unit (synthesis figures, tests). */
import { ModuleBuilder } from '../hdl/module.js';
import { buildRecipPipe, recipPipeLatency } from '../blocks/recip-pipe.js';
import type { GeneratedUnit } from '../design.js';
import { delayControl } from './row-control.js';

export function buildRecipPipeUnit(p: { divBitsPerStage: number }): GeneratedUnit {
  const pipe = buildRecipPipe({ bitsPerStage: p.divBitsPerStage, tagBits: 1 });
  const latency = recipPipeLatency({ bitsPerStage: p.divBitsPerStage, tagBits: 1 });
  const top = `ivit_recip_pipe_unit_b${p.divBitsPerStage}`;
  const m = new ModuleBuilder(top, [
    "ShiftGELU's exact per-element reciprocal ⌊(2^31 − 1)/D⌋ with a registered input, one D per cycle.",
    `Latency ${latency + 1} cycles.`,
  ]);
  const inValid = m.input('in_valid', 1, false, 'a beat is offered (always taken)');
  const inDen = m.input('in_den', 31, false, 'D ≥ 1');
  const den = m.delay('den_q', inDen);
  const v0 = m.flag('valid_q', inValid);
  const o = m.instance(pipe, 'recip', { den, tag_in: v0 });
  const ctl = delayControl(m, 'ctl', v0, v0, latency);
  m.output('out_valid', m.and(m.and(ctl.valid, ctl.data), o.tag_out!), 'F is valid');
  m.output('out_quot', o.quot!, 'F');
  return {
    unit: 'gelu-divider',
    top,
    modules: [pipe, m],
    params: { ...p },
    inputs: [{ name: 'in_den', laneBits: 31, lanes: 1, signed: false, doc: 'D' }],
    outputs: [{ name: 'out_quot', laneBits: 31, lanes: 1, signed: false, doc: 'F' }],
    handshake: 'always',
    passes: 1,
    timing: (rowLength) => ({ latency: rowLength - 1 + latency + 1, initiationInterval: rowLength }),
    timingDoc: `input register, then ${latency} divider registers; one D per cycle`,
  };
}
