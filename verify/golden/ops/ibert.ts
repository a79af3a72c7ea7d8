/**
 * I-BERT's integer softmax and GELU (numerics.md §9; kssteven418/I-BERT `IntSoftmax`, `IntGELU`), evaluated
 * exactly as integers: the ablation's baseline non-linear units (docs/ablation.md).
 *  - softmax: i-exp (the q/r split by x0 = ⌊−ln2/S⌋, the polynomial z = r(r + b) + c, E = max(0, z·2^(30 − q))),
 *    E requantised to 16 bits, F = ⌊2^32 / ΣE⌋, out = ⌊E·F / 2^(32 − k)⌋ at scale 2^−k;
 *  - GELU: i-erf (y = sign(x)·[(min(|x|, −b) + b)² + c] >> n at S' = S/1.4142), out = x·(y + ⌊1/S_erf⌋).
 */
import { checkScale } from '../constants.js';
import { NumericsInputError, checkSigned, checkUnsigned, checkedRowMax, fl32, floorDiv, pow2 } from '../intmath.js';
import { type LisConstants, LIS_EXP_N, lisConstants } from './lis.js';

/** I-BERT softmax constants x0, b, c for a logit scale S: the i-exp FQ-ViT's LIS copies (one derivation, lis.ts). */
export type IBertSoftmaxConstants = LisConstants;
export const ibertSoftmaxConstants: (scale: number) => IBertSoftmaxConstants = lisConstants;

/** Every width of the I-BERT softmax; the defaults live in numerics-config.ts (`ibert`). */
export interface IBertSoftmaxWidths {
  /** the input logits (signed) */
  inputBits: number;
  /** the polynomial z = r(r + b) + c (unsigned after the clamp at 0) */
  polyBits: number;
  /** the requantised exp (QuantAct(16): signed 16 bits, so E16 ≤ 2^15 − 1) */
  expRequantBits: number;
  /** the row sum Σ E16 (unsigned) */
  sumBits: number;
  /** k: out = ⌊E16·F / 2^(32 − k)⌋ ≤ 2^k at scale 2^−k (I-BERT uses 8; uint(k + 1)) */
  outputBits: number;
}

export type IBertSoftmaxParams = IBertSoftmaxConstants & IBertSoftmaxWidths;

export interface IBertSoftmaxResult {
  out: number[];
  /** E_j = max(0, z_j·2^(30 − q_j)) before the requant */
  exp: number[];
  /** E16_j = E_j >> shift */
  exp16: number[];
  /** the requant shift: the row maximum's E = c·2^30 lands in [2^(w−2), 2^(w−1)) */
  shift: number;
  sum: number;
  /** F = ⌊2^32 / Σ⌋ */
  factor: number;
  max: number;
}

/** I-BERT's i-exp of one logit reduced by the row maximum (d ≤ 0): max(0, z)·2^(30 − q), q ∈ [0, 30]. */
export function ibertExp(d: number, k: IBertSoftmaxConstants, polyBits: number, op: string, site: string): number {
  const xc = Math.max(d, LIS_EXP_N * k.x0);
  const q = floorDiv(xc, k.x0);
  const r = xc - k.x0 * q; // (x0, 0]
  const z = Math.max(0, r * (r + k.b) + k.c); // |r|, |b| < 2^26 for a scale that passes lisConstants: exact
  checkUnsigned(z, polyBits, `${op} polynomial`, site);
  return z * pow2(LIS_EXP_N - q); // z < 2^polyBits ≤ 2^23 keeps this below 2^53; checked by the caller's widths
}

/**
 * The 16-bit requant of the exp values. I-BERT's QuantAct(16) maps the calibrated exp range onto ±(2^15 − 1) with
 * a dyadic multiplier; the range is known before any data (the row maximum always gives E = c·2^30, e^0), so the
 * unit uses a right shift that puts c·2^30 just under 2^(w−1): no multiplier, at most one bit of the range lost.
 */
export function ibertExpShift(c: number, expRequantBits: number): number {
  const maxBits = Math.floor(Math.log2(c)) + 1 + LIS_EXP_N; // bit length of c·2^30
  return Math.max(0, maxBits - (expRequantBits - 1));
}

/** One row of attention logits (int8 at scale S, constants from ibertSoftmaxConstants(S)). */
export function ibertSoftmaxRow(x: ArrayLike<number>, p: IBertSoftmaxParams, site: string): IBertSoftmaxResult {
  if (x.length === 0) throw new RangeError(`ibert-softmax at ${site}: empty row`);
  if (p.polyBits > 23) throw new NumericsInputError(`ibert-softmax polyBits ${p.polyBits}: z·2^30 must stay below 2^53 (polyBits ≤ 23)`);
  const max = checkedRowMax(x, p.inputBits, 'ibert-softmax input', site);
  const shift = ibertExpShift(p.c, p.expRequantBits);
  const div = pow2(shift);
  const exp = new Array<number>(x.length);
  const exp16 = new Array<number>(x.length);
  let sum = 0;
  for (let j = 0; j < x.length; j++) {
    exp[j] = ibertExp(x[j]! - max, p, p.polyBits, 'ibert-softmax', site);
    exp16[j] = checkUnsigned(Math.floor(exp[j]! / div), p.expRequantBits - 1, 'ibert-softmax exp16', site);
    sum += exp16[j]!;
  }
  checkUnsigned(sum, p.sumBits, 'ibert-softmax row sum', site);
  const factor = Math.floor(pow2(32) / sum); // Σ ≥ E16 of the maximum ≥ 2^(w−2) > 0
  const outDiv = pow2(32 - p.outputBits);
  const out = exp16.map((e) => checkUnsigned(Math.floor((e * factor) / outDiv), p.outputBits + 1, 'ibert-softmax out', site)); // E16·F ≤ 2^32
  return { out, exp, exp16, shift, sum, factor, max };
}

