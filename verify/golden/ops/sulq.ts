/**
 * I&S-ViT's shift-uniform-log2 quantiser (SULQ) for post-softmax attention (docs/numerics.md "I&S-ViT: the
 * shift-uniform-log2 quantiser (SULQ)"): the shift η, log2, uniform quantisation in the log domain, and the
 * decode 2^RNE(u_min + code·Δ) − η, so attention·V is a shift-add minus η·ΣV. Follows the forward pass of
 * `LogSqrt2Quantizer` in zysxmu/IaS-ViT (quant/quantizer.py), evaluated exactly: every log2 comparison is
 * decided on integers (BigInt powers), so no float enters the codes or the decode.
 */
import { NumericsInputError, WidthOverflowError, checkUnsigned, pow2, signedRange } from '../intmath.js';

/**
 * Which log-domain grid: `forward` is the published forward pass (Δ = (u_max − u_min)/2^b, codes clamped to
 * [0, 2^b], so 2^b + 1 codes); `calibration` is the published calibration search (Δ = range/(2^b − 1), codes
 * [0, 2^b − 1]).
 */
export type SulqGrid = 'forward' | 'calibration';
export const SULQ_GRIDS: readonly SulqGrid[] = ['forward', 'calibration'];

/** The calibrated input range, on the input grid: u_min = log2((pMin + H)·2^−f), u_max = log2((pMax + H)·2^−f). */
export interface SulqRange {
  pMin: number;
  pMax: number;
}

export interface SulqConstants {
  /** H = RNE(η·2^f): the shift η on the input grid (η_hw = H·2^−f), at least 1 */
  eta: number;
  /** f: the input is P at scale 2^−f, P ∈ [0, 2^f] (p ∈ [0, 1]) */
  inputFracBits: number;
  /** N: log-domain intervals, 2^b (forward) or 2^b − 1 (calibration); codes are 0 … N */
  levels: number;
  /** thresholds[i − 1] = the least P whose code is at least i, i = 1 … N: code = #{i : P ≥ thresholds[i − 1]} */
  thresholds: number[];
  /** shifts[c] = RNE(u_min + c·Δ) + f ≥ 0: code c decodes to the probability (2^shifts[c] − H)·2^−f */
  shifts: number[];
}

export interface SulqParams extends SulqConstants {
  /** width of the input P (unsigned): f + 1 holds p = 1 */
  inputBits: number;
  /** width of a code (unsigned): ⌈log2(N + 1)⌉, b + 1 on the forward grid */
  codeBits: number;
}

export interface SulqAttnVParams {
  /** width of V (signed) */
  vBits: number;
  /** width of the column sum Σ_j V_j (signed) */
  vSumBits: number;
  /** width of the shift-add Σ_j V_j << shift, of the correction H·ΣV, and of the result (signed, ≤ 53) */
  accBits: number;
}

/** The widths a default lane declares (η, b and the input scale are the caller's: there is no preset yet). */
export const SULQ_DEFAULT_WIDTHS: Readonly<SulqAttnVParams & { bits: number; grid: SulqGrid }> = Object.freeze({
  bits: 4,
  grid: 'forward',
  vBits: 8,
  vSumBits: 16, // |ΣV| ≤ 128 · 256 tokens
  accBits: 32, // 127 · 2^(f+1) · N < 2^31 for f = 15 up to N = 257 tokens (η ≤ 1)
});

function bitLength(v: bigint): number {
  return v === 0n ? 0 : v.toString(2).length;
}

/** Width of an unsigned integer v ≥ 0 (at least 1). */
function unsignedBits(v: number): number {
  return Math.max(1, bitLength(BigInt(v)));
}

/**
 * RNE(log2(Q)/(2N) − f) + f for an integer Q ≥ 1: the decode exponent, exactly. z = log2(Q)/(2N) ≥ m − ½ iff
 * Q ≥ 2^((2m−1)N); the tie z = m − ½ (Q that power of two) rounds to the even one of m − f − 1, m − f.
 */
function roundedHalfLog(q: bigint, n: number, f: number): number {
  const lg = bitLength(q) - 1; // ⌊log2 Q⌋; Q ≥ 2^t iff t ≤ lg
  const m = Math.floor((lg + n) / (2 * n)); // the largest m with (2m − 1)·N ≤ lg
  const tie = (2 * m - 1) * n >= 0 && q === 1n << BigInt((2 * m - 1) * n);
  return tie && (m - f) % 2 !== 0 ? m - 1 : m;
}

/**
 * The constants for shift η, b-bit codes and input scale 2^−f. The calibrated range defaults to the whole
 * input domain (pMin = 0, pMax = 2^f), which is what the published calibration finds when a row has a 0 and a 1.
 */
