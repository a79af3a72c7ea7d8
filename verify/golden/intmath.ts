/**
 * Exact integer primitives. JavaScript numbers are exact for integers below 2^53; every helper here
 * either stays inside that range (and says so) or works on BigInt. `>>` and `Math.floor(a / b)` are
 * never used on values that may pass 2^31 or 2^53.
 */

export const MAX_SAFE = Number.MAX_SAFE_INTEGER;
export const INT31_MAX = 2147483647; // 2^31 - 1, the numerator of every I-ViT reciprocal

/** Raised when an integer leaves its declared width. Names the op, the layer (site) and the value. */
export class WidthOverflowError extends Error {
  constructor(
    readonly op: string,
    readonly site: string,
    readonly value: bigint | number,
    readonly bits: number,
    readonly signed: boolean,
  ) {
    super(`${op} at ${site}: value ${value.toString()} overflows its declared ${signed ? 'signed' : 'unsigned'} ${bits}-bit width`);
    this.name = 'WidthOverflowError';
  }
}

/** Raised for an input that breaks an op's contract (not an overflow): names op, site and the value. */
export class NumericsInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NumericsInputError';
  }
}

export function assertSafeInteger(v: number, what: string): void {
  if (!Number.isSafeInteger(v)) throw new NumericsInputError(`${what}: ${v} is not an integer below 2^53`);
}

/** Quotient rounded toward zero. Exact for safe integers: a - a % b is an exact multiple of b. */
export function truncDiv(a: number, b: number): number {
  if (b === 0) throw new NumericsInputError(`division by zero (${a} / 0)`);
  const r = a % b;
  return (a - r) / b + 0; // + 0 turns -0 into 0
}

/** ⌊a / b⌋ for safe integers of any sign (b ≠ 0). */
export function floorDiv(a: number, b: number): number {
  if (b === 0) throw new NumericsInputError(`division by zero (${a} / 0)`);
  const r = a % b;
  const q = (a - r) / b;
  return (r !== 0 && r < 0 !== b < 0 ? q - 1 : q) + 0;
}

/** a − b·⌊a / b⌋, which has the sign of b. */
export function floorMod(a: number, b: number): number {
  const r = a % b;
  return (r !== 0 && r < 0 !== b < 0 ? r + b : r) + 0;
}

const POW2: number[] = Array.from({ length: 64 }, (_, i) => 2 ** i);

/** 2^e as a number, exact for −1074 ≤ e ≤ 1023. */
export function pow2(e: number): number {
  return e >= 0 && e < 64 ? POW2[e]! : 2 ** e;
}

/** Arithmetic (floor) shift right of a safe integer by s ≥ 0 bits: ⌊a / 2^s⌋, also for negative a. */
export function floorShiftRight(a: number, s: number): number {
  if (s === 0) return a;
  if (s > 60) return a < 0 ? -1 : 0;
  return Math.floor(a / pow2(s)); // exact: division by a power of two is exact, floor of an exact value
}

