/**
 * Offline constants: float32 scales become integers, exactly as numerics.md §2–§5 computes them.
 * This is the only place the golden model touches floating point; everything downstream of it is integer.
 */
import { NumericsInputError, fl32, pow2 } from './intmath.js';

/** A dyadic multiplier: real ratio R ≈ m / 2^c (numerics.md §2). */
export interface Dyadic {
  m: number; // |m| ∈ [2^30, 2^31]
  c: number; // shift, 31 − E
}

/**
 * frexp of a finite non-zero double: v = f · 2^e with 0.5 ≤ |f| < 1. Exact (scaling by powers of two).
 */
export function frexp(v: number): { f: number; e: number } {
  if (v === 0 || !Number.isFinite(v)) throw new NumericsInputError(`frexp of ${v}`);
  let e = Math.floor(Math.log2(Math.abs(v))) + 1;
  let f = v / 2 ** e;
  // log2 can be off by one ulp near powers of two; normalise exactly.
  while (Math.abs(f) >= 1) {
    e += 1;
    f = v / 2 ** e;
  }
  while (Math.abs(f) < 0.5) {
    e -= 1;
    f = v / 2 ** e;
  }
  return { f, e };
}

/** Round half away from zero (Decimal ROUND_HALF_UP in the reference's batch_frexp). */
function roundHalfAwayFromZero(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}

/**
 * The dyadic pair for a requant from scale sIn to sOut (both float32 values):
 * R = double(sIn) / double(sOut), m = round_half_away(f · 2^31), c = 31 − e. An |m| of 2^31 is kept
 * (the reference keeps it; our products are exact, so it is harmless).
 */
export function dyadicFromScales(sIn: number, sOut: number): Dyadic {
  checkScale(sIn, 'input scale');
  checkScale(sOut, 'output scale');
  const { f, e } = frexp(sIn / sOut);
  return { m: roundHalfAwayFromZero(f * pow2(31)), c: 31 - e };
}

export function checkScale(s: number, what: string): void {
  if (!Number.isFinite(s) || s === 0) throw new NumericsInputError(`${what} must be a finite non-zero float32, got ${s}`);
  if (fl32(s) !== s) throw new NumericsInputError(`${what} ${s} is not a float32 value`);
}

/** Which deployment's constants and rounding the golden model reproduces (numerics.md §10). */
export type Flavour = 'pytorch' | 'tvm';

/**
 * x0 of the shift-exp unit for a float32 scale S. PyTorch: ⌊fl32(−1/S)⌋. TVM: trunc(fl32(−1/S) − 1)
 * (equal to the PyTorch value unless 1/S is an integer).
 */
export function expX0(scale: number, flavour: Flavour): number {
  checkScale(scale, 'exp scale');
  if (!(scale > 0)) throw new NumericsInputError(`exp scale must be positive, got ${scale}`);
  const negInv = fl32(-1 / scale);
  const x0 = flavour === 'tvm' ? Math.trunc(fl32(negInv - 1)) : Math.floor(negInv);
  if (!(x0 <= -1) || !Number.isSafeInteger(x0)) {
    throw new NumericsInputError(`exp scale ${scale} gives x0 = ${x0}; it must be a negative integer`);
  }
  return x0;
}

/** ShiftGELU folds 1.702 into the float scale: S_σ = fl32(S · fl32(1.702)) (numerics.md §4). */
export function geluSigmaScale(scale: number): number {
  return fl32(scale * fl32(1.702));
}

/** I-LayerNorm's output scale base S_n = fl32(fl32(√C) / 2^30) (numerics.md §5). */
export function layerNormScale(channels: number): number {
  return fl32(fl32(Math.sqrt(channels)) / pow2(30));
}

/** The integer LN bias B = ⌊fl32(fl32(β/γ) / S_n)⌋ (numerics.md §5, exported buffer bias_integer). */
export function layerNormIntegerBias(beta: number, gamma: number, sN: number): number {
  if (gamma === 0) throw new NumericsInputError('LayerNorm gamma of 0 has no integer bias');
  const b = Math.floor(fl32(fl32(beta / gamma) / sN));
  if (!Number.isSafeInteger(b)) throw new NumericsInputError(`LayerNorm integer bias ${b} (beta ${beta}, gamma ${gamma}) is not a safe integer`);
  return b;
}

/** Per-channel LN output scale fl32(S_n · γ_c); it may be negative. */
export function layerNormChannelScale(sN: number, gamma: number): number {
  return fl32(sN * gamma);
}

/** The scale that maps a tensor's max magnitude to 2^(b−1) − 1 (numerics.md §1), clamped at float32 eps. */
export function symmetricScale(maxAbs: number, bits: number): number {
  const s = fl32(maxAbs / (pow2(bits - 1) - 1));
  return Math.max(s, pow2(-23));
}

/** Round half to even of a finite double (torch.round): Math.round, with ties moved to the even neighbour. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v); // ties toward +∞
  return (r - v === 0.5 && r % 2 !== 0 ? r - 1 : r) + 0; // + 0 turns −0 into 0
}

/**
 * QuantAct's (and QuantLinear's) quantisation of a float32 value (numerics.md §1): the float32 product with
 * the float32 reciprocal of the scale, rounded half to even, clamped to the signed b-bit range.
 */
export function quantizeSymmetric(x: number, invScale: number, bits: number): number {
  const lim = pow2(bits - 1);
  const q = roundHalfEven(fl32(x * invScale));
  return q < -lim ? -lim : q > lim - 1 ? lim - 1 : q;
}
