/** A GEMM as the array sees it: C[m×n] += A[m×k]·B[n×k]ᵀ, with int16 A split into `passes` int8 passes. */
export interface GemmShape {
  m: number;
  n: number;
  k: number;
  /** 1 for int8 A, 2 for int16 A (a low unsigned byte pass and a high signed byte pass) */
  passes: number;
}

export interface ArrayGeometry {
  rows: number; // R
  cols: number; // C
}

/** What the array's timing model returns for one GEMM instruction. */
export interface ArrayTiming {
  /** cycles from the instruction's start to its last result written into the accumulator buffer */
  cycles: number;
  /** folds (weight-stationary) or output tiles (output-stationary) */
  folds: number;
  /** Σ over folds of used PEs / (R·C), divided by folds: SCALE-Sim's mapping efficiency */
  mappingEfficiency: number;
  /** PE-cycles doing a useful multiply-accumulate: m·n·k·passes */
  peOps: number;
}

export const ceilDiv = (a: number, b: number): number => Math.floor((a + b - 1) / b);
