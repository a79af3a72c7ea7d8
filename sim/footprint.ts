/**
 * What an instruction touches: address ranges per memory, for the range checks (address faults), the bank
 * locks (scratchpad and accumulator bank contention) and the traffic counters of the bandwidth report. Each
 * instruction's own footprint is in its record (sim/instructions/); these are the pieces they share.
 */
import type { AcceleratorConfig } from './config.js';
import { ExecError } from './fault.js';
import { type OperandRef, elementUnits } from './exec/operands.js';

export type Space = 'dram' | 'spad' | 'acc';

export interface Access {
  space: Space;
  lo: number; // first unit (byte or word)
  hi: number; // one past the last
  write: boolean;
  what: string;
}

/**
 * Traffic by the role SCALE-Sim gives it. DRAM figures are bytes; SRAM figures are words for gemm (array operand
 * entries, SCALE-Sim's count) and bytes for the SDU's instructions.
 */
export interface Traffic {
  ifmapSram: number;
  filterSram: number;
  ofmapSram: number;
  dramRead: number;
  dramWrite: number;
}

export interface Footprint {
  accesses: Access[];
  traffic: Traffic;
}

export const noTraffic = (): Traffic => ({ ifmapSram: 0, filterSram: 0, ofmapSram: 0, dramRead: 0, dramWrite: 0 });

/** rows × cols elements of `unit` address units each, rows `stride` elements apart. */
export function strided(space: Space, addr: number, rows: number, cols: number, stride: number, unit: number, write: boolean, what: string): Access {
  return { space, lo: addr, hi: addr + ((rows - 1) * stride + cols) * unit, write, what };
}

export function operandAccess(o: OperandRef, rows: number, cols: number, write: boolean, what: string): Access {
  return strided(o.space, o.addr, rows, cols, o.stride, elementUnits(o), write, what);
}

/** A requant table of (m int32, c int32) pairs in the scratchpad. */
export function tableAccess(addr: number, entries: number, what: string): Access {
  return { space: 'spad', lo: addr, hi: addr + 8 * entries, write: false, what };
}

function bytesOf(a: Access): number {
  return (a.hi - a.lo) * (a.space === 'acc' ? 4 : 1);
}

/** An SDU row operation: its inputs are ifmap traffic, its result ofmap, its constant tables filter traffic. */
export function sduFootprint(inputs: readonly Access[], output: Access, tables: readonly Access[]): Footprint {
  const traffic = noTraffic();
  for (const a of inputs) traffic.ifmapSram += bytesOf(a);
  traffic.ofmapSram += bytesOf(output);
  for (const a of tables) traffic.filterSram += bytesOf(a);
  return { accesses: [...inputs, output, ...tables], traffic };
}

export function spaceSize(space: Space, cfg: AcceleratorConfig): number {
  return space === 'dram' ? cfg.dram.bytes : space === 'spad' ? cfg.scratchpad.bytes : cfg.accumulator.words;
}

/** An access outside its memory is an address fault. */
export function checkRanges(accesses: readonly Access[], cfg: AcceleratorConfig): void {
  for (const a of accesses) {
    const size = spaceSize(a.space, cfg);
    if (a.lo < 0 || a.hi > size) {
      const unit = a.space === 'acc' ? 'words' : 'bytes';
      throw new ExecError('address', `${a.what} ${a.space}[0x${a.lo.toString(16)}..0x${(a.hi - 1).toString(16)}] is outside the ${size} ${unit} of ${a.space}`);
    }
  }
}

/** Banks an access occupies: banks are equal contiguous address ranges. */
export function banksOf(a: Access, cfg: AcceleratorConfig): [number, number] {
  const size = a.space === 'spad' ? cfg.scratchpad.bytes / cfg.scratchpad.banks : cfg.accumulator.words / cfg.accumulator.banks;
  return [Math.floor(a.lo / size), Math.floor((a.hi - 1) / size)];
}
