/**
 * Dyadic requantisation over whole blocks in a tight loop. The arithmetic is the golden model's exact split
 * product (intmath.roundMulShift: z·m = z·mHi·2^16 + z·mLo, each partial below 2^52) with the per-entry constants
 * precomputed once; values outside that domain go to the golden roundDyadic itself. A property test checks it
 * against requantOne / residualOne on random values, multipliers, shifts and both tie rules.
 */
import type { Dyadic } from '../../verify/golden/constants.js';
import type { TieRule } from '../../verify/golden/intmath.js';
import { roundDyadic } from '../../verify/golden/ops/requant.js';

const Z_LIMIT = 68719476736; // 2^36: |z·mHi| and |z·mLo| stay below 2^52

export interface DyadicEntry {
  d: Dyadic;
  fast: boolean;
  mHi: number;
  mLo: number;
  p: number; // 2^(c − 16)
  halfU: number; // 2^(c − 17), or 0 when c = 16
}

export function dyadicEntry(d: Dyadic): DyadicEntry {
  const fast = d.c >= 16 && d.c <= 68 && Number.isSafeInteger(d.m) && Math.abs(d.m) <= 2147483648;
  const mHi = Math.floor(d.m / 65536);
  const p = 2 ** (d.c - 16);
  return { d, fast, mHi, mLo: d.m - mHi * 65536, p, halfU: d.c > 16 ? p / 2 : 0 };
}

/** round(z·m / 2^c) exactly, ties by `tie`. */
export function roundEntry(z: number, e: DyadicEntry, tie: TieRule): number {
  if (!e.fast || !(Math.abs(z) < Z_LIMIT)) return roundDyadic(z, e.d, tie);
  const a = z * e.mHi;
  const b = z * e.mLo;
  const bHi = Math.floor(b / 65536);
  const bLo = b - bHi * 65536;
  const u = a + bHi; // z·m = u·2^16 + bLo
  const q = Math.floor(u / e.p);
  let cmp: number; // sign of (remainder − half)
  if (e.halfU === 0) cmp = bLo - 32768;
  else {
    const uRem = u - q * e.p;
    cmp = uRem !== e.halfU ? uRem - e.halfU : bLo;
  }
  if (cmp > 0) return q + 1;
  if (cmp < 0) return q;
  if (tie === 'half-up') return q + 1;
  return q - 2 * Math.floor(q / 2) === 0 ? q : q + 1;
}

/**
 * Requantise a row-major rows × cols block: one entry, or one per column (channel).
 *
 * Most values are rounded from the double product z·(m·2^−c) (m·2^−c is exact): its error against the exact
 * rational is below (|z·m·2^−c| + 1)·2^−50, so whenever the fractional part of product + ½ lies farther than that
 * from an integer, ⌊product + ½⌋ is the exact round-half result. The rare values inside that band (exact ties
 * among them) and products past 2^50 take the exact split-product path (roundEntry). Values far outside the
 * destination range clamp directly.
 */
export function requantBlock(
  src: ArrayLike<number>,
  rows: number,
  cols: number,
  table: readonly Dyadic[],
  perChannel: boolean,
  bits: number,
  tie: TieRule,
  out: { [i: number]: number },
): void {
  const lo = -(2 ** (bits - 1));
  const hi = 2 ** (bits - 1) - 1;
  const es = (perChannel ? table : table.slice(0, 1)).map(dyadicEntry);
  const scale = Float64Array.from(es, (e) => e.d.m * 2 ** -e.d.c);
  const step = perChannel ? 1 : 0;
  const EPS = 2 ** -50;
  for (let r = 0, i = 0; r < rows; r++) {
    for (let c = 0, k = 0; c < cols; c++, i++, k += step) {
      const z = src[i]!;
      const prod = z * scale[k]!;
      let v: number;
      if (prod > hi + 2) v = hi;
      else if (prod < lo - 2) v = lo;
      else {
        const t = prod + 0.5;
        const f = Math.floor(t);
        const frac = t - f;
        const eps = (Math.abs(prod) + 1) * EPS;
        v = frac > eps && frac < 1 - eps ? f : roundEntry(z, es[k]!, tie);
      }
      out[i] = (v < lo ? lo : v > hi ? hi : v) + 0; // + 0 turns −0 into 0
    }
  }
}

/** The residual add: each branch rounded on its own, only the sum clamped. */
export function residualBlock(
  x: ArrayLike<number>,
  tx: readonly Dyadic[],
  xPerChannel: boolean,
  y: ArrayLike<number>,
  ty: readonly Dyadic[],
  yPerChannel: boolean,
  rows: number,
  cols: number,
  bits: number,
  tie: TieRule,
  out: { [i: number]: number },
): void {
  const ex = tx.map(dyadicEntry);
  const ey = ty.map(dyadicEntry);
  const lo = -(2 ** (bits - 1));
  const hi = 2 ** (bits - 1) - 1;
  for (let r = 0, i = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++, i++) {
      const v = roundEntry(x[i]!, ex[xPerChannel ? c : 0]!, tie) + roundEntry(y[i]!, ey[yPerChannel ? c : 0]!, tie);
      out[i] = (v < lo ? lo : v > hi ? hi : v) + 0;
    }
  }
}
