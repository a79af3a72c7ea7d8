/**
 * Row chains: runs of row-local operators (patch embedding, linear layers, residual adds, LayerNorm,
 * ShiftGELU) lowered tile by tile over the tokens. A tile's intermediate results stay on chip from one
 * operator to the next (each is also stored to DRAM, where the checker reads every layer back); inputs from
 * outside the chain are loaded from DRAM. The tiles are software-pipelined by stage (a stage ends at each
 * GEMM layer): while the array runs stage s of tile r, the SDU runs the epilogue (requant, residual,
 * LayerNorm, ShiftGELU) of the tiles ahead of it, so the non-linear work hides behind the array.
 */
import {
  DTYPE_BYTES,
  type DType,
  type GraphNode,
  type LayerNormNode,
  type LinearNode,
  type PatchEmbedNode,
  type ResidualNode,
  type ShiftGeluNode,
  matrixOf,
} from '../graph/graph.js';
import { emitLayerNorm, placeLayerNormTable } from './lower-layernorm.js';
import type { LinearConstants, LowerCtx } from './context.js';
import { bytesOfInts } from './dram.js';
import { accOp, spadOp } from './emit.js';
import { CompileError } from './errors.js';

export type RowNode = PatchEmbedNode | LinearNode | ResidualNode | LayerNormNode | ShiftGeluNode;

export function isRowNode(n: GraphNode): n is RowNode {
  if (n.op === 'layernorm') return n.rows === 'all';
  if (n.op === 'linear') return n.requant !== undefined;
  return n.op === 'patch_embed' || n.op === 'residual' || n.op === 'shiftgelu';
}

interface Tile {
  r0: number;
  rows: number;
}

interface OnChip {
  addr: number;
  cols: number;
  dtype: DType;
}

/** Constants of one node, placed once in DRAM and loaded per tile. */
type NodeConstants =
  | { op: 'linear' | 'patch_embed'; lin: LinearConstants; cls?: number }
  | { op: 'layernorm'; table: number }
  | { op: 'residual'; pairs: number; pos?: number }
  | { op: 'shiftgelu'; pairs: number };

export function lowerRowChain(ctx: LowerCtx, chain: readonly RowNode[], nodeIds: readonly number[]): void {
  const consts = chain.map((n) => placeConstants(ctx, n));
  // last chain index that reads each tensor: on-chip copies live until then
  const lastUse = new Map<string, number>();
  chain.forEach((n, i) => {
    for (const t of inputsOf(n)) lastUse.set(t, i);
  });
  // stages: each starts at a GEMM layer (its matrix work) and carries the SDU-only nodes after it (its epilogue)
  const stageOf: number[] = [];
  let s = 0;
  chain.forEach((n, i) => {
    if (i > 0 && isGemm(n)) s++;
    stageOf.push(s);
  });
  const stages = s + 1;
  const tiles = ctx.plan.rowTiles;
  const state = tiles.map(() => new Map<string, OnChip>());
  // one report region per chain: its layers interleave, so finer labels would misattribute cycles
  ctx.emit.region(`${chain[0]!.out}..${chain[chain.length - 1]!.out}`);
  const emitNodes = (st: number, r: number, gemmPart: boolean): void => {
    if (r < 0 || r >= tiles.length) return;
    chain.forEach((node, i) => {
      if (stageOf[i] !== st || isGemm(node) !== gemmPart) return;
      ctx.emit.node = nodeIds[i]!;
      lowerNode(ctx, node, consts[i]!, tiles[r]!, state[r]!);
      // release on-chip tensors nobody later in the chain reads
      for (const [name, oc] of state[r]!) {
        if ((lastUse.get(name) ?? -1) <= i) {
          ctx.rowPool.release(oc.addr);
          state[r]!.delete(name);
        }
      }
    });
  };
  // Wavefront: step t runs stage st of tile t − st, earlier stages first. A stage's epilogue is emitted after
  // the next stage's GEMMs, so the in-order SDU requantises the array's output tiles as they come instead of
  // holding them (and the accumulator slots) behind a LayerNorm or ShiftGELU that nothing needs yet.
  if (!ctx.pipelined) {
    // tile by tile: the fewest buffers alive, the least overlap
    for (let r = 0; r < tiles.length; r++) {
      for (let st = 0; st < stages; st++) {
        emitNodes(st, r, true);
        emitNodes(st, r, false);
      }
    }
    return;
  }
  for (let t = 0; t < tiles.length + stages; t++) {
    for (let st = 0; st < stages; st++) {
      // the previous stage's epilogue goes in after this stage's first column tile: early enough that the
      // array never waits for it at the end of the chain, late enough not to hold up that tile's requant
      let pending: (() => void) | undefined = () => emitNodes(st - 1, t - st + 1, false);
      ctx.afterFirstColumnTile = () => {
        pending?.();
        pending = undefined;
      };
      emitNodes(st, t - st, true);
      ctx.afterFirstColumnTile = undefined;
      pending?.();
    }
    emitNodes(stages - 1, t - stages + 1, false);
  }
}