/** ⌊a / b⌋ on BigInt, any signs. */
export function floorDivBig(a: bigint, b: bigint): bigint {
  if (b === 0n) throw new NumericsInputError(`division by zero (${a} / 0)`);
  const q = a / b; // truncates
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** How ties are broken when an exact rational is rounded to an integer. */
export type TieRule = 'half-even' | 'half-up';

/**
 * Round a / 2^c to an integer, exactly (c ≥ 0), on BigInt. 'half-even' is torch.round (RNE);
 * 'half-up' (ties toward +∞) is TVM's UPWARD rounding.
 */
export function roundShiftBig(a: bigint, c: number, tie: TieRule = 'half-even'): bigint {
  if (c === 0) return a;
  const d = 1n << BigInt(c);
  const q = a >> BigInt(c); // BigInt >> is a floor shift
  const rem = a - q * d; // in [0, 2^c)
  const half = d >> 1n;
  if (rem > half) return q + 1n;
  if (rem < half) return q;
  if (tie === 'half-up') return q + 1n;
  return (q & 1n) === 0n ? q : q + 1n;
}

/** Round half to even of the rational n / d (d > 0) on BigInt. */
export function roundHalfEvenDivBig(n: bigint, d: bigint): bigint {
  if (d <= 0n) throw new NumericsInputError(`roundHalfEvenDiv needs a positive divisor, got ${d}`);
  const q = floorDivBig(n, d);
  const twiceRem = 2n * (n - q * d); // in [0, 2d)
  if (twiceRem > d) return q + 1n;
  if (twiceRem < d) return q;
  return (q & 1n) === 0n ? q : q + 1n;
}

/** Round half to even of n / d for safe integers (d > 0). */
export function roundHalfEvenDiv(n: number, d: number): number {
  if (d <= 0) throw new NumericsInputError(`roundHalfEvenDiv needs a positive divisor, got ${d}`);
  const q = floorDiv(n, d);
  // not n − q·d: q·d can pass 2^53 when n is near −2^53 (n = −(2^53 − 6), d = 51) and round; floorMod is n % d, exact
  const rem = floorMod(n, d);
  const twice = 2 * rem; // exact: doubling never rounds
  if (twice > d) return q + 1;
  if (twice < d) return q;
  return q % 2 === 0 ? q : q + 1;
}

/**
 * Round (z · m) / 2^c to an integer exactly, without BigInt, for |z| < 2^36, |m| ≤ 2^31 and 16 ≤ c ≤ 68.
 * The product can reach 2^67, so it is split as z·m = z·mHi·2^16 + z·mLo with each partial below 2^52.
 * Returns undefined outside that domain; callers fall back to roundShiftBig. Cross-checked against the
 * BigInt evaluation in the tests.
 */
export function roundMulShift(z: number, m: number, c: number, tie: TieRule): number | undefined {
  if (c < 16 || c > 68 || Math.abs(z) >= 68719476736 || Math.abs(m) > 2147483648) return undefined;
  const mHi = floorDiv(m, 65536);
  const mLo = m - mHi * 65536; // [0, 2^16)
  const a = z * mHi; // |a| < 2^36 · 2^15 = 2^51
  const b = z * mLo; // |b| < 2^52
  const bHi = Math.floor(b / 65536);
  const bLo = b - bHi * 65536; // [0, 2^16)
  const u = a + bHi; // z·m = u·2^16 + bLo, |u| < 2^52
  const s = c - 16; // 0..52
  const p = pow2(s);
  const q = Math.floor(u / p); // floor(z·m / 2^c): bLo/2^16 < 1 cannot carry past an integer boundary
  const uRem = u - q * p; // [0, 2^s)
  // Remainder of z·m against 2^c is uRem·2^16 + bLo; compare it to half = 2^(c-1).
  let cmp: number;
  if (s === 0) {
    cmp = bLo - 32768;
  } else {
    const halfU = p / 2; // 2^(s-1), exact
    cmp = uRem !== halfU ? uRem - halfU : bLo; // equal upper parts: tie only if bLo == 0
  }
  if (cmp > 0) return q + 1;
  if (cmp < 0) return q + 0; // + 0 turns a −0 (from a zero product) into 0
  if (tie === 'half-up') return q + 1;
  return floorMod(q, 2) === 0 ? q + 0 : q + 1;
}

/** Clamp v into [lo, hi]. */
export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** Range of a signed b-bit integer. */
export function signedRange(bits: number): { lo: number; hi: number } {
  return { lo: -pow2(bits - 1), hi: pow2(bits - 1) - 1 };
}

/** Range of an unsigned b-bit integer. */
export function unsignedRange(bits: number): { lo: number; hi: number } {
  return { lo: 0, hi: pow2(bits) - 1 };
}

/** Clamp to a signed b-bit integer (saturation). */
export function saturateSigned(v: number, bits: number): number {
  const { lo, hi } = signedRange(bits);
  return clamp(v, lo, hi);
}

/** Check v fits a signed b-bit width; throws WidthOverflowError naming op and site. */
export function checkSigned(v: number, bits: number, op: string, site: string): number {
  const { lo, hi } = signedRange(bits);
  if (!(v >= lo && v <= hi)) throw new WidthOverflowError(op, site, v, bits, true);
  return v;
}

/** The maximum of a non-empty row whose every element must fit a signed b-bit width. */
export function checkedRowMax(x: ArrayLike<number>, bits: number, op: string, site: string): number {
  let max = -Infinity;
  for (let j = 0; j < x.length; j++) max = Math.max(max, checkSigned(x[j]!, bits, op, site));
  return max;
}

/** Check v fits an unsigned b-bit width. */
export function checkUnsigned(v: number, bits: number, op: string, site: string): number {
  const { hi } = unsignedRange(bits);
  if (!(v >= 0 && v <= hi)) throw new WidthOverflowError(op, site, v, bits, false);
  return v;
}

export function checkUnsignedBig(v: bigint, bits: number, op: string, site: string): bigint {
  if (v < 0n || v >= 1n << BigInt(bits)) throw new WidthOverflowError(op, site, v, bits, false);
  return v;
}

/** Math.fround under a name that says what it means: round a double to the nearest float32. */
export const fl32 = Math.fround;
