/**
 * One LayerNorm of `rows` rows from an on-chip int16 residual tile to an int8 tile: I-LayerNorm with its fused
 * per-channel requant, or FQ-ViT's PTS LayerNorm, which first requantises the residual per channel to int8 at
 * scales s·2^α_c (the requant unit) and then normalises with the α_c shifts and static (M_c, N_c, B_c).
 * The table in DRAM: I-LayerNorm 12·C bytes (pairs, biases); PTS 21·C bytes (pairs, (M, N, B) triples, α bytes).
 */
import type { DType, LayerNormNode } from '../graph/graph.js';
import { type LowerCtx, requantBytes } from './context.js';
import { bytesOfInts } from './dram.js';
import { spadOp } from './emit.js';
import { CompileError } from './errors.js';

/** Bytes of a LayerNorm's table of constants over `channels` channels. */
export function layerNormTableBytes(node: LayerNormNode): number {
  return (node.pts ? 21 : 12) * node.channels;
}

/** Place the LayerNorm's constants in DRAM (zeros reserved in a shape-only graph); returns the address. */
export function placeLayerNormTable(ctx: LowerCtx, node: LayerNormNode): number {
  if (!node.pts) return ctx.layerNormConstants(node.channels, node.bias, node.requant, node.out);
  const c = node.channels;
  const { alpha, channels } = node.pts;
  if (!alpha || !channels || !node.requant.table) return ctx.constant(undefined, 21 * c);
  if (alpha.length !== c || channels.length !== 3 * c) throw new CompileError(`${node.out}: PTS constants for ${alpha.length} channels, expected ${c}`);
  const out = new Uint8Array(21 * c);
  out.set(requantBytes(node.requant, c, node.out), 0);
  out.set(bytesOfInts(channels, 4), 8 * c);
  out.set(alpha, 20 * c);
  return ctx.constant(out, 21 * c);
}

/** Emit the LayerNorm of `rows` rows at `src` (the residual type, C per row) into `dst` (int8), its table at `table` in DRAM. */
export function emitLayerNorm(ctx: LowerCtx, node: LayerNormNode, table: number, src: number, srcType: DType, dst: number, dstType: DType, rows: number): void {
  const c = node.channels;
  const bytes = layerNormTableBytes(node);
  const tab = ctx.tablePool.alloc(`${node.out} table`);
  ctx.emit.load({ dram: table, dstride: bytes, local: tab, lstride: bytes, rows: 1, bytes });
  if (!node.pts) {
    ctx.emit.layernorm(spadOp(src, c, srcType), spadOp(dst, c, dstType), rows, c, tab + 8 * c, node.requant.perChannel ? 'channel' : 'tensor', tab);
  } else {
    const q = ctx.rowPool.alloc(`${node.out} int8 input rows`);
    ctx.emit.requant(spadOp(src, c, srcType), spadOp(q, c, 'i8'), rows, c, 'channel', tab);
    ctx.emit.ptsLayerNorm(spadOp(q, c, 'i8'), spadOp(dst, c, dstType), rows, c, tab + 20 * c, tab + 8 * c);
    ctx.rowPool.release(q);
  }
  ctx.tablePool.release(tab);
}