function isGemm(n: RowNode): boolean {
  return n.op === 'linear' || n.op === 'patch_embed';
}

function inputsOf(n: RowNode): string[] {
  switch (n.op) {
    case 'patch_embed':
      return [];
    case 'linear':
    case 'layernorm':
    case 'shiftgelu':
      return [n.input];
    case 'residual':
      return n.skip === 'pos' ? [n.main] : [n.main, n.skip];
  }
}

function placeConstants(ctx: LowerCtx, n: RowNode): NodeConstants {
  const g = ctx.graph;
  switch (n.op) {
    case 'patch_embed': {
      const lin = ctx.linearConstants(n.weights, n.requant, n.out);
      return { op: 'patch_embed', lin };
    }
    case 'linear':
      return { op: 'linear', lin: ctx.linearConstants(n.weights, n.requant, n.out) };
    case 'layernorm':
      return { op: 'layernorm', table: placeLayerNormTable(ctx, n) };
    case 'residual': {
      const pairs = ctx.pairs(n.dyadics ? [n.dyadics.main, n.dyadics.skip] : [undefined, undefined], n.out);
      if (n.skip !== 'pos') return { op: 'residual', pairs };
      const c = g.config.embedDim;
      const pos = ctx.constant(g.pos ? bytesOfInts(g.pos, 2) : undefined, 2 * g.tokens * c);
      return { op: 'residual', pairs, pos };
    }
    case 'shiftgelu':
      return { op: 'shiftgelu', pairs: ctx.pairs([n.requant], n.out) };
  }
}

/** The tile of a tensor on chip: from this chain, or loaded from DRAM. */
function onChip(ctx: LowerCtx, name: string, tile: Tile, state: Map<string, OnChip>): OnChip {
  const have = state.get(name);
  if (have) return have;
  const t = ctx.tensor(name);
  const { cols } = matrixOf(t);
  const rb = cols * DTYPE_BYTES[t.dtype];
  const addr = ctx.rowPool.alloc(`${name} rows ${tile.r0}+${tile.rows}`);
  ctx.emit.load({ dram: ctx.addrOf(name) + tile.r0 * rb, dstride: rb, local: addr, lstride: rb, rows: tile.rows, bytes: rb });
  const oc = { addr, cols, dtype: t.dtype };
  state.set(name, oc);
  return oc;
}

function newOutput(ctx: LowerCtx, name: string, tile: Tile, state: Map<string, OnChip>): OnChip {
  const t = ctx.tensor(name);
  const oc = { addr: ctx.rowPool.alloc(`${name} rows ${tile.r0}+${tile.rows}`), cols: matrixOf(t).cols, dtype: t.dtype };
  state.set(name, oc);
  return oc;
}

function storeRows(ctx: LowerCtx, name: string, oc: OnChip, r0: number, rows: number, localRow = 0): void {
  const rb = oc.cols * DTYPE_BYTES[oc.dtype];
  ctx.emit.store({ dram: ctx.addrOf(name) + r0 * rb, dstride: rb, local: oc.addr + localRow * rb, lstride: rb, rows, bytes: rb });
}

