/**
 * FQ-ViT Log-Int-Softmax (numerics.md §9, docs/numerics.md "FQ-ViT"): I-BERT's integer exp, the row sum,
 * the log2 rounding of Σ/E_j to b-bit codes with a mask for codes past 2^b − 1, and attention·V as Σ V >> code.
 * Follows `QIntSoftmax.log_i_softmax` of megvii-research/FQ-ViT (models/ptq/layers.py) evaluated exactly.
 */
import { checkScale } from '../constants.js';
import { NumericsInputError, checkSigned, checkedRowMax, checkUnsigned, checkUnsignedBig, fl32, floorDiv, pow2, roundHalfEvenDivBig } from '../intmath.js';

/** I-BERT's polynomial exp(x) ≈ a(x + b)² + c on [−ln2, 0], as FQ-ViT writes it (c/a and b/a are what it uses). */
export const LIS_POLY_A = 0.35815147;
export const LIS_POLY_B = 0.96963238 / LIS_POLY_A;
export const LIS_POLY_C = 1 / LIS_POLY_A;
export const LIS_LN2 = 0.6931;
/** the n of `int_exp`: q is clamped to [0, 30] and E = z·2^(30 − q) */
export const LIS_EXP_N = 30;

export interface LisConstants {
  /** ⌊fl32(−0.6931 / S)⌋ (negative) */
  x0: number;
  /** ⌊fl32((b/a) / S)⌋ */
  b: number;
  /** ⌊fl32((1/a) / fl32(S²))⌋ */
  c: number;
}

export interface LisParams extends LisConstants {
  /** code width b: codes 0 … 2^b − 1 (4 in FQ-ViT, 8 for reference) */
  bits: number;
  /** width of the input logits (8, signed) */
  inputBits: number;
  /** width of the polynomial value z = r(r + b) + c (unsigned after the clamp at 0) */
  polyBits: number;
  /** width of the row sum Σ E_j (unsigned); E_j = z·2^(30 − q) has polyBits + 30 bits */
  sumBits: number;
}

export interface LisResult {
  /** b-bit codes: probability 2^−code, FQ-ViT's clamp(t, 0, 2^b − 1) */
  codes: number[];
  /** 1 where t ≥ 2^b or E_j = 0: probability 0 (FQ-ViT's mask), else 0 */
  masked: number[];
  /** E_j = max(0, z_j)·2^(30 − q_j) */
  exp: bigint[];
  sum: bigint;
  max: number;
}

/**
 * The constants for a logit scale S, computed as FQ-ViT's float32 tensors do: each quotient is rounded to
 * float32 (the Python coefficients are cast to the tensor's dtype), then floored.
 */
export function lisConstants(scale: number): LisConstants {
  checkScale(scale, 'LIS logit scale');
  if (!(scale > 0)) throw new NumericsInputError(`LIS logit scale must be positive, got ${scale}`);
  const x0 = Math.floor(fl32(fl32(-LIS_LN2) / scale));
  const b = Math.floor(fl32(fl32(LIS_POLY_B) / scale));
  const c = Math.floor(fl32(fl32(LIS_POLY_C) / fl32(scale * scale)));
  if (!(x0 <= -1) || !Number.isSafeInteger(x0 * LIS_EXP_N) || !Number.isSafeInteger(c)) {
    throw new NumericsInputError(`LIS logit scale ${scale} gives x0 = ${x0}, c = ${c}; x0 must be a negative integer and c safe`);
  }
  return { x0, b, c };
}

/** t = round-log2 of an integer v ≥ 1 as FQ-ViT's log_round: ⌊log2 v⌋, plus 1 when the bit below the leading one is set. */
export function logRound(v: bigint): number {
  if (v < 1n) throw new NumericsInputError(`log_round needs v ≥ 1, got ${v}`);
  const t = v.toString(2).length - 1;
  return t >= 1 && ((v >> BigInt(t - 1)) & 1n) === 1n ? t + 1 : t;
}

/** I-BERT's i-exp of one logit already reduced by the row maximum (d ≤ 0): E = max(0, z)·2^(30 − q). */
export function lisExp(d: number, p: LisParams, site: string): bigint {
  const xc = Math.max(d, LIS_EXP_N * p.x0);
  const q = floorDiv(xc, p.x0); // 0 … 30
  const r = xc - p.x0 * q; // (x0, 0]
  const z = Math.max(0, r * (r + p.b) + p.c); // |r|, b < 2^26 for a scale that passes lisConstants
  checkUnsigned(z, p.polyBits, 'LIS polynomial', site);
  return BigInt(z) << BigInt(LIS_EXP_N - q);
}

/** One row of attention scores (int8 logits at scale S, constants from lisConstants(S)). */
export function lisRow(x: ArrayLike<number>, p: LisParams, site: string): LisResult {
  if (x.length === 0) throw new RangeError(`lis at ${site}: empty row`);
  const max = checkedRowMax(x, p.inputBits, 'LIS input', site);
  const exp = new Array<bigint>(x.length);
  let sum = 0n;
  for (let j = 0; j < x.length; j++) {
    exp[j] = lisExp(x[j]! - max, p, site);
    sum += exp[j]!;
  }
  checkUnsignedBig(sum, p.sumBits, 'LIS row sum', site);
  const top = 2 ** p.bits - 1;
  const codes = new Array<number>(x.length);
  const masked = new Array<number>(x.length);
  for (let j = 0; j < x.length; j++) {
    const e = exp[j]!;
    // E_j = 0: Σ/E is infinite in FQ-ViT, so t ≥ 2^b and the probability is 0
    const t = e === 0n ? top + 1 : logRound(roundHalfEvenDivBig(sum, e));
    codes[j] = Math.min(t, top);
    masked[j] = t > top ? 1 : 0;
  }
  return { codes, masked, exp, sum, max };
}

export interface LisAttnVParams {
  /** F: V is shifted left by F bits before the right shift by the code; the sum has scale S_V·2^−F */
  vFracBits: number;
  /** width of V (8, signed) */
  vBits: number;
  /** width of the accumulator Σ_j (V_j << F) >> code_j (signed) */
  accBits: number;
}

/**
 * One output element of attention·V: Σ over unmasked j of ⌊V_j·2^F / 2^code_j⌋ (an arithmetic shift, floor),
 * a shift-add with no multiply. Exact (no truncation) when F ≥ every code, e.g. F = 15 with 4-bit codes.
 */
export function lisAttnV(codes: ArrayLike<number>, masked: ArrayLike<number>, v: ArrayLike<number>, p: LisAttnVParams, site: string): number {
  if (codes.length !== v.length || masked.length !== v.length) {
    throw new RangeError(`lis attention·V at ${site}: ${codes.length} codes, ${masked.length} mask bits, ${v.length} values`);
  }
  let acc = 0;
  const up = pow2(p.vFracBits);
  for (let j = 0; j < v.length; j++) {
    const vj = checkSigned(v[j]!, p.vBits, 'LIS V', site);
    if (masked[j]) continue;
    acc += Math.floor((vj * up) / pow2(codes[j]!)); // |V·2^F| < 2^(vBits + F) ≤ 2^40: exact; floor of an exact quotient
  }
  return checkSigned(acc, p.accBits, 'LIS attention·V accumulator', site);
}
