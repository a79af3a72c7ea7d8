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

/**
 * Requantise a [rows × channels] tensor. `d` is one pair (per tensor) or one per channel (the last axis).
 */
export function requantTensor(
  z: ArrayLike<number>,
  channels: number,
  d: DyadicTable,
  bits: number,
  tie: TieRule,
  out: { length: number; [i: number]: number },
): void {
  if (!Array.isArray(d)) {
    const one = d as Dyadic;
    for (let i = 0; i < z.length; i++) out[i] = requantOne(z[i]!, one, bits, tie);
    return;
  }
  const table = d as readonly Dyadic[];
  if (table.length !== channels) throw new RangeError(`requant table has ${table.length} entries for ${channels} channels`);
  for (let i = 0, c = 0; i < z.length; i++) {
    out[i] = requantOne(z[i]!, table[c]!, bits, tie);
    if (++c === channels) c = 0;
  }
}

/**
 * Residual add (numerics.md §2 item 6): each branch is requantised to the output scale and rounded on its
 * own; only the sum is clamped.
 */
export function residualOne(z1: number, d1: Dyadic, z2: number, d2: Dyadic, bits: number, tie: TieRule): number {
  return saturateSigned(roundDyadic(z1, d1, tie) + roundDyadic(z2, d2, tie), bits);
}
