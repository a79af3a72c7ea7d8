/**
 * What each instruction touches: address ranges per memory, for the range checks (address faults), the bank
 * locks (scratchpad and accumulator bank contention) and the traffic counters of the bandwidth report.
 */
import type { Instruction } from '../isa/encoding.js';
import { ELEM_BYTES } from '../isa/table.js';
import { ceilDiv } from './array/shape.js';
import type { AcceleratorConfig } from './config.js';
import { ExecError } from './fault.js';

export type Space = 'dram' | 'spad' | 'acc';

export interface Access {
  space: Space;
  lo: number; // first unit (byte or word)
  hi: number; // one past the last
  write: boolean;
  what: string;
}

/** Traffic in bytes, by the role SCALE-Sim gives it. */
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

const SPACES: readonly Space[] = ['spad', 'acc'];

function strided(space: Space, addr: number, rows: number, cols: number, stride: number, esize: number, write: boolean, what: string): Access {
  const unit = space === 'acc' ? 1 : esize; // the accumulator is word addressed
  return { space, lo: addr, hi: addr + ((rows - 1) * stride + cols) * unit, write, what };
}

/** Field names of a typed operand, built once per prefix (no string building per instruction). */
const OPERAND_KEYS = new Map<string, { space: string; stride: string; type: string }>();
export function operandKeys(p: string): { space: string; stride: string; type: string } {
  let k = OPERAND_KEYS.get(p);
  if (!k) {
    k = { space: `${p}space`, stride: `${p}stride`, type: `${p}type` };
    OPERAND_KEYS.set(p, k);
  }
  return k;
}

function operand(f: Readonly<Record<string, number>>, p: string, rows: number, cols: number, write: boolean, what: string): Access {
  const k = operandKeys(p);
  return strided(SPACES[f[k.space]!]!, f[p]!, rows, cols, f[k.stride]!, ELEM_BYTES[f[k.type]!]!, write, what);
}

function tableAccess(addr: number, entries: number, what: string): Access {
  return { space: 'spad', lo: addr, hi: addr + 8 * entries, write: false, what };
}

function bytesOf(a: Access): number {
  return (a.hi - a.lo) * (a.space === 'acc' ? 4 : 1);
}

export function footprintOf(ins: Instruction, cfg: AcceleratorConfig): Footprint {
  const f = ins.fields;
  const traffic: Traffic = { ifmapSram: 0, filterSram: 0, ofmapSram: 0, dramRead: 0, dramWrite: 0 };
  const accesses: Access[] = [];
  switch (ins.spec.mnemonic) {
    case 'nop':
      break;
    case 'load':
    case 'store': {
      const isLoad = ins.spec.mnemonic === 'load';
      const total = f.rows! * f.bytes!;
      accesses.push({ space: 'dram', lo: f.dram!, hi: f.dram! + (f.rows! - 1) * f.dstride! + f.bytes!, write: !isLoad, what: 'DRAM side' });
      const space = SPACES[f.space!]!;
      const unit = space === 'acc' ? 4 : 1;
      accesses.push({ space, lo: f.local!, hi: f.local! + ((f.rows! - 1) * f.lstride! * unit + f.bytes!) / unit, write: isLoad, what: 'on-chip side' });
      if (isLoad) traffic.dramRead = total;
      else traffic.dramWrite = total;
      break;
    }
    case 'gemm': {
      const esize = f.atype === 1 ? 2 : 1;
      const a = strided('spad', f.a!, f.m!, f.k!, f.astride!, esize, false, 'A');
      const b: Access = { space: 'spad', lo: f.b!, hi: f.b! + (f.n! - 1) * f.bstride! + (f.k! - 1) * f.bstep! + 1, write: false, what: 'B' };
      const c = strided('acc', f.c!, f.m!, f.n!, f.cstride!, 4, true, 'C');
      accesses.push(a, b, c);
      if (f.init === 2) accesses.push({ space: 'acc', lo: f.bias!, hi: f.bias! + f.n!, write: false, what: 'bias' });
      const R = cfg.array.rows;
      const C = cfg.array.cols;
      const ws = cfg.array.dataflow === 'ws';
      traffic.ifmapSram = f.m! * f.k! * esize * ceilDiv(f.n!, C);
      traffic.filterSram = f.n! * f.k! * (ws ? 1 : ceilDiv(f.m!, R));
      traffic.ofmapSram = f.m! * f.n! * 4 * (ws ? ceilDiv(f.k!, R) : 1) * (f.init === 1 ? 2 : 1);
      break;
    }
    default: {
      const rows = f.rows!;
      const cols = f.cols!;
      const m = ins.spec.mnemonic;
      const inputs = m === 'resadd' ? ['x', 'y'] : ['s'];
      for (const p of inputs) accesses.push(operand(f, p, rows, cols, false, p === 's' ? 'source' : p));
      accesses.push(operand(f, 'd', rows, m === 'reduce' ? 1 : cols, true, 'destination'));
      const tables: Access[] = [];
      if (m === 'requant') tables.push(tableAccess(f.qtab!, f.qmode === 1 ? cols : 1, 'requant table'));
      if (m === 'resadd') {
        tables.push(tableAccess(f.qx!, f.qxmode === 1 ? cols : 1, 'x requant table'));
        tables.push(tableAccess(f.qy!, f.qymode === 1 ? cols : 1, 'y requant table'));
      }
      if ((m === 'shiftgelu' || m === 'layernorm') && f.qmode !== 0) tables.push(tableAccess(f.qtab!, f.qmode === 2 ? cols : 1, 'fused requant table'));
      if (m === 'layernorm' && f.bmode === 1) tables.push({ space: 'spad', lo: f.btab!, hi: f.btab! + 4 * cols, write: false, what: 'bias table' });
      accesses.push(...tables);
      for (const a of accesses) {
        if (a.what === 'destination') traffic.ofmapSram += bytesOf(a);
        else if (tables.includes(a)) traffic.filterSram += bytesOf(a);
        else traffic.ifmapSram += bytesOf(a);
      }
    }
  }
  checkRanges(accesses, cfg);
  return { accesses, traffic };
}

export function spaceSize(space: Space, cfg: AcceleratorConfig): number {
  return space === 'dram' ? cfg.dram.bytes : space === 'spad' ? cfg.scratchpad.bytes : cfg.accumulator.words;
}

function checkRanges(accesses: readonly Access[], cfg: AcceleratorConfig): void {
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
