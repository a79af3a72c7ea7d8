/**
 * Multi-head attention, head by head and query tile by query tile. K and V of a head are fetched from the
 * qkv tensor in DRAM with strided DMAs (d bytes out of every 3C-byte row). Qₜ·Kᵀ reads K as the B operand
 * directly (B[j][q] = K[j][q]); P·V uses V in place as the transposed operand (bstride 1, bstep d), so no
 * transpose is ever materialised. Logits are requantised and Shiftmax'd by the SDU; the int16 probabilities
 * run through the array as two int8 passes. With FQ-ViT's LIS the SDU writes b-bit codes instead and P·V runs in
 * the array's shift mode (Σ (V << F) >> code, one pass). The tiles are skewed by two (the array runs Q·Kᵀ of tile i
 * before P·V of tile i), so Shiftmax of one tile overlaps the array's work on its neighbours.
 */
import { DTYPE_BYTES, type AttentionContextNode, type AttentionScoresNode, type LisNode, type ShiftmaxNode } from '../graph/graph.js';
import type { LowerCtx } from './context.js';
import { accOp, spadOp } from './emit.js';
import { CompileError } from './errors.js';
import { SlotPool } from './pool.js';

/** buffers one head pair and the skewed tasks keep alive at once */
const WHOLE_SLOTS_WANTED = 10;

interface Task {
  h: number;
  r0: number;
  rows: number;
  firstOfHead: boolean;
  lastOfHead: boolean;
}

