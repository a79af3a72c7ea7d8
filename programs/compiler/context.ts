/**
 * What every lowering step shares: the instruction emitter, the DRAM image with each tensor's and constant's
 * address, the on-chip pools and the plan. Constants are written into the DRAM image in the layout the
 * lowering loads them in (requant pairs as int32 (m, c), LayerNorm tables as pairs then biases).
 */
import type { AcceleratorConfig } from '../../sim/config.js';
import type { Dyadic } from '../../verify/golden/constants.js';
import { DTYPE_BYTES, type LinearWeights, type RequantSpec, type TensorDesc, type VitGraph, matrixOf } from '../graph/graph.js';
import { DramImage, bytesOfInts } from './dram.js';
import { Emitter } from './emit.js';
import { CompileError } from './errors.js';
import type { MemoryPlan } from './plan.js';
import { SlotPool } from './pool.js';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** (m, c) as two int32 words; |m| = 2^31 is renormalised to (2^30, c − 1), the same ratio. */
export function dyadicWords(d: Dyadic, where: string): [number, number] {
  let { m, c } = d;
  if (m === 2147483648 || m === -2147483648) {
    m /= 2;
    c -= 1;
  }
  if (m < INT32_MIN || m > INT32_MAX || c < -62 || c > 126)
    throw new CompileError(`${where}: requant pair (m=${d.m}, c=${d.c}) does not fit the SDU table format`);
  return [m, c];
}

export function requantBytes(spec: RequantSpec, channels: number, where: string): Uint8Array {
  const count = spec.perChannel ? channels : 1;
  if (!spec.table) return new Uint8Array(8 * count);
  if (spec.table.length !== count) throw new CompileError(`${where}: requant table has ${spec.table.length} entries, expected ${count}`);
  const words: number[] = [];
  spec.table.forEach((d, i) => words.push(...dyadicWords(d, `${where} channel ${i}`)));
  return bytesOfInts(words, 4);
}

export interface LinearConstants {
  weight: number;
  bias: number;
  /** per-channel requant pairs, when the layer has a requant */
  table: number | undefined;
}

export class LowerCtx {
  readonly emit = new Emitter();
  readonly dram = new DramImage();
  readonly tensorAddr = new Map<string, number>();
  readonly weightPool: SlotPool;
  readonly rowPool: SlotPool;
  readonly tablePool: SlotPool;
  readonly accPool: SlotPool;
  readonly biasPool: SlotPool | undefined;
  /** emitted by the next row-chain GEMM right after its first column tile (see lower-rows.ts) */
  afterFirstColumnTile: (() => void) | undefined;

  constructor(
    readonly graph: VitGraph,
    readonly cfg: AcceleratorConfig,
    readonly plan: MemoryPlan,
    /** software-pipeline the row chains over tiles (needs more row slots alive at once) */
    readonly pipelined = true,
  ) {
    const s = plan.spad;
    this.weightPool = new SlotPool('weight-tile', s.weight.base, s.weight.slotSize, s.weight.count);
    this.rowPool = new SlotPool('row-tile', s.row.base, s.row.slotSize, s.row.count);
    this.tablePool = new SlotPool('table', s.table.base, s.table.slotSize, s.table.count);
    this.accPool = new SlotPool('accumulator', plan.acc.base, plan.acc.slotSize, plan.acc.count);
    this.biasPool = plan.bias ? new SlotPool('bias', plan.bias.base, plan.bias.slotSize, plan.bias.count) : undefined;
  }

  tensor(name: string): TensorDesc {
    const t = this.graph.tensors.get(name);
    if (!t) throw new Error(`no tensor ${name}`);
    return t;
  }

  /** DRAM address of an activation tensor (reserved on first use). */
  addrOf(name: string): number {
    let a = this.tensorAddr.get(name);
    if (a === undefined) {
      const t = this.tensor(name);
      const { rows, cols } = matrixOf(t);
      a = this.dram.reserve(rows * cols * DTYPE_BYTES[t.dtype]);
      this.tensorAddr.set(name, a);
    }
    return a;
  }

