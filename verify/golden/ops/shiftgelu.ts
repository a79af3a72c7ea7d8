/** ShiftGELU (numerics.md §4): x·σ(1.702x) with the shift-exp and one exact divide per element. */
import type { Flavour } from '../constants.js';
import type { GeluSigmaRule, NumericsConfig } from '../numerics-config.js';
import { INT31_MAX, checkSigned, checkUnsigned, floorDiv, pow2 } from '../intmath.js';
import { EXP_SATURATION, shiftExp } from './shift-exp.js';

export interface ShiftGeluParams {
  x0: number; // from S_σ = fl32(S · fl32(1.702))
  n: number;
  k: number;
  flavour: Flavour;
  inputBits: number;
  /**
   * reference: E_j exact, as the published IntGELU (only D is saturated), so σ < 2^k (uint8 for k = 8) and
   * E_j must fit `expBits`; saturate: E_j saturated at 2^31 − 1 first, so σ ≤ 2^(k−1) − 1 (uint7)
   */
  sigmaRule: GeluSigmaRule;
  /** the unsigned width of E_j under the reference rule (32: |x0| ≤ 511 for n = 23) */
  expBits: number;
}

export interface ShiftGeluResult {
  out: number[]; // x · σ, scale S · 2^−(k−1)
  sigma: number[]; // uint(k) (reference) or uint(k−1) (saturate), scale 2^−(k−1)
  max: number;
  /** e^(−M) term, saturated at 2^31 − 1 (same D as the exact value, because E_j ≥ 0) */
  expMax: number;
}

/** The ShiftGELU parameters a numerics preset implies for one layer's x0. */
export function shiftGeluParams(cfg: NumericsConfig, x0: number, inputBits = cfg.activationBits): ShiftGeluParams {
  return { x0, n: cfg.gelu.n, k: cfg.gelu.k, flavour: cfg.flavour, inputBits, sigmaRule: cfg.geluSigma, expBits: cfg.expBits };
}

/** The cap on E_j before σ: none under the reference rule (its width is checked instead), 2^31 − 1 when saturating. */
export function geluExpCap(rule: GeluSigmaRule): number {
  return rule === 'saturate' ? EXP_SATURATION : Infinity;
}

/** One row over the hidden dimension (the row max makes it a two-pass unit). */
export function shiftGeluRow(x: ArrayLike<number>, p: ShiftGeluParams, site: string): ShiftGeluResult {
  if (x.length === 0) throw new RangeError(`shiftgelu at ${site}: empty row`);
  let max = -Infinity;
  for (let j = 0; j < x.length; j++) {
    const v = checkSigned(x[j]!, p.inputBits, 'shiftgelu input', site);
    if (v > max) max = v;
  }
  const expMax = shiftExp(-max, p.x0, p.n, p.flavour, EXP_SATURATION).e;
  const cap = geluExpCap(p.sigmaRule);
  const div = pow2(32 - p.k);
  const sigma = new Array<number>(x.length);
  const out = new Array<number>(x.length);
  for (let j = 0; j < x.length; j++) {
    const e = shiftExp(x[j]! - max, p.x0, p.n, p.flavour, cap).e;
    if (p.sigmaRule === 'reference') checkUnsigned(e, p.expBits, 'shiftgelu exp E_j', site);
    const d = Math.min(e + expMax, INT31_MAX);
    const f = floorDiv(INT31_MAX, d);
    // E·F ≤ 2^31 − 1 while D is not saturated; when it is, F = 1 and E·F = E < 2^expBits
    const s = Math.floor((e * f) / div);
    sigma[j] = s;
    out[j] = x[j]! * s + 0; // + 0: a negative x with σ = 0 must give 0, not −0
  }
  return { out, sigma, max, expMax };
}
