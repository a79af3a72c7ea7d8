/**
 * SCALE-Sim v2's compute model (scalesim/compute/systolic_compute_{ws,os,is}.py), fold by fold, with no fold
 * overlap: the `array.model: "scalesim"` timing. SCALE-Sim builds per-fold demand matrices whose row count is
 * the fold's cycle count, concatenates the folds, and reports the serviced cycle of the last OFMAP demand row
 * as the layer's Total Cycles: Σ folds − 1 when the memory never stalls (its estimated-bandwidth mode, CALC).
 *
 * SCALE-Sim's GEMM is ifmap M×K times filter K×N into ofmap M×N (topology_utils.load_arrays_gemm turns a row
 * `M, N, K` into a 1-wide convolution: M output pixels, window K, N filters). Ours is C[m×n] += A[m×k]·B[n×k]ᵀ,
 * so A is the ifmap, Bᵀ the filter, C the ofmap, and int16 A's two int8 passes go where the array really
 * repeats them (scaleSimOperands). Per dataflow, with an R×C array:
 *   ws: filter stationary, folds ⌈K/R⌉·⌈N/C⌉ (column folds outer), each 2R + C + M − 2 rows
 *       (R cycles of weight load, M streamed rows, C − 1 of drain, R − 1 of skew);
 *   os: ofmap stationary, folds ⌈M/R⌉·⌈N/C⌉, each K + R + C − 2 rows (K pairs, C − 1 drain, R − 1 skew);
 *   is: ifmap stationary, folds ⌈K/R⌉·⌈M/C⌉, each 2R + C + N − 2 rows (WS with the roles of M and N swapped).
 * scripts/scalesim-compare.mjs runs SCALE-Sim itself on these shapes; docs/scalesim-comparison.json holds the
 * result and a test checks this model against every row of it.
 */
import { type ArrayGeometry, type ArrayTiming, type GemmShape, ceilDiv } from './shape.js';

export type ScaleSimDataflow = 'ws' | 'os' | 'is';

/** The GEMM SCALE-Sim is given for one of ours: ifmap M×K, filter K×N. */
export interface ScaleSimGemm {
  M: number;
  N: number;
  K: number;
}

/**
 * Our gemm in SCALE-Sim's terms. int16 A runs as `passes` int8 passes over the same B into the same C: in WS
 * the weights stay and A streams once per pass (M·passes rows); in OS and IS each pass is more reduction
 * (K·passes: the pass products add up in the PE's accumulator, or down the column).
 */
export function scaleSimOperands(s: GemmShape, dataflow: ScaleSimDataflow): ScaleSimGemm {
  return dataflow === 'ws' ? { M: s.m * s.passes, N: s.n, K: s.k } : { M: s.m, N: s.n, K: s.k * s.passes };
}

/** How SCALE-Sim tiles the stationary operand over the R×C array, and the demand rows of one fold. */
interface Folding {
  rowTiles: number;
  colTiles: number;
  /** the stationary operand's extent along the array's rows and along its columns */
  rowExtent: number;
  colExtent: number;
  foldCycles: number;
}

function folding(g: ArrayGeometry, q: ScaleSimGemm, dataflow: ScaleSimDataflow): Folding {
  const R = g.rows;
  const C = g.cols;
  switch (dataflow) {
    case 'ws':
      return { rowTiles: ceilDiv(q.K, R), colTiles: ceilDiv(q.N, C), rowExtent: q.K, colExtent: q.N, foldCycles: 2 * R + C + q.M - 2 };
    case 'os':
      return { rowTiles: ceilDiv(q.M, R), colTiles: ceilDiv(q.N, C), rowExtent: q.M, colExtent: q.N, foldCycles: q.K + R + C - 2 };
    case 'is':
      return { rowTiles: ceilDiv(q.K, R), colTiles: ceilDiv(q.M, C), rowExtent: q.K, colExtent: q.M, foldCycles: 2 * R + C + q.N - 2 };
  }
}

/** SCALE-Sim v2's cycles for one of our gemms (stall-free), with its mapping efficiency. */
export function scaleSimTiming(g: ArrayGeometry, s: GemmShape, dataflow: ScaleSimDataflow): ArrayTiming {
  const f = folding(g, scaleSimOperands(s, dataflow), dataflow);
  const folds = f.rowTiles * f.colTiles;
  // Σ over folds of used PEs factors into (Σ used rows)·(Σ used columns)
  let usedRows = 0;
  for (let t = 0; t < f.rowTiles; t++) usedRows += Math.min(g.rows, f.rowExtent - t * g.rows);
  let usedCols = 0;
  for (let t = 0; t < f.colTiles; t++) usedCols += Math.min(g.cols, f.colExtent - t * g.cols);
  return {
    cycles: folds * f.foldCycles - 1,
    folds,
    mappingEfficiency: (usedRows * usedCols) / (folds * g.rows * g.cols),
    peOps: s.m * s.n * s.k * s.passes,
  };
}

/** SRAM words a gemm moves, counted as SCALE-Sim counts its demand-matrix entries (ifmap/filter reads, ofmap writes). */
export interface SramWords {
  ifmapReads: number;
  filterReads: number;
  ofmapWrites: number;
}

/**
 * SCALE-Sim's SRAM counts for one of our gemms: the stationary operand is read once, the streamed ones once per
 * fold across them, partial sums written once per reduction fold. (SCALE-Sim's OS ofmap count also adds R + C
 * per fold, an artefact of its padded fold matrices; not counted here.)
 */
export function scaleSimSramWords(g: ArrayGeometry, s: GemmShape, dataflow: ScaleSimDataflow): SramWords {
  const q = scaleSimOperands(s, dataflow);
  const mk = q.M * q.K;
  const kn = q.K * q.N;
  const mn = q.M * q.N;
  switch (dataflow) {
    case 'ws':
      return { ifmapReads: ceilDiv(q.N, g.cols) * mk, filterReads: kn, ofmapWrites: ceilDiv(q.K, g.rows) * mn };
    case 'os':
      return { ifmapReads: ceilDiv(q.N, g.cols) * mk, filterReads: ceilDiv(q.M, g.rows) * kn, ofmapWrites: mn };
    case 'is':
      return { ifmapReads: mk, filterReads: ceilDiv(q.M, g.cols) * kn, ofmapWrites: ceilDiv(q.K, g.rows) * mn };
  }
}
