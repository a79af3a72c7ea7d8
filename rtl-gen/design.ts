/** What a unit generator returns: the Verilog modules plus everything a test bench and a descriptor need. */
import type { ModuleBuilder } from './hdl/module.js';
import type { SduUnitKind, SduUnitTiming } from './timing.js';

/** A per-beat port of the unit's stream interface; lanes are packed with lane 0 in the low bits. */
export interface StreamPort {
  name: string;
  /** bits per lane (the port is lanes·laneBits wide; 1 lane for per-beat fields such as in_last) */
  laneBits: number;
  lanes: number;
  signed: boolean;
  doc: string;
}

/** The framing ports every row unit's stream carries: last beat of the row, and which lanes hold an element. */
export function rowFramingPorts(side: 'in' | 'out', lanes: number, element = 'an element'): StreamPort[] {
  return [
    { name: `${side}_last`, laneBits: 1, lanes: 1, signed: false, doc: 'last beat of the row' },
    { name: `${side}_keep`, laneBits: 1, lanes, signed: false, doc: `lane holds ${element}` },
  ];
}

export type ParamValue = number | string | boolean;

/** The four SDU units plus the blocks generated on their own for measurement (synthesis, exhaustive tests, the array PE's area). */
export type UnitName = SduUnitKind | 'shift-exp-lane' | 'gelu-divider' | 'mac-pe' | 'lis' | 'pts-layernorm' | 'sulq-lane';

export interface GeneratedUnit {
  unit: UnitName;
  /** top module name; deterministic from the parameters */
  top: string;
  /** every module, dependencies first, the top last; each goes to its own <name>.v */
  modules: ModuleBuilder[];
  params: Record<string, ParamValue>;
  /** per-beat inputs in the order the test bench's vector lines list them (in_valid excluded) */
  inputs: StreamPort[];
  /** per-beat outputs written by the test bench when out_valid is high */
  outputs: StreamPort[];
  /** 'ready': the unit has in_ready and stalls its input between passes; 'always': it takes a beat every cycle */
  handshake: 'ready' | 'always';
  /** how many times the row is streamed in (Shiftmax: 3, ShiftGELU: 2, LayerNorm: 3, requant: 1) */
  passes: number;
  /** timing of one row of `rowLength` elements (the same formulas as timing.ts) */
  timing(rowLength: number): SduUnitTiming;
  /** one paragraph on where the cycles go */
  timingDoc: string;
}

export function portWidth(p: StreamPort): number {
  return p.laneBits * p.lanes;
}
