/**
 * The shift-based exponential shared by Shiftmax and ShiftGELU (numerics.md §3 steps 2–5): E ≈ e^(S·Δ)·2^n·|x0|
 * for an integer Δ, using only shifts, one compare-subtract ladder against the constant x0 and a shift.
 */
import type { Flavour } from '../constants.js';
import { floorDiv, floorShiftRight, truncDiv, pow2, INT31_MAX, NumericsInputError } from '../intmath.js';

export interface ShiftExpTrace {
  p: number; // Δ·log2(e) by shifts, after the clamp at n·x0
  q: number;
  r: number;
  e: number; // the exp value (saturated at `cap` if one was given)
}

/** P = Δ + (Δ >> 1) − (Δ >> 4): Δ·1.4375 ≈ Δ·log2 e, floor shifts. */
export function log2eShiftAdd(delta: number): number {
  return delta + floorShiftRight(delta, 1) - floorShiftRight(delta, 4);
}

/**
 * E for one Δ. PyTorch: q = ⌊P/x0⌋, r = P − x0·q, E = max(0, ⌊(r − 2·x0)·2^(n−q) / 2⌋).
 * TVM: q = trunc(P/x0), E = max(0, ((r >> 1) − x0)·2^(n−q)).
 * A positive Δ (ShiftGELU's e^(−M) with a negative row max) can shift left by more than n; values past
 * `cap` are returned as `cap` (the caller's saturation point, where it has one) and computed exactly below it.
 */
export function shiftExp(delta: number, x0: number, n: number, flavour: Flavour, cap = Infinity): ShiftExpTrace {
  const p = Math.max(log2eShiftAdd(delta), n * x0);
  let q: number;
  let base: number; // E = base · 2^shift, or ⌊base/2⌋ when shift = −1
  let shift: number;
  if (flavour === 'tvm') {
    q = truncDiv(p, x0);
    const r = p - x0 * q;
    base = floorShiftRight(r, 1) - x0;
    shift = n - q;
    return { p, q, r, e: scaleExp(base, shift, cap) };
  }
  q = floorDiv(p, x0);
  const r = p - x0 * q;
  base = r - 2 * x0; // in [|x0| + 1, 2|x0|]
  shift = n - q - 1;
  return { p, q, r, e: scaleExp(base, shift, cap) };
}

function scaleExp(base: number, shift: number, cap: number): number {
  if (base <= 0) return 0; // the reference clamps the exp at 0
  if (shift < 0) return Math.min(cap, floorDiv(base, pow2(-shift)));
  // base < 2^32 here; compare in the log domain first so huge shifts never form a huge number
  const v = shift > 60 ? Infinity : base * pow2(shift);
  if (v > cap) return cap;
  if (!Number.isSafeInteger(v)) throw new NumericsInputError(`shift-exp value ${base}·2^${shift} passes 2^53`);
  return v;
}

export const EXP_SATURATION = INT31_MAX;
