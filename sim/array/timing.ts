/**
 * Tile-level (fast) timing of the systolic array. Closed forms per fold, derived from the register-level
 * behaviour that sim/array/detailed.ts simulates PE by PE; a property test checks they agree on every shape.
 *
 * Weight-stationary (PE(r,c) holds B[j0+c][k0+r]; A rows stream in from the left, skewed one cycle per row;
 * partial sums flow down and leave the bottom row into the accumulator):
 *   - each column's weight loader shifts R values down the column, column c skewed by c cycles; the first
 *     fold's weights are usable from cycle R;
 *   - fold f streams M' = m·passes rows starting at s_f; PE(r,c) sees streamed row i at s_f + i + r + c;
 *   - the shadow weight registers are refilled for fold f+1 from s_f + R, once the bottom PE of column 0 has
 *     taken fold f's weights (a shift disturbs every shadow of the column), so s_{f+1} = s_f + max(M', 2R);
 *   - the last result of fold f leaves PE(R−1, cu−1) at s_f + M' − 1 + R − 1 + cu − 1.
 *   Folds: output column tiles (outer) × reduction tiles (inner).
 *
 * Output-stationary (PE(r,c) accumulates C[i0+r][j0+c]; A enters from the left, B from the top, both skewed):
 *   - tile t streams K' = k·passes pairs from s_t; PE(r,c) does pair q at s_t + q + r + c;
 *   - all used PEs are done at D_t = s_t + K' + ru + cu − 2; the results then drain down the columns
 *     through R output registers, the last leaving at D_t + R − 1;
 *   - tile t+1 starts at D_t + max(0, R − K') so that its results never meet the previous drain.
 *   Tiles: row tiles (outer) × column tiles (inner).
 */
import { type ArrayGeometry, type ArrayTiming, type GemmShape, ceilDiv } from './shape.js';

export type DataflowName = 'ws' | 'os';

export function arrayTiming(g: ArrayGeometry, s: GemmShape, dataflow: DataflowName): ArrayTiming {
  return dataflow === 'ws' ? weightStationary(g, s) : outputStationary(g, s);
}

function weightStationary(g: ArrayGeometry, s: GemmShape): ArrayTiming {
  const R = g.rows;
  const C = g.cols;
  const streamed = s.m * s.passes;
  const kTiles = ceilDiv(s.k, R);
  const nTiles = ceilDiv(s.n, C);
  const step = Math.max(streamed, 2 * R);
  const folds = kTiles * nTiles;
  // The last fold ends last unless an earlier fold used more columns and the streams are short:
  // finish = max over column tiles of (start of that tile's last fold) + M' + R + cu − 2.
  let finish = 0;
  let usedSum = 0;
  for (let jt = 0; jt < nTiles; jt++) {
    const cu = Math.min(C, s.n - jt * C);
    const lastFoldOfTile = jt * kTiles + kTiles - 1;
    finish = Math.max(finish, R + lastFoldOfTile * step + streamed + R + cu - 2);
    for (let kt = 0; kt < kTiles; kt++) usedSum += Math.min(R, s.k - kt * R) * cu;
  }
  return { cycles: finish, folds, mappingEfficiency: usedSum / (folds * R * C), peOps: s.m * s.n * s.k * s.passes };
}

function outputStationary(g: ArrayGeometry, s: GemmShape): ArrayTiming {
  const R = g.rows;
  const C = g.cols;
  const depth = s.k * s.passes;
  const mTiles = ceilDiv(s.m, R);
  const nTiles = ceilDiv(s.n, C);
  const gap = Math.max(0, R - depth);
  let start = 0;
  let finish = 0;
  let usedSum = 0;
  for (let it = 0; it < mTiles; it++) {
    const ru = Math.min(R, s.m - it * R);
    for (let jt = 0; jt < nTiles; jt++) {
      const cu = Math.min(C, s.n - jt * C);
      const done = start + depth + ru + cu - 2;
      finish = done + R;
      start = done + gap;
      usedSum += ru * cu;
    }
  }
  const folds = mTiles * nTiles;
  return { cycles: finish, folds, mappingEfficiency: usedSum / (folds * R * C), peOps: s.m * s.n * s.k * s.passes };
}
