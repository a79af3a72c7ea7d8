/** Shiftmax (numerics.md §3): integer softmax of one row with one divide per row. */
import type { Flavour } from '../constants.js';
import { INT31_MAX, checkSigned, checkUnsigned, floorDiv, pow2 } from '../intmath.js';
import { shiftExp } from './shift-exp.js';

export interface ShiftmaxParams {
  x0: number;
  n: number;
  k: number;
  flavour: Flavour;
  /** width of the input logits (8) and of the exp values (32, unsigned) */
  inputBits: number;
  expBits: number;
}

export interface ShiftmaxResult {
  out: number[];
  /** Σ E_j saturated at 2^31 − 1 */
  sum: number;
  /** F = ⌊(2^31 − 1) / Σ⌋ */
  factor: number;
  max: number;
  exp: number[];
}

/** One row. out_j = (E_j · F) >> (32 − k), scale 2^−(k−1). */
export function shiftmaxRow(x: ArrayLike<number>, p: ShiftmaxParams, site: string): ShiftmaxResult {
  if (x.length === 0) throw new RangeError(`shiftmax at ${site}: empty row`);
  let max = -Infinity;
  for (let j = 0; j < x.length; j++) {
    const v = checkSigned(x[j]!, p.inputBits, 'shiftmax input', site);
    if (v > max) max = v;
  }
  const exp = new Array<number>(x.length);
  let sum = 0;
  for (let j = 0; j < x.length; j++) {
    const e = shiftExp(x[j]! - max, p.x0, p.n, p.flavour).e;
    exp[j] = checkUnsigned(e, p.expBits, 'shiftmax exp', site);
    sum += e; // ≤ 2^32 · row length: exact
  }
  sum = Math.min(sum, INT31_MAX);
  const factor = floorDiv(INT31_MAX, sum);
  const div = pow2(32 - p.k);
  const out = exp.map((e) => Math.floor((e * factor) / div)); // E·F ≤ 2^31 − 1 since E ≤ Σ
  return { out, sum, factor, max, exp };
}
