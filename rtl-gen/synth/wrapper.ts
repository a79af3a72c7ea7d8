/**
 * The synthesis wrapper for place and route: every unit input comes from a register (a serial shift chain,
 * so a 300-bit unit still needs only four pins) and every output goes into a register (XOR-reduced to one
 * pin so nothing is optimised away). All timed paths are then register to register, as targets.md asks.
 */
import { ModuleBuilder } from '../hdl/module.js';
import type { GeneratedUnit } from '../design.js';

export function synthWrapperName(u: GeneratedUnit): string {
  return `${u.top}__synth_wrap`;
}

export function buildSynthWrapper(u: GeneratedUnit): ModuleBuilder {
  const dut = u.modules[u.modules.length - 1]!;
  const m = new ModuleBuilder(synthWrapperName(u), [
    `Place-and-route wrapper of ${u.top}: inputs from a serial shift register, outputs into a register, XOR-reduced.`,
  ]);
  const serialIn = m.input('serial_in', 1, false, 'feeds the input shift register');
  const ins = dut.ports.filter((p) => p.dir === 'input' && p.name !== 'clk' && p.name !== 'rst');
  const outs = dut.ports.filter((p) => p.dir === 'output');
  const inBits = ins.reduce((s, p) => s + p.width, 0);
  const chain = m.reg('in_chain', inBits);
  m.next(chain, inBits === 1 ? serialIn : m.concat([m.slice(chain, inBits - 2, 0), serialIn]));
  const connections: Record<string, ReturnType<typeof m.slice>> = {};
  let at = 0;
  for (const p of ins) {
    connections[p.name] = m.slice(chain, at + p.width - 1, at);
    at += p.width;
  }
  const o = m.instance(dut, 'dut', connections);
  const gathered = m.concat(outs.map((p) => o[p.name]!));
  const captured = m.delay('out_capture', gathered);
  const folded = m.delay('out_folded', m.parity(captured));
  m.output('serial_out', folded, 'XOR of all captured outputs');
  return m;
}
