/**
 * Typed helpers that append instructions to the program list (before synchronisation). Every instruction is
 * built by name with the field record isa/table.ts gives it (enum values by name), so a field the table does
 * not have, or a value outside an enum, does not compile.
 */
import type { EnumValue, Mnemonic, OperandFields } from '../../isa/table.js';
import type { PlainInstruction, UnsyncedFields } from './sync.js';
import type { DType } from '../graph/graph.js';

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
  /** FQ-ViT's log-attention × V: A holds LIS codes, each PE shifts B by fbits − code */
  amode?: 'mul' | 'shift';
  fbits?: number;
}

/** How a requant table is indexed (isa ENUMS.qmode, without 'none'). */
export type QMode = Exclude<EnumValue<'qmode'>, 'none'>;

export class Emitter {
  readonly list: PlainInstruction[] = [];
  private pendingRegion: string | undefined;
  /** the graph node the next instructions implement */
  node = 0;

  /** The next instruction starts a report region (a model layer). */
  region(name: string): void {
    // labels must be assembler identifiers: "block0.proj..block1.qkv" → block0_proj__block1_qkv
    this.pendingRegion = name
      .replace(/\.\./g, '__')
      .replace(/[^A-Za-z0-9_]/g, '_')
      .replace(/^([0-9])/, '_$1');
  }

  /** Append one instruction by name. */
  emit<M extends Mnemonic>(mnemonic: M, fields: UnsyncedFields<M>): void {
    const ins = { mnemonic, fields, node: this.node } as PlainInstruction; // M and its fields, as the union member for M
    if (this.pendingRegion !== undefined) {
      ins.region = this.pendingRegion;
      this.pendingRegion = undefined;
    }
    this.list.push(ins);
  }

  private static operand<P extends string>(prefix: P, o: Operand) {
    return { [`${prefix}space`]: o.space, [prefix]: o.addr, [`${prefix}stride`]: o.stride, [`${prefix}type`]: o.type } as OperandFields<P>;
  }

  load(d: Dma): void {
    this.dma('load', d);
  }

  store(d: Dma): void {
    this.dma('store', d);
  }

  private dma(mnemonic: 'load' | 'store', d: Dma): void {
    this.emit(mnemonic, { dram: d.dram, dstride: d.dstride, space: d.space ?? 'spad', local: d.local, lstride: d.lstride, rows: d.rows, bytes: d.bytes });
  }

  gemm(g: Gemm): void {
    this.emit('gemm', {
      a: g.a,
      astride: g.astride,
      atype: g.atype,
      b: g.b,
      bstride: g.bstride,
      bstep: g.bstep ?? 1,
      c: g.c,
      cstride: g.cstride,
      init: g.init,
      bias: g.bias ?? 0,
      m: g.m,
      n: g.n,
      k: g.k,
      amode: g.amode ?? 'mul',
      fbits: g.fbits ?? 0,
    });
  }

  requant(s: Operand, d: Operand, rows: number, cols: number, qmode: QMode, qtab: number): void {
    this.emit('requant', { ...Emitter.operand('s', s), ...Emitter.operand('d', d), rows, cols, qmode, qtab });
  }

  resadd(x: Operand, y: Operand, d: Operand, rows: number, cols: number, qx: number, qy: number): void {
    this.emit('resadd', {
      ...Emitter.operand('x', x),
      ...Emitter.operand('y', y),
      ...Emitter.operand('d', d),
      rows,
      cols,
      qxmode: 'tensor',
      qx,
      qymode: 'tensor',
      qy,
    });
  }

  shiftmax(s: Operand, d: Operand, rows: number, cols: number, x0: number, n: number, k: number): void {
    this.emit('shiftmax', { ...Emitter.operand('s', s), ...Emitter.operand('d', d), rows, cols, x0, n, k });
  }

  shiftgelu(s: Operand, d: Operand, rows: number, cols: number, x0: number, n: number, k: number, qmode: QMode, qtab: number): void {
    this.emit('shiftgelu', { ...Emitter.operand('s', s), ...Emitter.operand('d', d), rows, cols, x0, n, k, qmode, qtab });
  }

  layernorm(s: Operand, d: Operand, rows: number, cols: number, btab: number, qmode: QMode, qtab: number): void {
    this.emit('layernorm', {
      ...Emitter.operand('s', s),
      ...Emitter.operand('d', d),
      rows,
      cols,
      bmode: 'table',
      btab,
      qmode,
      qtab,
      lnmode: 'ilayernorm',
      atab: 0,
      ptab: 0,
    });
  }

  /** FQ-ViT's PTS LayerNorm: α_c bytes at atab, (M_c, N_c, B_c) int32 triples at ptab. */
  ptsLayerNorm(s: Operand, d: Operand, rows: number, cols: number, atab: number, ptab: number): void {
    this.emit('layernorm', {
      ...Emitter.operand('s', s),
      ...Emitter.operand('d', d),
      rows,
      cols,
      bmode: 'none',
      btab: 0,
      qmode: 'none',
      qtab: 0,
      lnmode: 'pts',
      atab,
      ptab,
    });
  }

  /** FQ-ViT's Log-Int-Softmax to b-bit codes. */
  lis(s: Operand, d: Operand, rows: number, cols: number, c: { x0: number; b: number; c: number; bits: number }): void {
    this.emit('lis', { ...Emitter.operand('s', s), ...Emitter.operand('d', d), rows, cols, x0: c.x0, pb: c.b, pc: c.c, bits: c.bits });
  }
}
