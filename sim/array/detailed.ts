/**
 * The detailed array model: every PE's registers advance cycle by cycle (inputs moving right, partial sums or
 * weights moving down, double-buffered weights with fold tags, output-register drain chains). It computes the
 * values too, and asserts the protocol's invariants (a PE never swaps to weights that are not fully loaded, a
 * result is never deposited into a busy output register). It exists to validate the closed forms of
 * sim/array/timing.ts and is only meant for small shapes.
 */
import type { DataflowName } from './timing.js';
import { type ArrayGeometry, type GemmShape, ceilDiv } from './shape.js';

export interface DetailedResult {
  cycles: number;
  /** C[m×n] contributions (without any initial value) */
  values: Float64Array;
}

/** Operand accessors: A[i][q] (int8 or int16), B[j][q] (int8). */
export interface GemmOperands {
  a: (i: number, q: number) => number;
  b: (j: number, q: number) => number;
}

export class ArrayProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArrayProtocolError';
  }
}

export const DETAILED_MAX_WORK = 5_000_000;

/** The byte of A streamed in pass p: pass 0 the low byte (unsigned), pass 1 the high byte (signed). */
function passByte(v: number, pass: number, passes: number): number {
  if (passes === 1) return v;
  return pass === 0 ? v - Math.floor(v / 256) * 256 : Math.floor(v / 256);
}

export function detailedArray(g: ArrayGeometry, s: GemmShape, ops: GemmOperands, dataflow: DataflowName): DetailedResult {
  return dataflow === 'ws' ? detailedWs(g, s, ops) : detailedOs(g, s, ops);
}

interface Tagged {
  v: number;
  fold: number;
  row: number; // streamed row (ws) or pair index (os)
}

