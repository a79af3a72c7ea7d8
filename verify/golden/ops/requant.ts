/** Dyadic requantisation (numerics.md §2): out = clamp(round(z · m / 2^c)), exact. */
import type { Dyadic } from '../constants.js';
import { type TieRule, roundMulShift, roundShiftBig, saturateSigned, assertSafeInteger } from '../intmath.js';

/** round(z · m / 2^c) exactly, using the split-product fast path where it applies, else BigInt. */
export function roundDyadic(z: number, d: Dyadic, tie: TieRule): number {
  const fast = roundMulShift(z, d.m, d.c, tie);
  if (fast !== undefined) return fast;
  return roundDyadicBig(z, d, tie);
}

/** The same value, always on BigInt (the reference the fast path is tested against). */
export function roundDyadicBig(z: number, d: Dyadic, tie: TieRule): number {
  assertSafeInteger(z, 'requant input');
  const prod = BigInt(z) * BigInt(d.m);
  if (d.c >= 0) return Number(roundShiftBig(prod, d.c, tie));
  return Number(prod << BigInt(-d.c));
}

/** One value: clamp(round(z·m/2^c)) to a signed `bits` width. */
export function requantOne(z: number, d: Dyadic, bits: number, tie: TieRule): number {
  return saturateSigned(roundDyadic(z, d, tie), bits);
}

export type DyadicTable = Dyadic | readonly Dyadic[];

/** Per-channel constants of the split-product evaluation (see intmath.roundMulShift), or null for BigInt. */
interface SplitDyadic {
  mHi: number;
  mLo: number;
  p: number; // 2^(c−16)
  halfP: number; // 2^(c−17), or 0 when c = 16
}

function splitDyadic(d: Dyadic): SplitDyadic | null {
  if (d.c < 16 || d.c > 68 || Math.abs(d.m) > 2147483648) return null;
  const mHi = Math.floor(d.m / 65536);
  return { mHi, mLo: d.m - mHi * 65536, p: 2 ** (d.c - 16), halfP: d.c === 16 ? 0 : 2 ** (d.c - 17) };
}

/**
 * Requantise a [rows × channels] tensor. `d` is one pair (per tensor) or one per channel (the last axis).
 * The hot loop inlines the split-product evaluation of intmath.roundMulShift (same arithmetic; the tests
 * check this path against BigInt); values outside its domain take the BigInt path.
 */
export function requantTensor(
  z: ArrayLike<number>,
  channels: number,
  d: DyadicTable,
  bits: number,
  tie: TieRule,
  out: { length: number; [i: number]: number },
): void {
  const table: readonly Dyadic[] = Array.isArray(d) ? (d as readonly Dyadic[]) : [d as Dyadic];
  const perChannel = Array.isArray(d);
  if (perChannel && table.length !== channels) throw new RangeError(`requant table has ${table.length} entries for ${channels} channels`);
  const split = table.map(splitDyadic);
  const lo = -(2 ** (bits - 1));
  const hi = 2 ** (bits - 1) - 1;
  const halfUp = tie === 'half-up';
  for (let i = 0, c = 0; i < z.length; i++) {
    const zi = z[i]!;
    const sp = split[c];
    let r: number;
    if (sp && zi < 68719476736 && zi > -68719476736) {
      const b = zi * sp.mLo;
      const bHi = Math.floor(b / 65536);
      const bLo = b - bHi * 65536;
      const u = zi * sp.mHi + bHi;
      const q = Math.floor(u / sp.p);
      const uRem = u - q * sp.p;
      const cmp = sp.halfP === 0 ? bLo - 32768 : uRem !== sp.halfP ? uRem - sp.halfP : bLo;
      r = cmp > 0 ? q + 1 : cmp < 0 ? q : halfUp || q % 2 !== 0 ? q + 1 : q;
    } else {
      r = roundDyadic(zi, table[c]!, tie);
    }
    out[i] = r < lo ? lo : r > hi ? hi : r + 0; // + 0: a zero product (m = 0 or z = 0 with m < 0) must not leave −0
    if (perChannel && ++c === channels) c = 0;
  }
}

/**
 * Residual add (numerics.md §2 item 6): each branch is requantised to the output scale and rounded on its
 * own; only the sum is clamped.
 */
export function residualOne(z1: number, d1: Dyadic, z2: number, d2: Dyadic, bits: number, tie: TieRule): number {
  return saturateSigned(roundDyadic(z1, d1, tie) + roundDyadic(z2, d2, tie), bits);
}
