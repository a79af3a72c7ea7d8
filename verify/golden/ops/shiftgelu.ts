/** ShiftGELU (numerics.md §4): x·σ(1.702x) with the shift-exp and one exact divide per element. */
import type { Flavour } from '../constants.js';
import { INT31_MAX, checkSigned, floorDiv, pow2 } from '../intmath.js';
import { EXP_SATURATION, shiftExp } from './shift-exp.js';

export interface ShiftGeluParams {
  x0: number; // from S_σ = fl32(S · fl32(1.702))
  n: number;
  k: number;
  flavour: Flavour;
  inputBits: number;
}

export interface ShiftGeluResult {
  out: number[]; // x · σ, scale S · 2^−(k−1)
  sigma: number[]; // uint(k−1), scale 2^−(k−1)
  max: number;
  /** e^(−M) term, saturated at 2^31 − 1 (same D as the exact value, because E_j ≥ 0) */
  expMax: number;
}

/** One row over the hidden dimension (the row max makes it a two-pass unit). */
export function shiftGeluRow(x: ArrayLike<number>, p: ShiftGeluParams, site: string): ShiftGeluResult {
  if (x.length === 0) throw new RangeError(`shiftgelu at ${site}: empty row`);
  let max = -Infinity;
  for (let j = 0; j < x.length; j++) {
    const v = checkSigned(x[j]!, p.inputBits, 'shiftgelu input', site);
    if (v > max) max = v;
  }
  const expMax = shiftExp(-max, p.x0, p.n, p.flavour, EXP_SATURATION).e;
  const div = pow2(32 - p.k);
  const sigma = new Array<number>(x.length);
  const out = new Array<number>(x.length);
  for (let j = 0; j < x.length; j++) {
    const e = shiftExp(x[j]! - max, p.x0, p.n, p.flavour, EXP_SATURATION).e;
    const d = Math.min(e + expMax, INT31_MAX);
    const f = floorDiv(INT31_MAX, d);
    const s = Math.floor((e * f) / div); // E·F ≤ 2^31 − 1
    sigma[j] = s;
    out[j] = x[j]! * s + 0; // + 0: a negative x with σ = 0 must give 0, not −0
  }
  return { out, sigma, max, expMax };
}