function detailedWs(g: ArrayGeometry, s: GemmShape, ops: GemmOperands): DetailedResult {
  const R = g.rows;
  const C = g.cols;
  const M = s.m * s.passes;
  const kTiles = ceilDiv(s.k, R);
  const nTiles = ceilDiv(s.n, C);
  const folds = kTiles * nTiles;
  const foldK0 = (f: number): number => (f % kTiles) * R;
  const foldJ0 = (f: number): number => Math.floor(f / kTiles) * C;
  const out = new Float64Array(s.m * s.n);
  const idx = (r: number, c: number): number => r * C + c;

  const aReg: (Tagged | null)[] = new Array(R * C).fill(null);
  const psum: (Tagged | null)[] = new Array(R * C).fill(null); // produced by PE(r,c) last cycle
  const active: (Tagged | null)[] = new Array(R * C).fill(null); // weight + fold tag (row = weight row)
  const shadow: (Tagged | null)[] = new Array(R * C).fill(null);

  // Loader: column c shifts fold f's weights during [L[f] + c, L[f] + c + R); L[f+1] is set when PE(R−1,0) swaps to fold f.
  const loadStarts: number[] = [0];
  // Injector state.
  let injFold = -1;
  let injStart = -1;
  let prevFold = -1;
  let prevStart = -1;
  let nextFold = 0;
  let outputsLeft = s.m * s.n * s.passes * kTiles;
  let lastOutput = -1;
  const limit = 4 * (R + folds * Math.max(M, 2 * R) + M + R + C) + 100;

  for (let t = -1; outputsLeft > 0; t++) {
    if (t > limit) throw new ArrayProtocolError(`weight-stationary detailed model did not finish within ${limit} cycles`);
    // 1. PEs compute from the registers as they are at the start of cycle t.
    const newPsum: (Tagged | null)[] = new Array(R * C).fill(null);
    let swappedBottom = false; // PE(R−1, 0) took fold a.fold's weights this cycle
    for (let r = 0; r < R; r++) {
      for (let c = 0; c < C; c++) {
        const a = aReg[idx(r, c)];
        if (!a) continue;
        let w = active[idx(r, c)];
        if (!w || w.fold !== a.fold) {
          const sh = shadow[idx(r, c)];
          if (!sh || sh.fold !== a.fold || sh.row !== r) {
            throw new ArrayProtocolError(
              `cycle ${t}: PE(${r},${c}) needs fold ${a.fold} weights but its shadow holds ${sh ? `fold ${sh.fold} row ${sh.row}` : 'nothing'}`,
            );
          }
          active[idx(r, c)] = sh;
          w = sh;
          if (r === R - 1 && c === 0) swappedBottom = true;
        }
        const above = r === 0 ? null : psum[idx(r - 1, c)];
        if (r > 0 && (!above || above.fold !== a.fold || above.row !== a.row)) {
          throw new ArrayProtocolError(`cycle ${t}: PE(${r},${c}) got a partial sum out of step with its input`);
        }
        newPsum[idx(r, c)] = { v: (above ? above.v : 0) + a.v * w.v, fold: a.fold, row: a.row };
      }
    }
    // Bottom row results go into the accumulator buffer.
    for (let c = 0; c < C; c++) {
      const p = newPsum[idx(R - 1, c)];
      if (!p) continue;
      const j = foldJ0(p.fold) + c;
      if (j >= s.n) continue;
      const pass = Math.floor(p.row / s.m);
      const i = p.row % s.m;
      out[i * s.n + j] += p.v * 256 ** pass;
      outputsLeft--;
      lastOutput = t;
    }
    // 2. Weight loaders shift (after the PEs have read their shadows this cycle).
    for (let c = 0; c < C; c++) {
      for (let f = loadStarts.length - 1; f >= 0; f--) {
        const p = t - loadStarts[f]! - c;
        if (p < 0) continue;
        if (p < R) {
          for (let r = R - 1; r > 0; r--) shadow[idx(r, c)] = shadow[idx(r - 1, c)]!;
          const wr = R - 1 - p; // the value pushed now ends up in row wr
          const j = foldJ0(f) + c;
          const q = foldK0(f) + wr;
          shadow[idx(0, c)] = { v: j < s.n && q < s.k ? ops.b(j, q) : 0, fold: f, row: wr };
        }
        break;
      }
    }
    // Column 0's shadows are free for the next fold once its bottom PE has taken the fold they held (a shift
    // moves every shadow of the column, so refilling earlier would corrupt weights not yet taken).
    if (swappedBottom && loadStarts.length < folds) loadStarts.push(t + 1);
    // 3. Move inputs right and inject new ones on the left, skewed by row.
    // The next fold streams from t+1 once the previous stream is done and column 0 holds its weights.
    const ready = loadStarts[nextFold];
    if (nextFold < folds && (injFold < 0 || t + 1 >= injStart + M) && ready !== undefined && t + 1 >= ready + R) {
      prevFold = injFold;
      prevStart = injStart;
      injFold = nextFold;
      injStart = t + 1;
      nextFold++;
    }
    for (let r = 0; r < R; r++) {
      for (let c = C - 1; c > 0; c--) aReg[idx(r, c)] = aReg[idx(r, c - 1)]!;
      aReg[idx(r, 0)] = null;
      // Row r lags row 0 by r cycles, so it may still be streaming the previous fold.
      for (const [f, start] of [
        [injFold, injStart],
        [prevFold, prevStart],
      ] as const) {
        const i = t + 1 - start - r;
        if (f < 0 || i < 0 || i >= M) continue;
        const q = foldK0(f) + r;
        const pass = Math.floor(i / s.m);
        const v = q < s.k ? passByte(ops.a(i % s.m, q), pass, s.passes) : 0;
        aReg[idx(r, 0)] = { v, fold: f, row: i };
        break;
      }
    }
    for (let x = 0; x < R * C; x++) psum[x] = newPsum[x]!;
  }
  return { cycles: lastOutput + 1, values: out };
}

