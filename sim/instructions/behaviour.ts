/**
 * One record per instruction (Spike's rule): what it does to the machine's memories, how long it takes on its
 * unit, what it touches, and the class the reports count it under. sim/instructions/index.ts maps every mnemonic
 * of the instruction table to its record; a mnemonic without one does not compile.
 */
import type { Fields, Mnemonic } from '../../isa/table.js';
import type { NumericsConfig } from '../../verify/golden/numerics-config.js';
import type { AcceleratorConfig } from '../config.js';
import type { Footprint } from '../footprint.js';
import type { MachineState } from '../state.js';
import type { UnitCost } from '../timing/units.js';

/** The classes reports group instructions by, in report order. */
export const REPORT_CLASSES = ['sync', 'dma', 'gemm', 'requant', 'resadd', 'shiftmax', 'shiftgelu', 'layernorm', 'reduce', 'lis'] as const;
export type ReportClass = (typeof REPORT_CLASSES)[number];

export interface ExecContext {
  config: AcceleratorConfig;
  numerics: NumericsConfig;
  /** GEMM values from the PE-by-PE array model */
  detailedArray: boolean;
  /** where a value fault happened, for its message (e.g. "pc 12") */
  site: string;
}

export interface InstructionBehaviour<M extends Mnemonic> {
  readonly reportClass: ReportClass;
  /** every address range it reads and writes, and its traffic (range-checked by the caller) */
  footprint(f: Fields<M>, cfg: AcceleratorConfig): Footprint;
  /** cycles on its unit (and on the DRAM channel) */
  cost(f: Fields<M>, cfg: AcceleratorConfig, detailedArray: boolean): UnitCost;
  /** its effect on the memories (not called in timing-only runs) */
  execute(st: MachineState, f: Fields<M>, ctx: ExecContext): void;
}

export type BehaviourTable = { readonly [M in Mnemonic]: InstructionBehaviour<M> };
