/**
 * I-LayerNorm over many rows in one tight loop: the golden row op's formulas (numerics.md §5) on typed arrays,
 * with no array built per row. The per-row steps (mean, square root, reciprocal) are the golden helpers
 * themselves. A row with a value outside a declared width (input, variance, output) is handed to the golden row
 * op, so the error raised is the golden one; inputs wider than 16 bits take the golden op for every row (its
 * variance sum is exact only below that). A property test compares this kernel with layerNormRow.
 */
import { INT31_MAX, floorDiv, roundHalfEvenDiv, truncDiv } from '../../verify/golden/intmath.js';
import { type LayerNormParams, layerNormRow } from '../../verify/golden/ops/layernorm.js';
import { floorSqrt, newtonSqrt10 } from '../../verify/golden/ops/isqrt.js';

/** LayerNorm of each row of a row-major block into `out` (bias: one integer per column, or none). */
export function layerNormRows(
  src: Int32Array,
  rows: number,
  cols: number,
  bias: ArrayLike<number> | undefined,
  p: LayerNormParams,
  site: string,
  out: Float64Array,
): void {
  const slow = (r: number): void => {
    out.set(layerNormRow(src.subarray(r * cols, (r + 1) * cols), bias, p, `${site} row ${r}`).out, r * cols);
  };
  if (p.inputBits > 16 || cols === 0 || (bias && bias.length !== cols)) {
    for (let r = 0; r < rows; r++) slow(r);
    return;
  }
  const inHi = 2 ** (p.inputBits - 1) - 1;
  const inLo = -inHi - 1;
  const varHi = 2 ** p.varianceBits - 1;
  const outHi = 2 ** (p.outputBits - 1) - 1;
  const outLo = -outHi - 1;
  const truncHalve = p.halve === 'trunc';
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let sum = 0;
    let inRange = true;
    for (let i = base; i < base + cols; i++) {
      const x = src[i]!;
      if (x < inLo || x > inHi) inRange = false;
      sum += x;
    }
    if (!inRange) {
      slow(r);
      continue;
    }
    const mean = p.mean === 'trunc' ? truncDiv(sum, cols) : roundHalfEvenDiv(sum, cols);
    let v = 0;
    for (let i = base; i < base + cols; i++) {
      const y = src[i]! - mean;
      v += y * y; // each ≤ 2^34 and C ≤ 2^18: the running sum stays below 2^53, as in the golden op
    }
    if (v > varHi) {
      slow(r);
      continue;
    }
    const std = p.sqrt === 'floor' ? Math.max(1, floorSqrt(v)) : newtonSqrt10(v);
    const factor = floorDiv(INT31_MAX, std);
    let outOfRange = false;
    for (let i = base, c = 0; i < base + cols; i++, c++) {
      const prod = (src[i]! - mean) * factor; // |y|·F < 2^48: exact, and halving it is exact too
      const z = truncHalve ? Math.trunc(prod / 2) : Math.floor(prod / 2);
      const o = z + (bias ? bias[c]! : 0);
      if (o < outLo || o > outHi) outOfRange = true;
      out[i] = o + 0; // + 0: 0, not −0, like layerNormRow
    }
    if (outOfRange) slow(r);
  }
}