  /** Bytes of one row of a tensor. */
  rowBytes(name: string): number {
    const t = this.tensor(name);
    return matrixOf(t).cols * DTYPE_BYTES[t.dtype];
  }

  /** Place initial data, or reserve zeros in a shape-only graph. */
  constant(bytes: Uint8Array | undefined, size: number): number {
    return bytes ? this.dram.place(bytes) : this.dram.reserve(size);
  }

  linearConstants(w: LinearWeights, requant: RequantSpec | undefined, where: string): LinearConstants {
    if (w.weight && w.weight.length !== w.outFeatures * w.inFeatures)
      throw new CompileError(`${where}: weight has ${w.weight.length} values, expected ${w.outFeatures}×${w.inFeatures}`);
    const weight = this.constant(w.weight ? new Uint8Array(w.weight.buffer, w.weight.byteOffset, w.weight.length) : undefined, w.outFeatures * w.inFeatures);
    const bias = this.constant(w.bias ? bytesOfInts(w.bias, 4) : undefined, 4 * w.outFeatures);
    const table = requant ? this.dram.place(requantBytes(requant, w.outFeatures, where)) : undefined;
    return { weight, bias, table };
  }

  /** LayerNorm constants: `channels` requant pairs, then `channels` int32 integer biases. */
  layerNormConstants(channels: number, bias: Float64Array | undefined, requant: RequantSpec, where: string): number {
    const table = requantBytes(requant, channels, where);
    const out = new Uint8Array(12 * channels);
    out.set(table, 0);
    if (bias) {
      for (let i = 0; i < channels; i++) {
        const b = bias[i]!;
        if (b < INT32_MIN || b > INT32_MAX)
          throw new CompileError(`${where}: LayerNorm integer bias ${b} (channel ${i}) does not fit the SDU's int32 bias table`);
      }
      out.set(bytesOfInts(bias, 4), 8 * channels);
    }
    return this.dram.place(out);
  }

  /**
   * Per-tensor requant pairs live on chip for the whole program: one table slot holds every pair of the model
   * (a few hundred bytes), loaded by one DMA at the start, so no tile ever waits for a pair's load.
   */
  private resident: { spad: number; bytes: Uint8Array; used: number } | undefined;

  initResidentPairs(count: number): void {
    const bytes = new Uint8Array(8 * Math.max(1, count));
    if (bytes.length > this.tablePool.slotSize || bytes.length > 65535) throw new CompileError(`${count} per-tensor requant pairs do not fit one table slot`);
    const spad = this.tablePool.alloc('resident requant pairs');
    const dram = this.dram.place(bytes);
    this.emit.load({ dram, dstride: bytes.length, local: spad, lstride: bytes.length, rows: 1, bytes: bytes.length });
    this.resident = { spad, bytes, used: 0 };
  }

  /** Scratchpad address of these pairs (consecutive), in the resident pair table. */
  pairs(specs: ReadonlyArray<RequantSpec | Dyadic | undefined>, where: string): number {
    const r = this.resident;
    if (!r) throw new Error('initResidentPairs first');
    const words: number[] = [];
    for (const s of specs) {
      if (s === undefined) words.push(0, 0);
      else if ('m' in s) words.push(...dyadicWords(s, where));
      else if (s.table) words.push(...dyadicWords(s.table[0]!, where));
      else words.push(0, 0);
    }
    if (r.used + 4 * words.length > r.bytes.length)
      throw new Error(`resident pair table overflows at ${where}: count the pairs in residentPairCount (plan.ts)`);
    const at = r.spad + r.used;
    r.bytes.set(bytesOfInts(words, 4), r.used);
    r.used += 4 * words.length;
    return at;
  }
}
