/**
 * A quantised I-ViT Swin Transformer (docs/numerics.md "Swin forward pass"): integer tensors plus the float32 scales
 * they carry, as in qmodel.ts. Every integer constant of the forward pass (verify/golden/swin-forward.ts) derives
 * from these scales.
 */
import type { BlockScales, QLayerNorm, QLinear } from './qmodel.js';
import type { SwinConfig } from './zoo.js';

/**
 * The relative-position-bias table of one block: int8 [(2w−1)² × heads] (row = relativePositionIndex entry, then
 * head), held at the block's logit scale (scales.logit): the integer model adds entries to the requantised logits
 * as they are, so the table has no scale of its own.
 */
export interface QRelativeBias {
  table: Int8Array;
}

/** One Swin block's layers: the same linears, norms and scales as a ViT block plus its relative-position-bias table. */
export interface QSwinBlock {
  norm1: QLayerNorm;
  qkv: QLinear;
  relativeBias: QRelativeBias;
  proj: QLinear;
  norm2: QLayerNorm;
  fc1: QLinear;
  fc2: QLinear;
  /** as a ViT block's; `logit` is also the scale of the relative bias and of the biased logits */
  scales: BlockScales;
}

/** PatchMerging's output scales. */
export interface PatchMergeScales {
  /** the 8-bit requant of the I-LayerNorm over the 4C gather (the reduction's input) */
  normOut: number;
  /** the 16-bit requant of the reduction: the residual stream scale of the next stage's first block */
  reductionOut: number;
}

/** PatchMerging between stages: I-LayerNorm over the 4C gather, then a 4C → 2C linear with no bias (its bias is all zero). */
export interface QPatchMerge {
  norm: QLayerNorm;
  reduction: QLinear;
  scales: PatchMergeScales;
}

export interface QSwinStage {
  blocks: QSwinBlock[];
  /** absent on the last stage */
  merge?: QPatchMerge;
}

/** The model-level activation scales, in forward order. */
export interface SwinModelScales {
  /** qact_input, 8-bit image */
  input: number;
  /** the patch embedding's 16-bit output (the patch norm's input) */
  patch: number;
  /** the patch norm's 16-bit output: the residual stream scale of stage 0's first block */
  embed: number;
  /** the final norm's 8-bit output; the average pool keeps it */
  headIn: number;
  /** the head's final requant to one common scale */
  logits: number;
}

export interface QSwinModel {
  family: 'swin';
  config: SwinConfig;
  /** the 4×4 patch convolution flattened (in-channel, ky, kx), as a ViT's patch embedding */
  patchEmbed: QLinear;
  patchNorm: QLayerNorm;
  stages: QSwinStage[];
  norm: QLayerNorm;
  head: QLinear;
  scales: SwinModelScales;
  provenance: { [key: string]: string | number | undefined };
}
