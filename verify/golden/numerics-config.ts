/**
 * Every width and constant choice of the integer pipeline, with numerics.md's defaults. One object of this
 * type describes a variant; the golden model, the simulator and the RTL generator read their widths from it.
 */
import type { Flavour } from './constants.js';
import type { TieRule } from './intmath.js';
import type { SulqGrid } from './ops/sulq.js';

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

/** FQ-ViT's Log-Int-Softmax unit (verify/golden/ops/lis.ts; docs/numerics.md "FQ-ViT"). */
export interface LisUnitParams {
  /** code width b (4 in FQ-ViT; 8 for reference); a model file's own LIS bit width overrides it */
  bits: number;
  /** F: attention·V sums (V << F) >> code at scale S_V·2^−F; F = 15 keeps every 4-bit code exact */
  vFracBits: number;
  /** the shift-accumulate's width (signed): 8 + F + ⌈log2 N⌉ ≤ 32 for N ≤ 512 tokens */
  accBits: number;
  /** width of the i-exp polynomial z = r(r + b) + c ≤ c ≈ 2.79/S² (unsigned) */
  polyBits: number;
  /** width of the row sum Σ z·2^(30 − q) (unsigned) */
  sumBits: number;
}

/** FQ-ViT's power-of-two-scale LayerNorm (verify/golden/ops/pts-layernorm.ts). */
export interface PtsUnitParams {
  /** width of D = C·Σx̃² − (Σx̃)² (unsigned) */
  varianceBits: number;
  /**
   * the PTS standard deviation √D: floor (FQ-ViT's torch.sqrt rounded down, and the generated RTL unit's digit
   * recurrence) by default; `numerics.sqrt` is I-LayerNorm's rule and does not reach it (docs/numerics.md "FQ-ViT")
   */
  sqrt: SqrtRule;
}

/** I-BERT's integer softmax and GELU (verify/golden/ops/ibert.ts): the ablation's baseline (docs/ablation.md). */
export interface IBertUnitParams {
  /** the i-exp polynomial z (unsigned); z·2^30 < 2^53 needs ≤ 23 */
  softmaxPolyBits: number;
  /** the exp requant (I-BERT's QuantAct(16), signed) */
  expRequantBits: number;
  /** the row sum of the requantised exps (unsigned) */
  sumBits: number;
  /** k of out = ⌊E·⌊2^32/Σ⌋ / 2^(32−k)⌋ at scale 2^−k: 15 gives Shiftmax's 2^−15 (I-BERT's own BERT uses 8) */
  softmaxOutputBits: number;
  /** the i-erf value after its shift (signed): the shift n is derived per layer so |c| >> n fits */
  erfBits: number;
  /** the i-erf polynomial (signed) */
  geluPolyBits: number;
}

/** I&S-ViT's SULQ on the Shiftmax output (verify/golden/ops/sulq.ts; docs/numerics.md "I&S-ViT low-bit presets"). */
export interface SulqUnitParams {
  /** code width b (3 or 4 in the presets); the forward grid has 2^b + 1 codes */
  bits: number;
  grid: SulqGrid;
  /** width of the column sum ΣV (signed) */
  vSumBits: number;
  /** width of the shift-add Σ V << s, of H·ΣV and of attention·V (signed) */
  accBits: number;
}

/**
 * The widths of the block linear layers qkv, proj, fc1, fc2 (I&S-ViT's low-bit presets): per-output-channel weights
 * and their layer-wise input activations a1, av, a2, h. 8 and 8 in the I-ViT chain; the patch embedding and the
 * head stay at weightBits / activationBits (docs/numerics.md "I&S-ViT low-bit presets").
 */
export interface LowBitParams {
  weightBits: number;
  inputBits: number;
}

export const ATTENTION_UNITS = ['shiftmax', 'lis', 'ibert', 'sulq'] as const;
export const GELU_UNITS = ['shiftgelu', 'ibert'] as const;
export const LAYERNORM_UNITS = ['ilayernorm', 'pts'] as const;