function detailedOs(g: ArrayGeometry, s: GemmShape, ops: GemmOperands): DetailedResult {
  const R = g.rows;
  const C = g.cols;
  const K = s.k * s.passes;
  const mTiles = ceilDiv(s.m, R);
  const nTiles = ceilDiv(s.n, C);
  const tiles = mTiles * nTiles;
  const tileI0 = (t: number): number => Math.floor(t / nTiles) * R;
  const tileJ0 = (t: number): number => (t % nTiles) * C;
  const used = (t: number): { ru: number; cu: number } => ({ ru: Math.min(R, s.m - tileI0(t)), cu: Math.min(C, s.n - tileJ0(t)) });
  const out = new Float64Array(s.m * s.n);
  const idx = (r: number, c: number): number => r * C + c;
  const aReg: (Tagged | null)[] = new Array(R * C).fill(null);
  const bReg: (Tagged | null)[] = new Array(R * C).fill(null);
  const acc = new Float64Array(R * C);
  const outReg: (Tagged | null)[] = new Array(R * C).fill(null); // v, fold = tile, row = PE row of origin

  let tile = 0;
  let start = 0; // stream start of `tile`
  let deposited = 0;
  let drainFrom = -1; // first drain cycle of the tile being drained
  let drainTile = -1;
  let outputsLeft = s.m * s.n;
  let lastOutput = -1;
  const limit = 4 * (tiles * (K + R + C + R) + R) + 100;
  const termOf = (q: number): { pass: number; kk: number } => ({ pass: Math.floor(q / s.k), kk: q % s.k });

  for (let t = -1; outputsLeft > 0; t++) {
    if (t > limit) throw new ArrayProtocolError(`output-stationary detailed model did not finish within ${limit} cycles`);
    // Drain: emit the bottom output registers and shift every column down.
    if (drainTile >= 0 && t >= drainFrom && t < drainFrom + R) {
      for (let c = 0; c < C; c++) {
        const o = outReg[idx(R - 1, c)];
        if (o) {
          const i = tileI0(o.fold) + o.row;
          const j = tileJ0(o.fold) + c;
          out[i * s.n + j] += o.v;
          outputsLeft--;
          lastOutput = t;
        }
        for (let r = R - 1; r > 0; r--) outReg[idx(r, c)] = outReg[idx(r - 1, c)]!;
        outReg[idx(0, c)] = null;
      }
    }
    // PEs: multiply the pair in their registers.
    for (let r = 0; r < R; r++) {
      for (let c = 0; c < C; c++) {
        const a = aReg[idx(r, c)];
        const b = bReg[idx(r, c)];
        if (!a || !b) continue;
        if (a.fold !== b.fold || a.row !== b.row) throw new ArrayProtocolError(`cycle ${t}: PE(${r},${c}) got operands of different steps`);
        const { pass } = termOf(a.row);
        const prod = a.v * b.v * 256 ** pass;
        acc[idx(r, c)] = a.row === 0 ? prod : acc[idx(r, c)]! + prod;
        if (a.row === K - 1) {
          if (outReg[idx(r, c)]) throw new ArrayProtocolError(`cycle ${t}: PE(${r},${c}) finished tile ${a.fold} while its output register is still full`);
          if (drainTile >= 0 && t >= drainFrom && t < drainFrom + R - 1)
            throw new ArrayProtocolError(`cycle ${t}: PE(${r},${c}) deposits into a draining chain`);
          outReg[idx(r, c)] = { v: acc[idx(r, c)]!, fold: a.fold, row: r };
          deposited++;
        }
      }
    }
    // All used PEs of the streaming tile have deposited: drain from the next cycle, and schedule the next tile.
    const u = used(tile);
    if (tile < tiles && deposited === u.ru * u.cu) {
      drainTile = tile;
      drainFrom = t + 1;
      deposited = 0;
      tile++;
      start = t + 1 + Math.max(0, R - K);
    }
    // Move A right and B down; inject the current tile's next step, skewed.
    for (let r = 0; r < R; r++) {
      for (let c = C - 1; c > 0; c--) aReg[idx(r, c)] = aReg[idx(r, c - 1)]!;
      aReg[idx(r, 0)] = null;
    }
    for (let c = 0; c < C; c++) {
      for (let r = R - 1; r > 0; r--) bReg[idx(r, c)] = bReg[idx(r - 1, c)]!;
      bReg[idx(0, c)] = null;
    }
    if (tile < tiles) {
      const { ru, cu } = used(tile);
      for (let r = 0; r < ru; r++) {
        const q = t + 1 - start - r;
        if (q >= 0 && q < K) {
          const { pass, kk } = termOf(q);
          aReg[idx(r, 0)] = { v: passByte(ops.a(tileI0(tile) + r, kk), pass, s.passes), fold: tile, row: q };
        }
      }
      for (let c = 0; c < cu; c++) {
        const q = t + 1 - start - c;
        if (q >= 0 && q < K) bReg[idx(0, c)] = { v: ops.b(tileJ0(tile) + c, termOf(q).kk), fold: tile, row: q };
      }
    }
  }
  return { cycles: lastOutput + 1, values: out };
}
