/**
 * Every instruction's record, by mnemonic. The table's type makes this exhaustive: an instruction added to
 * isa/table.ts without a record here fails the type check. The dispatchers below are the only places that go
 * from a decoded instruction to its record.
 */
import type { Instruction } from '../../isa/encoding.js';
import type { FieldsByMnemonic, Mnemonic } from '../../isa/table.js';
import type { AcceleratorConfig } from '../config.js';
import { type Footprint, checkRanges } from '../footprint.js';
import type { MachineState } from '../state.js';
import type { UnitCost } from '../timing/units.js';
import type { BehaviourTable, ExecContext, ReportClass } from './behaviour.js';
import { nop } from './nop.js';
import { load, store } from './dma.js';
import { gemm } from './gemm.js';
import { requant } from './requant.js';
import { resadd } from './resadd.js';
import { shiftmax } from './shiftmax.js';
import { shiftgelu } from './shiftgelu.js';
import { layernorm } from './layernorm.js';
import { reduce } from './reduce.js';
import { lis } from './lis.js';

export const BEHAVIOURS: BehaviourTable = { nop, load, store, gemm, requant, resadd, shiftmax, shiftgelu, layernorm, reduce, lis };

// Correlated dispatch: for one M, the record's methods take exactly Fields<M>.
function footprintFor<M extends Mnemonic>(m: M, f: FieldsByMnemonic[M], cfg: AcceleratorConfig): Footprint {
  return BEHAVIOURS[m].footprint(f, cfg);
}
function costFor<M extends Mnemonic>(m: M, f: FieldsByMnemonic[M], cfg: AcceleratorConfig, detailed: boolean): UnitCost {
  return BEHAVIOURS[m].cost(f, cfg, detailed);
}
function executeFor<M extends Mnemonic>(m: M, st: MachineState, f: FieldsByMnemonic[M], ctx: ExecContext): void {
  BEHAVIOURS[m].execute(st, f, ctx);
}

/** What the instruction touches, range-checked against the machine's memories (an ExecError 'address' if not). */
export function footprintOf(ins: Instruction, cfg: AcceleratorConfig): Footprint {
  const fp = footprintFor(ins.mnemonic, ins.fields, cfg);
  checkRanges(fp.accesses, cfg);
  return fp;
}

export function costOf(ins: Instruction, cfg: AcceleratorConfig, detailedArray: boolean): UnitCost {
  return costFor(ins.mnemonic, ins.fields, cfg, detailedArray);
}

export function executeInstruction(st: MachineState, ins: Instruction, ctx: ExecContext): void {
  executeFor(ins.mnemonic, st, ins.fields, ctx);
}

export function reportClassOf(ins: Instruction): ReportClass {
  return BEHAVIOURS[ins.mnemonic].reportClass;
}

export { REPORT_CLASSES, type ReportClass, type ExecContext } from './behaviour.js';
