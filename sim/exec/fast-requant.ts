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

/** Requantise a row-major rows × cols block: one entry, or one per column (channel). */
export function requantBlock(
  src: ArrayLike<number>, rows: number, cols: number, table: readonly Dyadic[], perChannel: boolean, bits: number, tie: TieRule,
  out: { [i: number]: number },
): void {
  const lo = -(2 ** (bits - 1));
  const hi = 2 ** (bits - 1) - 1;
  if (!perChannel) {
    const e = dyadicEntry(table[0]!);
    if (e.fast && e.halfU !== 0) return requantTensorFast(src, rows * cols, e, tie === 'half-up', lo, hi, out);
  }
  const es = table.map(dyadicEntry);
  for (let r = 0, i = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++, i++) {
      const v = roundEntry(src[i]!, es[perChannel ? c : 0]!, tie);
      out[i] = (v < lo ? lo : v > hi ? hi : v) + 0;
    }
  }
}

/** The per-tensor loop with the entry's constants in locals (the same arithmetic as roundEntry, c > 16). */
function requantTensorFast(src: ArrayLike<number>, count: number, e: DyadicEntry, halfUp: boolean, lo: number, hi: number, out: { [i: number]: number }): void {
  const { mHi, mLo, p, halfU } = e;
  // multiplying by an exact power-of-two reciprocal is the same as dividing, and much cheaper
  const invP = 1 / p;
  const inv16 = 1 / 65536;
  for (let i = 0; i < count; i++) {
    const z = src[i]!;
    let v: number;
    if (z < Z_LIMIT && z > -Z_LIMIT) {
      const b = z * mLo;
      const bHi = Math.floor(b * inv16);
      const bLo = b - bHi * 65536;
      const u = z * mHi + bHi;
      const q = Math.floor(u * invP);
      const uRem = u - q * p;
      const cmp = uRem !== halfU ? uRem - halfU : bLo;
      v = cmp > 0 ? q + 1 : cmp < 0 ? q : halfUp || q - 2 * Math.floor(q / 2) !== 0 ? q + 1 : q;
    } else v = roundDyadic(z, e.d, halfUp ? 'half-up' : 'half-even');
    out[i] = (v < lo ? lo : v > hi ? hi : v) + 0; // + 0 turns −0 (from z·0 or −z·m products) into 0
  }
}

/** The residual add: each branch rounded on its own, only the sum clamped. */
export function residualBlock(
  x: ArrayLike<number>, tx: readonly Dyadic[], xPerChannel: boolean, y: ArrayLike<number>, ty: readonly Dyadic[], yPerChannel: boolean,
  rows: number, cols: number, bits: number, tie: TieRule, out: { [i: number]: number },
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
