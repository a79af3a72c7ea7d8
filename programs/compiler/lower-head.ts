/**
 * The head: I-LayerNorm of the class token only (row 0 of the last residual), its per-channel requant, the
 * classifier in column tiles, and two requants of each accumulator tile: by exactly 1 (m = 2^30, c = 30: the
 * raw int32 accumulators the golden model reports as "head") and per class to the common logit scale.
 */
import type { LayerNormNode, LinearNode, RequantNode } from '../graph/graph.js';
import type { LowerCtx } from './context.js';
import { emitLayerNorm, placeLayerNormTable } from './lower-layernorm.js';
import { accOp, spadOp } from './emit.js';
import { CompileError } from './errors.js';

export function lowerHead(ctx: LowerCtx, norm: LayerNormNode, head: LinearNode, logits: RequantNode, nodeIds: readonly [number, number, number]): void {
  const c = norm.channels;
  const classes = head.weights.outFeatures;
  const lnTable = placeLayerNormTable(ctx, norm);
  const lin = ctx.linearConstants(head.weights, logits.requant, head.out);
  const identity = ctx.pairs([{ m: 2 ** 30, c: 30 }], head.out);

  ctx.emit.node = nodeIds[0];
  ctx.emit.region('head');
  const xb = 2 * c;
  const x = ctx.rowPool.alloc('class token');
  ctx.emit.load({ dram: ctx.addrOf(norm.input), dstride: xb, local: x, lstride: xb, rows: 1, bytes: xb });
  const y = ctx.rowPool.alloc('normalised class token');
  emitLayerNorm(ctx, norm, lnTable, x, 'i16', y, 'i8', 1);
  ctx.rowPool.release(x);
  ctx.emit.store({ dram: ctx.addrOf(norm.out), dstride: c, local: y, lstride: c, rows: 1, bytes: c });

  ctx.emit.node = nodeIds[1];
  const one = identity;
  const raw = ctx.rowPool.alloc('head accumulators');
  const out = ctx.rowPool.alloc('logits');
  // each accumulator slot holds one tile's results and its bias slice: at most half a slot each
  const w = Math.min(ctx.plan.colTile(c, 1), Math.floor(ctx.plan.acc.slotSize / 2));
  const lt = ctx.tablePool.alloc('logit table');
  ctx.emit.load({ dram: lin.table!, dstride: 8 * classes, local: lt, lstride: 8 * classes, rows: 1, bytes: 8 * classes });
  if (w < 1) throw new CompileError(`${head.out}: no weight tile fits (K = ${c})`);
  for (let j0 = 0; j0 < classes; j0 += w) {
    const cols = Math.min(w, classes - j0);
    const ws = ctx.weightPool.alloc(`head weights ${j0}`);
    ctx.emit.load({ dram: lin.weight + j0 * c, dstride: c, local: ws, lstride: c, rows: cols, bytes: c });
    const cs = ctx.accPool.alloc(`head accumulators ${j0}`);
    ctx.emit.load({ dram: lin.bias + 4 * j0, dstride: 4 * cols, space: 'acc', local: cs + cols, lstride: cols, rows: 1, bytes: 4 * cols });
    ctx.emit.gemm({ a: y, astride: c, atype: 'i8', b: ws, bstride: c, c: cs, cstride: cols, init: 'bias', bias: cs + cols, m: 1, n: cols, k: c });
    ctx.emit.node = nodeIds[1];
    ctx.emit.requant(accOp(cs, cols), spadOp(raw + 4 * j0, classes, 'i32'), 1, cols, 'tensor', one);
    ctx.emit.node = nodeIds[2];
    ctx.emit.requant(accOp(cs, cols), spadOp(out + 4 * j0, classes, 'i32'), 1, cols, 'channel', lt + 8 * j0);
    ctx.emit.node = nodeIds[1];
    ctx.weightPool.release(ws);
    ctx.accPool.release(cs);
  }
  ctx.rowPool.release(y);
  ctx.tablePool.release(lt);
  ctx.emit.store({ dram: ctx.addrOf(head.out), dstride: 4 * classes, local: raw, lstride: 4 * classes, rows: 1, bytes: 4 * classes });
  ctx.emit.node = nodeIds[2];
  ctx.emit.store({ dram: ctx.addrOf(logits.out), dstride: 4 * classes, local: out, lstride: 4 * classes, rows: 1, bytes: 4 * classes });
  ctx.rowPool.release(raw);
  ctx.rowPool.release(out);
}
