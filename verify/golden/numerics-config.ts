/**
 * Every width and constant choice of the integer pipeline, with numerics.md's defaults. One object of this
 * type describes a variant; the golden model, the simulator and the RTL generator read their widths from it.
 */
import type { Flavour } from './constants.js';
import type { TieRule } from './intmath.js';

export type SqrtRule = 'newton10' | 'floor';

/**
 * ShiftGELU's σ at small scales (|x0| ≥ 256, S ≲ 0.0023; numerics.md §4): `reference` evaluates E_j exactly as
 * the published IntGELU does (only D saturates), so σ reaches ⌊|x0|/2⌋ (uint8, x·σ int16, |x0| ≤ 511);
 * `saturate` saturates each E_j at 2^31 − 1 first, so σ ≤ 127 (uint7, x·σ int15), as hardware would ship it.
 * Both are identical while |x0| < 256.
 */
export const GELU_SIGMA_RULES = ['reference', 'saturate'] as const;
export type GeluSigmaRule = (typeof GELU_SIGMA_RULES)[number];

export function isGeluSigmaRule(v: unknown): v is GeluSigmaRule {
  return (GELU_SIGMA_RULES as readonly unknown[]).includes(v);
}

export interface ExpUnitParams {
  /** fraction bits kept by the shift-exp (n) */
  n: number;
  /** output width k: Shiftmax out = (E·F) >> (32 − k), scale 2^−(k−1) */
  k: number;
}

export interface NumericsConfig {
  /** whose constants and rounding: the PyTorch code evaluated exactly (default) or the TVM deployment */
  flavour: Flavour;
  /** I-LayerNorm square root: the reference's fixed 10 Newton steps from 2^16, or a true floor square root */
  sqrt: SqrtRule;
  /** tie rule of every dyadic requant */
  requantTie: TieRule;
  /** LN mean: round half to even (PyTorch) or truncate (TVM) */
  lnMean: 'half-even' | 'trunc';
  /** LN z = y·F / 2: floor (PyTorch) or truncate (TVM) */
  lnHalve: 'floor' | 'trunc';
  activationBits: number; // int8 linear inputs, logits, GELU in/out
  residualBits: number; // 16-bit residual stream
  accumulatorBits: number; // int32 matrix-product accumulators (bias included)
  weightBits: number;
  biasBits: number;
  softmax: ExpUnitParams;
  gelu: ExpUnitParams;
  /** ShiftGELU's σ when E_j passes 2^31 − 1: the reference's exact E_j, or saturated (σ ≤ 127) */
  geluSigma: GeluSigmaRule;
  /** width of the LN variance sum V = Σ y² (≥ 48 bits for ViT-B; TVM's uint32 overflows) */
  lnVarianceBits: number;
  /** width of the LN output z + B */
  lnOutputBits: number;
  /** width of the exp values E (unsigned) inside Shiftmax/ShiftGELU */
  expBits: number;
  /** the head's final requant to one common scale, so argmax is valid */
  logitBits: number;
}

export const PYTORCH_NUMERICS: Readonly<NumericsConfig> = Object.freeze({
  flavour: 'pytorch',
  sqrt: 'newton10',
  requantTie: 'half-even',
  lnMean: 'half-even',
  lnHalve: 'floor',
  activationBits: 8,
  residualBits: 16,
  accumulatorBits: 32,
  weightBits: 8,
  biasBits: 32,
  softmax: Object.freeze({ n: 15, k: 16 }),
  gelu: Object.freeze({ n: 23, k: 8 }),
  geluSigma: 'reference',
  lnVarianceBits: 48,
  lnOutputBits: 33,
  expBits: 32,
  logitBits: 32,
});

/** TVM deployment (numerics.md §10): n = 16 / k = 8 softmax, truncating mean and halving, uint32 variance, ties upward. */
export const TVM_NUMERICS: Readonly<NumericsConfig> = Object.freeze({
  ...PYTORCH_NUMERICS,
  flavour: 'tvm',
  requantTie: 'half-up',
  lnMean: 'trunc',
  lnHalve: 'trunc',
  softmax: Object.freeze({ n: 16, k: 8 }),
  lnVarianceBits: 32,
});

export const NUMERICS_PRESETS = { pytorch: PYTORCH_NUMERICS, tvm: TVM_NUMERICS } as const;
export type NumericsPresetName = keyof typeof NUMERICS_PRESETS;

/** A preset with overrides, e.g. { sqrt: 'floor' }. */
export function numericsConfig(preset: NumericsPresetName = 'pytorch', overrides: Partial<NumericsConfig> = {}): NumericsConfig {
  return { ...NUMERICS_PRESETS[preset], ...overrides };
}
