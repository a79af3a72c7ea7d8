/**
 * Typed helpers that append instructions to the program list (before synchronisation). Field names and
 * enum indices follow isa/table.ts; the encoder re-checks every value against the table.
 */
import type { PlainInstruction } from './sync.js';
import type { DType } from '../graph/graph.js';

const ELEM: Readonly<Record<DType, number>> = { i8: 0, i16: 1, i32: 2 };

/** An on-chip operand of an SDU instruction. */
export interface Operand {
  space: 'spad' | 'acc';
  addr: number;
  /** elements between row starts */
  stride: number;
  type: DType;
}

export const spadOp = (addr: number, stride: number, type: DType): Operand => ({ space: 'spad', addr, stride, type });
export const accOp = (addr: number, stride: number): Operand => ({ space: 'acc', addr, stride, type: 'i32' });

export interface Dma {
  dram: number;
  dstride: number;
  local: number;
  lstride: number;
  rows: number;
  bytes: number;
  space?: 'spad' | 'acc';
}

export interface Gemm {
  a: number;
  astride: number;
  atype: 'i8' | 'i16';
  b: number;
  bstride: number;
  bstep?: number;
  c: number;
  cstride: number;
  init: 'zero' | 'acc' | 'bias';
  bias?: number;
  m: number;
  n: number;
  k: number;
}

export type QMode = 'tensor' | 'channel';

export class Emitter {
  readonly list: PlainInstruction[] = [];
  private pendingRegion: string | undefined;
  /** the graph node the next instructions implement */
  node = 0;

  /** The next instruction starts a report region (a model layer). */
  region(name: string): void {
    // labels must be assembler identifiers: "block0.proj..block1.qkv" → block0_proj__block1_qkv
    this.pendingRegion = name.replace(/\.\./g, '__').replace(/[^A-Za-z0-9_]/g, '_').replace(/^([0-9])/, '_$1');
  }

  private push(mnemonic: string, fields: Record<string, number>): void {
    const ins: PlainInstruction = { mnemonic, fields, node: this.node };
    if (this.pendingRegion !== undefined) {
      ins.region = this.pendingRegion;
      this.pendingRegion = undefined;
    }
    this.list.push(ins);
  }

  private operand(prefix: string, o: Operand): Record<string, number> {
    return { [`${prefix}space`]: o.space === 'spad' ? 0 : 1, [prefix]: o.addr, [`${prefix}stride`]: o.stride, [`${prefix}type`]: ELEM[o.type] };
  }

  load(d: Dma): void {
    this.dma('load', d);
  }

  store(d: Dma): void {
    this.dma('store', d);
  }

  private dma(mnemonic: 'load' | 'store', d: Dma): void {
    this.push(mnemonic, { dram: d.dram, dstride: d.dstride, space: d.space === 'acc' ? 1 : 0, local: d.local, lstride: d.lstride, rows: d.rows, bytes: d.bytes });
  }

  gemm(g: Gemm): void {
    this.push('gemm', {
      a: g.a, astride: g.astride, atype: g.atype === 'i8' ? 0 : 1, b: g.b, bstride: g.bstride, bstep: g.bstep ?? 1,
      c: g.c, cstride: g.cstride, init: { zero: 0, acc: 1, bias: 2 }[g.init], bias: g.bias ?? 0, m: g.m, n: g.n, k: g.k,
    });
  }

  requant(s: Operand, d: Operand, rows: number, cols: number, qmode: QMode, qtab: number): void {
    this.push('requant', { ...this.operand('s', s), ...this.operand('d', d), rows, cols, qmode: qmode === 'tensor' ? 0 : 1, qtab });
  }

  resadd(x: Operand, y: Operand, d: Operand, rows: number, cols: number, qx: number, qy: number): void {
    this.push('resadd', { ...this.operand('x', x), ...this.operand('y', y), ...this.operand('d', d), rows, cols, qxmode: 0, qx, qymode: 0, qy });
  }

  shiftmax(s: Operand, d: Operand, rows: number, cols: number, x0: number, n: number, k: number): void {
    this.push('shiftmax', { ...this.operand('s', s), ...this.operand('d', d), rows, cols, x0, n, k });
  }

  shiftgelu(s: Operand, d: Operand, rows: number, cols: number, x0: number, n: number, k: number, qmode: QMode, qtab: number): void {
    this.push('shiftgelu', { ...this.operand('s', s), ...this.operand('d', d), rows, cols, x0, n, k, qmode: qmode === 'tensor' ? 1 : 2, qtab });
  }

  layernorm(s: Operand, d: Operand, rows: number, cols: number, btab: number, qmode: QMode, qtab: number): void {
    this.push('layernorm', { ...this.operand('s', s), ...this.operand('d', d), rows, cols, bmode: 1, btab, qmode: qmode === 'tensor' ? 1 : 2, qtab });
  }
}