export function sulqConstants(eta: number, bits: number, inputFracBits: number, grid: SulqGrid = 'forward', range?: SulqRange): SulqConstants {
  if (!Number.isInteger(bits) || bits < 2 || bits > 8)
    throw new NumericsInputError(`SULQ bits must be an integer in [2, 8] (the published assert), got ${bits}`);
  const f = inputFracBits;
  if (!Number.isInteger(f) || f < 1 || f > 30) throw new NumericsInputError(`SULQ inputFracBits must be an integer in [1, 30], got ${f}`);
  if (!(eta > 0 && eta <= 1)) throw new NumericsInputError(`SULQ shift eta must be in (0, 1] (the published search range), got ${eta}`);
  const h = Math.round(eta * pow2(f)); // η·2^f is exact; a tie (H + ½) rounds up
  if (h < 1) throw new NumericsInputError(`SULQ shift eta = ${eta} is below half a step of the input grid 2^-${f}`);
  const top = pow2(f);
  const pMin = range?.pMin ?? 0;
  const pMax = range?.pMax ?? top;
  if (!Number.isInteger(pMin) || !Number.isInteger(pMax) || pMin < 0 || pMax > top || pMin >= pMax) {
    throw new NumericsInputError(`SULQ calibration range pMin = ${pMin}, pMax = ${pMax} must be integers with 0 ≤ pMin < pMax ≤ 2^${f}`);
  }
  const n = grid === 'forward' ? pow2(bits) : pow2(bits) - 1;
  const a = BigInt(pMin + h);
  const b = BigInt(pMax + h);
  const twoN = BigInt(2 * n);
  const aTwoN = a ** twoN;
  // code ≥ i iff RNE(N·log2((P+H)/A)/log2(B/A)) ≥ i iff (P+H)^(2N)·A^(2i−1) ≥ B^(2i−1)·A^(2N), the tie rounding to even i
  const atLeast = (p: number, i: number): boolean => {
    const e = BigInt(2 * i - 1);
    const lhs = BigInt(p + h) ** twoN * a ** e;
    const rhs = b ** e * aTwoN;
    return lhs > rhs || (lhs === rhs && i % 2 === 0);
  };
  const thresholds: number[] = [];
  for (let i = 1; i <= n; i++) {
    let lo = i === 1 ? pMin : thresholds[i - 2]!; // thresholds rise with i; atLeast(pMax, i) holds for i ≤ N
    let hi = pMax;
    while (lo < hi) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (atLeast(mid, i)) hi = mid;
      else lo = mid + 1;
    }
    thresholds.push(lo);
  }
  // u_min + c·Δ = log2(A^(N−c)·B^c)/N − f, so its RNE is roundedHalfLog(A^(2(N−c))·B^(2c)) − f
  const shifts = Array.from({ length: n + 1 }, (_, c) => roundedHalfLog(a ** BigInt(2 * (n - c)) * b ** BigInt(2 * c), n, f));
  return { eta: h, inputFracBits: f, levels: n, thresholds, shifts };
}

/** The params of a lane for these constants: input f + 1 bits, codes just wide enough for 0 … N. */
export function sulqParams(k: SulqConstants): SulqParams {
  return { ...k, inputBits: k.inputFracBits + 1, codeBits: unsignedBits(k.levels) };
}

/** One row of attention probabilities P_j (scale 2^−f, e.g. Shiftmax's output) to SULQ codes 0 … N. */
export function sulqRow(p: ArrayLike<number>, q: SulqParams, site: string): number[] {
  if (p.length === 0) throw new RangeError(`sulq at ${site}: empty row`);
  checkUnsigned(q.levels, q.codeBits, 'SULQ code', site);
  const codes = new Array<number>(p.length);
  for (let j = 0; j < p.length; j++) {
    const v = checkUnsigned(p[j]!, q.inputBits, 'SULQ input', site);
    let c = 0;
    while (c < q.levels && v >= q.thresholds[c]!) c++;
    codes[j] = c;
  }
  return codes;
}

export interface SulqAttnV {
  /** Σ_j V_j·(2^shift_j − H), scale S_V·2^−f */
  out: number;
  /** Σ_j V_j << shifts[code_j] */
  shiftAdd: number;
  /** Σ_j V_j: one per column of V, shared by every query row */
  vSum: number;
  /** H·ΣV */
  correction: number;
}

function checkSignedBig(v: bigint, bits: number, op: string, site: string): number {
  const { lo, hi } = signedRange(bits);
  if (v < BigInt(lo) || v > BigInt(hi)) throw new WidthOverflowError(op, site, v, bits, true);
  return Number(v);
}

/**
 * One output element of attention·V from one row of codes and one column of V: the shift-add Σ V_j << s_j
 * (s_j = shifts[code_j]) minus the column-sum correction H·ΣV_j. Exact: the result times S_V·2^−f is
 * Σ_j dequant(code_j)·V_j·S_V with dequant(c) = 2^(s_c − f) − η_hw.
 */
export function sulqAttnV(codes: ArrayLike<number>, v: ArrayLike<number>, k: SulqConstants, p: SulqAttnVParams, site: string): SulqAttnV {
  if (codes.length !== v.length) throw new RangeError(`sulq attention·V at ${site}: ${codes.length} codes, ${v.length} values`);
  if (p.accBits > 53) throw new NumericsInputError(`SULQ accBits = ${p.accBits} must be at most 53 (results are safe integers)`);
  const { lo, hi } = signedRange(p.vBits);
  let shiftAdd = 0n;
  let vSum = 0n;
  for (let j = 0; j < v.length; j++) {
    const vj = v[j]!;
    if (!(Number.isInteger(vj) && vj >= lo && vj <= hi)) throw new WidthOverflowError('SULQ V', site, vj, p.vBits, true);
    const c = codes[j]!;
    if (!(Number.isInteger(c) && c >= 0 && c <= k.levels)) throw new NumericsInputError(`SULQ code ${c} at ${site} is outside 0…${k.levels}`);
    shiftAdd += BigInt(vj) << BigInt(k.shifts[c]!);
    vSum += BigInt(vj);
  }
  checkSignedBig(vSum, p.vSumBits, 'SULQ column sum ΣV', site);
  const correction = BigInt(k.eta) * vSum;
  return {
    shiftAdd: checkSignedBig(shiftAdd, p.accBits, 'SULQ shift-add', site),
    vSum: Number(vSum),
    correction: checkSignedBig(correction, p.accBits, 'SULQ correction H·ΣV', site),
    out: checkSignedBig(shiftAdd - correction, p.accBits, 'SULQ attention·V', site),
  };
}