export interface NumericsConfig {
  /**
   * the softmax of attention: I-ViT's Shiftmax, FQ-ViT's Log-Int-Softmax with attention·V as Σ V >> code, I-BERT's,
   * or Shiftmax followed by I&S-ViT's SULQ with attention·V as Σ V << s − H·ΣV
   */
  attention: (typeof ATTENTION_UNITS)[number];
  sulq: SulqUnitParams;
  lowBit: LowBitParams;
  /** the GELU unit: I-ViT's ShiftGELU or I-BERT's i-erf GELU */
  geluUnit: (typeof GELU_UNITS)[number];
  ibert: IBertUnitParams;
  /** LayerNorm: I-LayerNorm on the 16-bit residual, or FQ-ViT's PTS LayerNorm on int8 with scales s·2^α_c */
  layerNorm: (typeof LAYERNORM_UNITS)[number];
  lis: LisUnitParams;
  pts: PtsUnitParams;
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
  attention: 'shiftmax',
  layerNorm: 'ilayernorm',
  geluUnit: 'shiftgelu',
  ibert: Object.freeze({ softmaxPolyBits: 23, expRequantBits: 16, sumBits: 32, softmaxOutputBits: 15, erfBits: 8, geluPolyBits: 32 }),
  lis: Object.freeze({ bits: 4, vFracBits: 15, accBits: 32, polyBits: 32, sumBits: 64 }),
  pts: Object.freeze({ varianceBits: 48, sqrt: 'floor' as const }),
  sulq: Object.freeze({ bits: 4, grid: 'forward' as const, vSumBits: 16, accBits: 32 }),
  lowBit: Object.freeze({ weightBits: 8, inputBits: 8 }),
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

/**
 * FQ-ViT (docs/numerics.md "FQ-ViT"): Log-Int-Softmax attention with 4-bit codes and PTS LayerNorm; the linear
 * layers, the dyadic requant, ShiftGELU and the residual stream stay I-ViT's (PyTorch flavour).
 */
export const FQVIT_NUMERICS: Readonly<NumericsConfig> = Object.freeze({
  ...PYTORCH_NUMERICS,
  attention: 'lis',
  layerNorm: 'pts',
});

/**
 * I&S-ViT at W4A4 / W3A3 (docs/numerics.md "I&S-ViT low-bit presets"): qkv, proj, fc1, fc2 with b-bit weights per
 * output channel and b-bit layer-wise inputs (a1, a2 after SOS folded the channel-wise scales into LayerNorm's
 * affine at import), SULQ at b bits on Shiftmax's output; the rest is the I-ViT chain (PyTorch flavour).
 */
function isvitNumerics(bits: number): Readonly<NumericsConfig> {
  return Object.freeze({
    ...PYTORCH_NUMERICS,
    attention: 'sulq' as const,
    sulq: Object.freeze({ ...PYTORCH_NUMERICS.sulq, bits }),
    lowBit: Object.freeze({ weightBits: bits, inputBits: bits }),
  });
}
export const ISVIT_W4A4_NUMERICS = isvitNumerics(4);
export const ISVIT_W3A3_NUMERICS = isvitNumerics(3);

export const NUMERICS_PRESETS = {
  pytorch: PYTORCH_NUMERICS,
  tvm: TVM_NUMERICS,
  fqvit: FQVIT_NUMERICS,
  'isvit-w4a4': ISVIT_W4A4_NUMERICS,
  'isvit-w3a3': ISVIT_W3A3_NUMERICS,
} as const;
export type NumericsPresetName = keyof typeof NUMERICS_PRESETS;

/** A preset with overrides, e.g. { sqrt: 'floor' }. */
export function numericsConfig(preset: NumericsPresetName = 'pytorch', overrides: Partial<NumericsConfig> = {}): NumericsConfig {
  return { ...NUMERICS_PRESETS[preset], ...overrides };
}

/**
 * The widths Swin adds to a preset's (docs/numerics.md "Swin forward pass"); every other width is the preset's.
 * The logits are requantised to the preset's activationBits, then the relative bias (int8 at the logit scale) is
 * added in `biasedLogitBits`, which is also Shiftmax's input width in a Swin block.
 */
export interface SwinWidths {
  /** the relative-position-bias table entries (signed) */
  relativeBiasBits: number;
  /** logit + relative bias, saturating; masked pairs are set to this width's minimum (signed) */
  biasedLogitBits: number;
  /** the average pool's per-channel token sum (signed) */
  poolSumBits: number;
}

export const SWIN_WIDTHS: Readonly<SwinWidths> = Object.freeze({ relativeBiasBits: 8, biasedLogitBits: 16, poolSumBits: 32 });
