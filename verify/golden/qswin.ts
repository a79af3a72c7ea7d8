/**
 * A quantised I-ViT Swin Transformer (numerics.md §7, Swin): integer tensors plus the float32 scales they carry, as in
 * qmodel.ts. Types only; the golden forward and the seeded generator are still to be written.
 */
import type { BlockScales, QLayerNorm, QLinear } from './qmodel.js';
import type { SwinConfig } from './zoo.js';

/** The relative-position-bias table of one block: int8 [(2w−1)² × heads] at one scale, indexed by the pair of window cells. */
export interface QRelativeBias {
  table: Int8Array;
  scale: number;
}

/** One Swin block's layers: the same linears and norms as a ViT block plus its relative-position-bias table. */
export interface QSwinBlock {
  norm1: QLayerNorm;
  qkv: QLinear;
  relativeBias: QRelativeBias;
  proj: QLinear;
  norm2: QLayerNorm;
  fc1: QLinear;
  fc2: QLinear;
  /** ViT's block scales plus `biasedLogit`, the 8-bit requant of logit + relative bias (provisional) */
  scales: BlockScales & { biasedLogit: number };
}

/** PatchMerging between stages: I-LayerNorm over the 4C gather, then a 4C → 2C linear with no bias. */
export interface QPatchMerge {
  norm: QLayerNorm;
  reduction: QLinear;
  /** 8-bit scales after the norm and after the reduction (provisional) */
  scales: { normOut: number; reductionOut: number };
}

export interface QSwinStage {
  blocks: QSwinBlock[];
  /** absent on the last stage */
  merge?: QPatchMerge;
}

export interface QSwinModel {
  family: 'swin';
  config: SwinConfig;
  patchEmbed: QLinear;
  patchNorm: QLayerNorm;
  stages: QSwinStage[];
  norm: QLayerNorm;
  head: QLinear;
}
