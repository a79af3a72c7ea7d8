/** Shared pieces of the RTL tests: scales with their x0, and the exhaustive (x, row max) rows. */
import { type Flavour, expX0, geluSigmaScale } from '../../verify/golden/constants.js';
import { fl32 } from '../../verify/golden/intmath.js';
import type { ExpRow } from '../../verify/rtl/adapters.js';
import { comparedValues } from '../../verify/rtl/cosim.js';

/** float32 scales from 1 down to 1/250, so |x0| spans 1..250 (every value the x0Bits = 8 lanes accept). */
export const SCALE_SPREAD: readonly number[] = [1, 0.5, 0.3, 0.1, 0.05, 0.0213, 0.0078125, 0.004].map(fl32);

export function x0MagOf(scale: number): number {
  return -expX0(scale, 'pytorch');
}

/** One row per row max M ∈ [−128, 127], holding every 8-bit x ≤ M: every (x, M) pair once. */
export function everyInputAgainstEveryMax(x0Mag: number): ExpRow[] {
  const rows: ExpRow[] = [];
  for (let max = -128; max <= 127; max++) {
    const x: number[] = [];
    for (let v = max; v >= -128; v--) x.push(v);
    rows.push({ x, x0Mag });
  }
  return rows;
}

/** ShiftGELU's |x0| for an input scale S: x0 from S_σ = fl32(S · fl32(1.702)), by the flavour's rule. */
export function geluX0MagOf(scale: number, flavour: Flavour = 'pytorch'): number {
  return -expX0(geluSigmaScale(scale), flavour);
}

/** GELU input scales whose |x0| spans 1..255. */
export const GELU_SCALE_SPREAD: readonly number[] = [1, 0.5, 0.3, 0.1, 0.05, 0.0213, 0.0078125, 0.004, 0.0024].map(fl32);

/**
 * GELU input scales (float32) for which fl32(−1/S_σ) is an integer t, so the TVM rule trunc(−1/S_σ − 1) gives
 * |x0| = t + 1 while PyTorch's ⌊−1/S_σ⌋ gives t: t = 1, 2, 10, 64, 128, 254 (TVM |x0| up to 255).
 */
export const GELU_INTEGRAL_INVERSE_SCALES: readonly number[] = [
  0.5875440835952759, 0.29377204179763794, 0.05875440686941147, 0.009180376306176186, 0.004590188153088093, 0.002313165692612529,
].map(fl32);

/** One line per unit and simulator: how many output values the co-simulations of this file compared. */
export function printComparedValues(): void {
  const parts = [...comparedValues].map(([k, v]) => `${k}: ${v.toLocaleString('en-US')}`);
  if (parts.length > 0) process.stdout.write(`      co-simulated values compared bit for bit: ${parts.join('; ')}\n`);
  comparedValues.clear();
}
