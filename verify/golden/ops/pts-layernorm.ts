/**
 * FQ-ViT's LayerNorm with Power-of-Two Scales (PTS/PTF; numerics.md §9, docs/numerics.md "FQ-ViT"), integer only.
 * The input channel c has scale s·2^α_c over one layer-wise s; x̃_c = q_c << α_c aligns every channel to s.
 * Where FQ-ViT's `QIntLayerNorm` takes σ in float and derives (M, N) per token, this form takes an integer square
 * root of D = C·Σx̃² − (Σx̃)² and one reciprocal per token (as I-LayerNorm does), and keeps the per-channel
 * (M_c, N_c, B_c) static: they fold γ_c, β_c and the output scale only.
 */
import { INT31_MAX, NumericsInputError, checkSigned, checkUnsigned, floorDiv, pow2, roundShiftBig } from '../intmath.js';
import type { SqrtRule } from '../numerics-config.js';
import { roundHalfEven } from '../constants.js';
import { floorSqrt, newtonSqrt10 } from './isqrt.js';

/** FQ-ViT's PTF: α_c ∈ {0 … 3} (s = s8 / 2^3) */
export const PTS_ALPHA_MAX = 3;
/** FQ-ViT's get_MN: M is 8-bit unsigned, N ∈ [0, 31] */
export const PTS_M_BITS = 8;
export const PTS_N_MAX = 31;
/** the per-token reciprocal ⌊(2^31 − 1)/√D⌋ gives the normalised value at scale 2^−31 */
export const PTS_RECIP_SHIFT = 31;

/** The static per-channel constants of one PTS LayerNorm. */
export interface PtsChannels {
  /** α_c ∈ [0, PTS_ALPHA_MAX]: the input channel's scale is s·2^α_c */
  alpha: ArrayLike<number>;
  /** sign(γ_c)·M_c with M_c ∈ [0, 2^8 − 1] */
  m: ArrayLike<number>;
  /** N_c ∈ [0, 31] */
  n: ArrayLike<number>;
  /** B_c = RNE(β_c / S_out · 2^N_c) */
  b: ArrayLike<number>;
}

export interface PtsLayerNormParams {
  sqrt: SqrtRule;
  /** width of q (8, signed: symmetric, zero point 0) */
  inputBits: number;
  /** width of D = C·Σx̃² − (Σx̃)² (unsigned) */
  varianceBits: number;
  /** width of the output (8, signed), saturated */
  outputBits: number;
}

export interface PtsLayerNormResult {
  out: number[];
  /** Σ x̃ and Σ x̃² */
  sum: number;
  sumSq: number;
  /** D = C·Σx̃² − (Σx̃)² = (C·σ/s)² */
  d: number;
  /** the integer root of D (at least 1) */
  std: number;
  /** ⌊(2^31 − 1)/std⌋ */
  factor: number;
  /** y_c = (C·x̃_c − Σx̃)·factor ≈ (x_c − μ)/σ · 2^31 */
  norm: number[];
}

/**
 * M_c, N_c, B_c from γ_c, β_c and the output scale as FQ-ViT's get_MN does for A = γ_c / S_out (the static part
 * of its A; the per-token 1/σ is the integer reciprocal here): N = clamp(7 − ⌊log2|A|⌋, 0, 31),
 * M = clamp(⌊|A|·2^N⌋, 0, 255), B = RNE(β / S_out · 2^N). Evaluated in float64.
 */
export function ptsChannelConstants(gamma: ArrayLike<number>, beta: ArrayLike<number>, sOut: number): { m: number[]; n: number[]; b: number[] } {
  if (!(sOut > 0) || !Number.isFinite(sOut)) throw new NumericsInputError(`PTS LayerNorm output scale must be positive, got ${sOut}`);
  if (gamma.length !== beta.length) throw new NumericsInputError(`PTS LayerNorm: ${gamma.length} γ for ${beta.length} β`);
  const m: number[] = [];
  const n: number[] = [];
  const b: number[] = [];
  const mMax = 2 ** PTS_M_BITS - 1;
  for (let i = 0; i < gamma.length; i++) {
    const a = Math.abs(gamma[i]! / sOut);
    const nc = Math.min(PTS_N_MAX, Math.max(0, PTS_M_BITS - 1 - Math.floor(Math.log2(a)))); // log2(0) = −∞ → 31
    const mc = Math.min(mMax, Math.max(0, Math.floor(a * pow2(nc))));
    m.push(gamma[i]! < 0 ? -mc : mc);
    n.push(nc);
    const bc = roundHalfEven((beta[i]! / sOut) * pow2(nc));
    if (!Number.isSafeInteger(bc)) throw new NumericsInputError(`PTS LayerNorm bias β/S_out·2^N = ${bc} is not a safe integer`);
    b.push(bc);
  }
  return { m, n, b };
}

/** One token's C channels: int8 q_c at scale s·2^α_c → int8 at S_out. */
export function ptsLayerNormRow(q: ArrayLike<number>, ch: PtsChannels, p: PtsLayerNormParams, site: string): PtsLayerNormResult {
  const c = q.length;
  if (c === 0) throw new RangeError(`pts-layernorm at ${site}: empty row`);
  if (ch.alpha.length !== c || ch.m.length !== c || ch.n.length !== c || ch.b.length !== c) {
    throw new RangeError(`pts-layernorm at ${site}: channel constants (${ch.alpha.length}, ${ch.m.length}, ${ch.n.length}, ${ch.b.length}) for ${c} channels`);
  }
  const xt = new Array<number>(c);
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < c; i++) {
    const a = ch.alpha[i]!;
    if (!Number.isInteger(a) || a < 0 || a > PTS_ALPHA_MAX) throw new NumericsInputError(`pts-layernorm at ${site}: α[${i}] = ${a} outside 0…${PTS_ALPHA_MAX}`);
    const v = checkSigned(q[i]!, p.inputBits, 'PTS LayerNorm input', site) * pow2(a); // x̃ = q << α: |x̃| ≤ 2^10
    xt[i] = v;
    sum += v;
    sumSq += v * v; // C ≤ 2^18 channels: Σx̃² < 2^38
  }
  const d = c * sumSq - sum * sum; // ≥ 0 by Cauchy–Schwarz; < 2^56 needs C ≤ 2^18 … checked by varianceBits
  checkUnsigned(d, p.varianceBits, 'PTS LayerNorm variance', site);
  const std = Math.max(1, p.sqrt === 'floor' ? floorSqrt(d) : newtonSqrt10(d));
  const factor = floorDiv(INT31_MAX, std);
  const out = new Array<number>(c);
  const norm = new Array<number>(c);
  const lim = 2 ** (p.outputBits - 1);
  for (let i = 0; i < c; i++) {
    const y = (c * xt[i]! - sum) * factor; // |C·x̃ − Σx̃| ≤ √(C−1)·√D, so |y| < √C·2^31
    norm[i] = y;
    const acc = BigInt(ch.m[i]!) * BigInt(y) + (BigInt(ch.b[i]!) << BigInt(PTS_RECIP_SHIFT));
    const o = Number(roundShiftBig(acc, ch.n[i]! + PTS_RECIP_SHIFT, 'half-even'));
    out[i] = Math.max(-lim, Math.min(lim - 1, o));
  }
  return { out, sum, sumSq, d, std, factor, norm };
}
