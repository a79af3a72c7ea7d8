/** Integer square roots for I-LayerNorm (numerics.md §5 step 4). */
import { NumericsInputError, floorDiv, MAX_SAFE } from '../intmath.js';

export const NEWTON_START = 65536; // 2^16, the reference's fixed start
export const NEWTON_STEPS = 10;

/** The reference loop: k ← ⌊(k + ⌊V/k⌋)/2⌋ ten times from 2^16, no stop test. V is a safe integer here. */
export function newtonSqrt10(v: number): number {
  if (!Number.isSafeInteger(v) || v < 0) throw new NumericsInputError(`isqrt: V must be a non-negative integer, got ${v}`);
  let k = NEWTON_START;
  for (let i = 0; i < NEWTON_STEPS; i++) k = floorDiv(k + floorDiv(v, k), 2);
  return k;
}

/** The same loop on BigInt, for any V (and as the reference the number path is tested against). */
export function newtonSqrt10Big(v: bigint): bigint {
  if (v < 0n) throw new NumericsInputError(`isqrt: V must be non-negative, got ${v}`);
  let k = BigInt(NEWTON_START);
  for (let i = 0; i < NEWTON_STEPS; i++) k = (k + v / k) / 2n; // all positive: truncation is floor
  return k;
}

/** Every k of the loop, for test benches that replay it step by step. */
export function newtonSqrt10Trace(v: bigint): bigint[] {
  const ks: bigint[] = [];
  let k = BigInt(NEWTON_START);
  for (let i = 0; i < NEWTON_STEPS; i++) {
    k = (k + v / k) / 2n;
    ks.push(k);
  }
  return ks;
}

/** True ⌊√V⌋ (the floor-sqrt variant), exact for any non-negative V. */
export function floorSqrtBig(v: bigint): bigint {
  if (v < 0n) throw new NumericsInputError(`isqrt: V must be non-negative, got ${v}`);
  if (v < 2n) return v;
  let x = BigInt(Math.floor(Math.sqrt(Number(v)))); // a close start, then exact correction
  while (x * x > v) x -= 1n;
  while ((x + 1n) * (x + 1n) <= v) x += 1n;
  return x;
}

export function floorSqrt(v: number): number {
  if (!Number.isSafeInteger(v) || v < 0) throw new NumericsInputError(`isqrt: V must be a non-negative integer, got ${v}`);
  if (v <= MAX_SAFE) {
    let x = Math.floor(Math.sqrt(v));
    while (x * x > v) x -= 1;
    while ((x + 1) * (x + 1) <= v) x += 1;
    return x;
  }
  return Number(floorSqrtBig(BigInt(v)));
}