function lowerNode(ctx: LowerCtx, node: RowNode, k: NodeConstants, tile: Tile, state: Map<string, OnChip>): void {
  switch (node.op) {
    case 'patch_embed':
      return lowerPatchEmbed(ctx, node, k as { lin: LinearConstants }, tile, state);
    case 'linear': {
      const a = onChip(ctx, node.input, tile, state);
      const out = newOutput(ctx, node.out, tile, state);
      gemmTiles(ctx, node.out, (k as { lin: LinearConstants }).lin, a.addr, a.cols, tile.rows, out, 0, node.weights.outFeatures);
      storeRows(ctx, node.out, out, tile.r0, tile.rows);
      return;
    }
    case 'layernorm': {
      const x = onChip(ctx, node.input, tile, state);
      const out = newOutput(ctx, node.out, tile, state);
      emitLayerNorm(ctx, node, (k as Extract<NodeConstants, { op: 'layernorm' }>).table, x.addr, x.dtype, out.addr, out.dtype, tile.rows);
      storeRows(ctx, node.out, out, tile.r0, tile.rows);
      return;
    }
    case 'residual': {
      const kr = k as Extract<NodeConstants, { op: 'residual' }>;
      const main = onChip(ctx, node.main, tile, state);
      let skip: OnChip;
      let skipSlot: number | undefined;
      if (node.skip === 'pos') {
        const rb = main.cols * 2;
        skipSlot = ctx.rowPool.alloc(`pos rows ${tile.r0}`);
        ctx.emit.load({ dram: kr.pos! + tile.r0 * rb, dstride: rb, local: skipSlot, lstride: rb, rows: tile.rows, bytes: rb });
        skip = { addr: skipSlot, cols: main.cols, dtype: 'i16' };
      } else {
        skip = onChip(ctx, node.skip, tile, state);
      }
      const out = newOutput(ctx, node.out, tile, state);
      const tab = kr.pairs;
      ctx.emit.resadd(
        spadOp(main.addr, main.cols, main.dtype),
        spadOp(skip.addr, skip.cols, skip.dtype),
        spadOp(out.addr, out.cols, out.dtype),
        tile.rows,
        main.cols,
        tab,
        tab + 8,
      );
      if (skipSlot !== undefined) ctx.rowPool.release(skipSlot);
      storeRows(ctx, node.out, out, tile.r0, tile.rows);
      return;
    }
    case 'shiftgelu': {
      const kg = k as Extract<NodeConstants, { op: 'shiftgelu' }>;
      const x = onChip(ctx, node.input, tile, state);
      const out = newOutput(ctx, node.out, tile, state);
      const tab = kg.pairs;
      ctx.emit.shiftgelu(
        spadOp(x.addr, x.cols, x.dtype),
        spadOp(out.addr, out.cols, out.dtype),
        tile.rows,
        x.cols,
        node.x0 ?? -1,
        node.n,
        node.k,
        'tensor',
        tab,
      );
      storeRows(ctx, node.out, out, tile.r0, tile.rows);
      return;
    }
  }
}

/**
 * out[:, j0 .. j0+n) = requant(A · W[j0 .. j0+n)ᵀ + bias) in column tiles: the layer's requant table and bias
 * row are loaded once per row tile; each column tile loads its weights, starts its accumulators from its bias
 * slice, and is requantised by the SDU while the array runs the next tile.
 */