export function lowerAttention(
  ctx: LowerCtx,
  scores: AttentionScoresNode,
  sm: ShiftmaxNode | LisNode,
  cx: AttentionContextNode,
  nodeIds: readonly [number, number, number],
): void {
  const g = ctx.graph;
  const n = g.tokens;
  const d = scores.headDim;
  const c = g.config.embedDim;
  const probsType = ctx.tensor(sm.out).dtype;
  if (probsType === 'i32') throw new CompileError(`${sm.out}: Shiftmax outputs wider than 16 bits cannot feed the int8/int16 array`);
  const pb = DTYPE_BYTES[probsType];
  const qkv = ctx.addrOf(scores.qkv);
  const logits = ctx.addrOf(scores.out);
  const probs = ctx.addrOf(sm.out);
  const av = ctx.addrOf(cx.out);
  const tab = ctx.pairs([scores.requant, cx.requant], scores.out);
  const ta = ctx.plan.attnTile;
  // Whole row slots when there are enough (each buffer in banks of its own: no bank-lock contention);
  // otherwise carve the row slots into power-of-two shares (none straddles a bank) to have enough buffers.
  const need = Math.max(n * d, ta * n * pb, ta * n, ta * d * 4);
  const rows = ctx.rowPool.takeAll('attention');
  let small = ctx.rowPool.slotSize;
  if (rows.length < WHOLE_SLOTS_WANTED) {
    small = 64;
    while (small < need) small *= 2;
  }
  const per = Math.max(1, Math.floor(ctx.rowPool.slotSize / small));
  if (per === 1) small = ctx.rowPool.slotSize;
  const pool = SlotPool.over(
    'attention',
    rows.flatMap((r) => Array.from({ length: per }, (_, i) => r + i * small)),
    small,
  );

  ctx.emit.node = nodeIds[0];
  ctx.emit.region(`${scores.layer}.attention`);

  const tasks: Task[] = [];
  for (let h = 0; h < scores.heads; h++) {
    for (let r0 = 0; r0 < n; r0 += ta) tasks.push({ h, r0, rows: Math.min(ta, n - r0), firstOfHead: r0 === 0, lastOfHead: r0 + ta >= n });
  }
  const kv = new Map<number, { k: number; v: number }>();
  const probSlot = new Map<Task, number>();

  const scoresOf = (t: Task): void => {
    ctx.emit.node = nodeIds[0];
    if (t.firstOfHead) {
      const k = pool.alloc(`K of head ${t.h}`);
      const v = pool.alloc(`V of head ${t.h}`);
      ctx.emit.load({ dram: qkv + c + t.h * d, dstride: 3 * c, local: k, lstride: d, rows: n, bytes: d });
      ctx.emit.load({ dram: qkv + 2 * c + t.h * d, dstride: 3 * c, local: v, lstride: d, rows: n, bytes: d });
      kv.set(t.h, { k, v });
    }
    const { k } = kv.get(t.h)!;
    const q = pool.alloc(`Q rows ${t.r0}`);
    ctx.emit.load({ dram: qkv + t.r0 * 3 * c + t.h * d, dstride: 3 * c, local: q, lstride: d, rows: t.rows, bytes: d });
    const acc = ctx.accPool.alloc(`logits of head ${t.h}`);
    ctx.emit.gemm({ a: q, astride: d, atype: 'i8', b: k, bstride: d, c: acc, cstride: n, init: 'zero', m: t.rows, n, k: d });
    pool.release(q);
    const l8 = pool.alloc('int8 logits');
    ctx.emit.requant(accOp(acc, n), spadOp(l8, n, 'i8'), t.rows, n, 'tensor', tab);
    ctx.accPool.release(acc);
    ctx.emit.store({ dram: logits + (t.h * n + t.r0) * n, dstride: n, local: l8, lstride: n, rows: t.rows, bytes: n });
    ctx.emit.node = nodeIds[1];
    const p = pool.alloc('probabilities');
    if (sm.op === 'lis') ctx.emit.lis(spadOp(l8, n, 'i8'), spadOp(p, n, probsType), t.rows, n, { ...(sm.constants ?? { x0: -1, b: 0, c: 0 }), bits: sm.bits });
    else ctx.emit.shiftmax(spadOp(l8, n, 'i8'), spadOp(p, n, probsType), t.rows, n, sm.x0 ?? -1, sm.n, sm.k);
    pool.release(l8);
    ctx.emit.store({ dram: probs + (t.h * n + t.r0) * n * pb, dstride: n * pb, local: p, lstride: n * pb, rows: t.rows, bytes: n * pb });
    probSlot.set(t, p);
  };

  const contextOf = (t: Task): void => {
    ctx.emit.node = nodeIds[2];
    const p = probSlot.get(t)!;
    const { v } = kv.get(t.h)!;
    const acc = ctx.accPool.alloc(`context of head ${t.h}`);
    ctx.emit.gemm({
      a: p,
      astride: n,
      atype: probsType === 'i8' ? 'i8' : 'i16',
      b: v,
      bstride: 1,
      bstep: d,
      c: acc,
      cstride: d,
      init: 'zero',
      m: t.rows,
      n: d,
      k: n,
      ...(cx.shiftFracBits !== undefined ? { amode: 'shift' as const, fbits: cx.shiftFracBits } : {}),
    });
    pool.release(p);
    const o = pool.alloc('int8 context');
    ctx.emit.requant(accOp(acc, d), spadOp(o, d, 'i8'), t.rows, d, 'tensor', tab + 8);
    ctx.accPool.release(acc);
    ctx.emit.store({ dram: av + t.r0 * c + t.h * d, dstride: c, local: o, lstride: d, rows: t.rows, bytes: d });
    pool.release(o);
    if (t.lastOfHead) {
      const { k } = kv.get(t.h)!;
      pool.release(k);
      pool.release(v);
      kv.delete(t.h);
    }
  };

  // P·V of task i waits for its Shiftmax: the array runs the logits of the next SKEW tasks meanwhile
  const SKEW = 2;
  tasks.forEach((t, i) => {
    scoresOf(t);
    if (i >= SKEW) contextOf(tasks[i - SKEW]!);
  });
  for (let i = Math.max(0, tasks.length - SKEW); i < tasks.length; i++) contextOf(tasks[i]!);
  for (const r of rows) ctx.rowPool.release(r);
}
