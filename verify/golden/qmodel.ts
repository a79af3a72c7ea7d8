/**
 * A quantised I-ViT model: integer tensors plus the float32 scales they carry (numerics.md §1, §7).
 * The scales are the model's facts; every integer constant of the forward pass is derived from them
 * (verify/golden/model-constants.ts).
 */
import type { VitConfig } from './zoo.js';

/** A QuantLinear / QuantConv2d: int8 weights [out × in], int32 bias, per-output-channel weight scales. */
export interface QLinear {
  outFeatures: number;
  inFeatures: number;
  weight: Int8Array;
  bias: Int32Array;
  weightScale: Float32Array;
}

/**
 * FQ-ViT's power-of-two-scale quantisation of one LayerNorm's input (docs/numerics.md "FQ-ViT"): channel c is int8 at
 * scale s·2^alpha[c], from PtfObserver-style calibration (verify/import/pts-calibration.ts).
 */
export interface PtsInputScales {
  /** the layer-wise base scale s (float32) */
  scale: number;
  /** α_c ∈ 0…3 per channel */
  alpha: Uint8Array;
}

/** SULQ's calibration of one block (verify/import/isvit-calibration.ts): the shift η and the range of P seen. */
export interface SulqCalibration {
  /** η from the published search list (float32), rounded to the input grid by sulqConstants */
  eta: number;
  /** the smallest and largest Shiftmax output P (scale 2^−inputFracBits) over the calibration batch */
  pMin: number;
  pMax: number;
}

/**
 * What an I&S-ViT model file carries beyond an I-ViT one (docs/model-format.md "isvit"). The SOS factors r_c are
 * already folded into the stored LayerNorm affine and the next layer's weights; they are kept as the record of it.
 */
export interface IsvitFields {
  /** weight width of qkv, proj, fc1, fc2 and of their inputs a1, av, a2, h */
  weightBits: number;
  inputBits: number;
  /** SULQ code width and the input grid the ranges are on (2^−f, f = Shiftmax k − 1) */
  sulqBits: number;
  inputFracBits: number;
  /** per block */
  sulq: SulqCalibration[];
  /** per LayerNorm prefix (blocks.i.norm1, blocks.i.norm2): r_c = s_c / mean(s), divided out of γ, β and into the next weights */
  sos: Record<string, Float32Array>;
}

/** Float32 affine parameters of an I-LayerNorm (the integer bias and output scales derive from them). */
export interface QLayerNorm {
  gamma: Float32Array;
  beta: Float32Array;
  /** the PTS input scales of the `fqvit` preset; absent in a model without the FQ-ViT fields */
  pts?: PtsInputScales;
}

/** The activation (QuantAct) output scales of one block, in forward order. */
export interface BlockScales {
  a1: number; // norm1 → 8-bit (qact1)
  qkv: number; // attn.qact1, one scale for q, k, v
  logit: number; // qact_attn1
  av: number; // attn.qact2
  proj: number; // attn.qact3, 16-bit
  res1: number; // Block.qact2, 16-bit residual
  a2: number; // norm2 → 8-bit (qact3)
  gelu: number; // qact_gelu, GELU input
  h: number; // mlp.qact1, GELU output → 8-bit
  fc2: number; // mlp.qact2, 16-bit
  res2: number; // Block.qact4, 16-bit residual
}

export const BLOCK_SCALE_KEYS: ReadonlyArray<keyof BlockScales> = ['a1', 'qkv', 'logit', 'av', 'proj', 'res1', 'a2', 'gelu', 'h', 'fc2', 'res2'];

export interface QBlock {
  norm1: QLayerNorm;
  qkv: QLinear;
  proj: QLinear;
  norm2: QLayerNorm;
  fc1: QLinear;
  fc2: QLinear;
  scales: BlockScales;
}

export interface ModelScales {
  input: number; // qact_input, 8-bit image
  patch: number; // patch_embed.qact, 16-bit (S_P)
  pos: number; // qact_pos, 16-bit
  embed: number; // qact1, 16-bit residual-style sum
  headIn: number; // qact2 after the final norm, 8-bit
  logits: number; // the final requant to one common scale
}

/**
 * How a picture becomes the model's input: per input channel, x = (pixel/255 − mean[c]) / std[c] in float32
 * (mean and std rounded to float32 first), then QuantAct's int8 quantisation with scales.input.
 */
export interface Preprocess {
  mean: number[];
  std: number[];
}

/** Where a model came from. Import sets checkpoint (its path) and checkpointSha256 (hex); the rest is free-form. */
export interface Provenance {
  [key: string]: string | number | undefined;
  checkpoint?: string;
  checkpointSha256?: string;
}

export interface QuantModel {
  config: VitConfig;
  patch: QLinear; // conv weights flattened (in-channel, ky, kx)
  cls: Int16Array; // [C] at the patch scale
  pos: Int16Array; // [tokens × C] at the pos scale
  blocks: QBlock[];
  norm: QLayerNorm;
  head: QLinear;
  scales: ModelScales;
  /** I&S-ViT's low-bit fields (the isvit-w4a4 / isvit-w3a3 presets); absent in other models */
  isvit?: IsvitFields;
  /** FQ-ViT's model-level field (with every LayerNorm's `pts`): the LIS code width; absent without the FQ-ViT fields */
  fqvit?: { lisBits: number };
  /** the input normalisation the model was trained with; absent in models that carry none (synthetic ones) */
  preprocess?: Preprocess;
  provenance: Provenance;
}