export function gemmTiles(ctx: LowerCtx, what: string, lin: LinearConstants, a: number, k: number, m: number, out: OnChip, outRow: number, n: number): void {
  if (lin.table === undefined) throw new Error(`${what}: a row-chain linear layer needs its requant table`);
  const w = ctx.plan.colTile(k, m);
  if (w < 1) throw new CompileError(`${what}: no weight tile fits (K = ${k}, ${m} rows)`);
  const outBytes = DTYPE_BYTES[out.dtype];
  const tab = ctx.tablePool.alloc(`${what} requant table`);
  ctx.emit.load({ dram: lin.table, dstride: 8 * n, local: tab, lstride: 8 * n, rows: 1, bytes: 8 * n });
  const biasRow = ctx.biasPool?.alloc(`${what} bias`);
  if (biasRow !== undefined) ctx.emit.load({ dram: lin.bias, dstride: 4 * n, space: 'acc', local: biasRow, lstride: n, rows: 1, bytes: 4 * n });
  for (let j0 = 0; j0 < n; j0 += w) {
    const cols = Math.min(w, n - j0);
    const ws = ctx.weightPool.alloc(`${what} weights ${j0}`);
    ctx.emit.load({ dram: lin.weight + j0 * k, dstride: k, local: ws, lstride: k, rows: cols, bytes: k });
    const cs = ctx.accPool.alloc(`${what} accumulators ${j0}`);
    let bias: number;
    if (biasRow !== undefined) bias = biasRow + j0;
    else {
      bias = cs + m * cols;
      ctx.emit.load({ dram: lin.bias + 4 * j0, dstride: 4 * cols, space: 'acc', local: bias, lstride: cols, rows: 1, bytes: 4 * cols });
    }
    ctx.emit.gemm({ a, astride: k, atype: 'i8', b: ws, bstride: k, c: cs, cstride: cols, init: 'bias', bias, m, n: cols, k });
    ctx.weightPool.release(ws);
    const dst = spadOp(out.addr + (outRow * out.cols + j0) * outBytes, out.cols, out.dtype);
    ctx.emit.requant(accOp(cs, cols), dst, m, cols, 'channel', tab + 8 * j0);
    ctx.accPool.release(cs);
    if (j0 === 0 && ctx.afterFirstColumnTile) {
      const hook = ctx.afterFirstColumnTile;
      ctx.afterFirstColumnTile = undefined;
      const node = ctx.emit.node;
      hook();
      ctx.emit.node = node;
    }
  }
  if (biasRow !== undefined) ctx.biasPool!.release(biasRow);
  ctx.tablePool.release(tab);
}

/** Tokens r0.. of the patch embedding: row 0 is the class token, the others are image patches (im2col by DMA). */
function lowerPatchEmbed(ctx: LowerCtx, node: PatchEmbedNode, k: { lin: LinearConstants }, tile: Tile, state: Map<string, OnChip>): void {
  const g = ctx.graph.config;
  const p = g.patchSize;
  const side = g.imageSize / p;
  const pv = g.inChannels * p * p;
  const imageAddr = ctx.addrOf('image');
  const first = Math.max(tile.r0, 1) - 1; // first patch in the tile
  const end = tile.r0 + tile.rows - 1; // one past the last patch
  const out = newOutput(ctx, node.out, tile, state);
  const clsRow = tile.r0 === 0 ? 1 : 0;
  const patchesHere = end - first;
  if (clsRow) {
    // the class token is part of the model: it sits in row 0 of the patch tensor's DRAM image
    const rb = out.cols * 2;
    ctx.emit.load({ dram: ctx.addrOf(node.out), dstride: rb, local: out.addr, lstride: rb, rows: 1, bytes: rb });
  }
  if (patchesHere > 0) {
    const a = ctx.rowPool.alloc(`patches ${first}+${patchesHere}`);
    // one DMA per (patch row, channel, kernel row): the px patches of that image row, P bytes each
    for (let py = Math.floor(first / side); py * side < end; py++) {
      const px0 = Math.max(first, py * side) - py * side;
      const px1 = Math.min(end, (py + 1) * side) - py * side;
      const localPatch = py * side + px0 - first;
      for (let ch = 0; ch < g.inChannels; ch++) {
        for (let ky = 0; ky < p; ky++) {
          ctx.emit.load({
            dram: imageAddr + ch * g.imageSize * g.imageSize + (py * p + ky) * g.imageSize + px0 * p,
            dstride: p,
            local: a + localPatch * pv + ch * p * p + ky * p,
            lstride: pv,
            rows: px1 - px0,
            bytes: p,
          });
        }
      }
    }
    gemmTiles(ctx, node.out, k.lin, a, pv, patchesHere, out, clsRow, node.weights.outFeatures);
    ctx.rowPool.release(a);
  }
  storeRows(ctx, node.out, out, tile.r0 + clsRow, tile.rows - clsRow, clsRow);
}