/** I-BERT's i-erf coefficients: erf(x) ≈ sign(x)·[a(min(|x|, −b) + b)² + 1]; the √2 of GELU as 1.4142. */
export const IBERT_ERF_A = -0.2888;
export const IBERT_ERF_B = -1.769;
export const IBERT_GELU_SQRT2 = 1.4142;

export interface IBertGeluConstants {
  /** ⌊fl32(b / S')⌋ with S' = fl32(S / 1.4142) (negative) */
  b: number;
  /** ⌊fl32(fl32(1/a) / fl32(S'²))⌋ (negative) */
  c: number;
  /** the shift after the polynomial: I-BERT's n = 14 suits its int32 inputs; an int8 input needs fewer, derived */
  n: number;
  /** ⌊1 / S_erf⌋, S_erf = fl32(fl32(S'²)·a)·2^n (negative) */
  shift: number;
  /** |S_erf|: the output scale is S·|S_erf| / 2 */
  erfScale: number;
}

export interface IBertGeluWidths {
  /** the input (signed) */
  inputBits: number;
  /** the erf value ⌊y / 2^n⌋ (signed): sets n so |c| >> n fits */
  erfBits: number;
  /** the polynomial (min(|x|, −b) + b)² + c (signed) */
  polyBits: number;
}

export type IBertGeluParams = IBertGeluConstants & IBertGeluWidths;

/** The constants for an input scale S, as I-BERT's float32 tensors compute them (each quotient rounded to float32). */
export function ibertGeluConstants(scale: number, erfBits: number): IBertGeluConstants {
  checkScale(scale, 'I-BERT GELU input scale');
  if (!(scale > 0)) throw new NumericsInputError(`I-BERT GELU input scale must be positive, got ${scale}`);
  const s1 = fl32(scale / fl32(IBERT_GELU_SQRT2));
  const s1sq = fl32(s1 * s1);
  const b = Math.floor(fl32(fl32(IBERT_ERF_B) / s1));
  const c = Math.floor(fl32(fl32(1 / IBERT_ERF_A) / s1sq));
  if (!(b <= -1) || !(c <= -1) || !Number.isSafeInteger(b * b)) {
    throw new NumericsInputError(`I-BERT GELU input scale ${scale} gives b = ${b}, c = ${c}; both must be negative integers`);
  }
  const cBits = Math.floor(Math.log2(-c)) + 1;
  const n = Math.max(0, cBits - (erfBits - 1));
  const erfScale = fl32(fl32(s1sq * fl32(IBERT_ERF_A)) * pow2(n)); // negative
  const shift = Math.floor(fl32(1 / erfScale));
  return { b, c, n, shift, erfScale: -erfScale };
}

export interface IBertGeluResult {
  /** x·σ at scale S·|S_erf| / 2 (I-BERT's x·(y + shift) at S·S_erf / 2 with both signs flipped: same real value) */
  out: number[];
  /** σ = −(y + shift), ≈ (1 + erf(x/√2)) / |S_erf| */
  sigma: number[];
  /** y = ⌊sign(x)·[(min(|x|, −b) + b)² + c] / 2^n⌋ */
  erf: number[];
}

/** One row (element-wise; no row pass). */
export function ibertGeluRow(x: ArrayLike<number>, p: IBertGeluParams, site: string): IBertGeluResult {
  const div = pow2(p.n);
  const out = new Array<number>(x.length);
  const sigma = new Array<number>(x.length);
  const erf = new Array<number>(x.length);
  for (let j = 0; j < x.length; j++) {
    const v = checkSigned(x[j]!, p.inputBits, 'ibert-gelu input', site);
    const m = Math.min(Math.abs(v), -p.b);
    const poly = checkSigned((m + p.b) * (m + p.b) + p.c, p.polyBits, 'ibert-gelu polynomial', site);
    const y = checkSigned(Math.floor((Math.sign(v) * poly) / div), p.erfBits, 'ibert-gelu erf', site);
    const s = checkSigned(-(y + p.shift), p.erfBits + 2, 'ibert-gelu sigma', site);
    erf[j] = y + 0;
    sigma[j] = s + 0;
    out[j] = v * s + 0; // + 0: no −0
  }
  return { out, sigma, erf };
}
