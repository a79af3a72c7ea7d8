/**
 * The graph IR of the integer ViT: the same operators, in the same order, that the golden model
 * (verify/golden/vit-forward.ts) evaluates. Every activation tensor carries the name the golden observer gives
 * it, so a compiled program's layer outputs can be compared with the golden model's hash by hash.
 *
 * A graph either carries the model's integer constants (weights, requant tables, x0, LN biases) or only its
 * shapes: a shape-only graph compiles to a program with the identical instruction stream for timing-only
 * simulation (design-space sweeps of models nobody has quantised yet).
 */
import type { Dyadic } from '../../verify/golden/constants.js';
import type { NumericsConfig } from '../../verify/golden/numerics-config.js';
import type { VitConfig } from '../../verify/golden/zoo.js';

export type DType = 'i8' | 'i16' | 'i32';
export const DTYPE_BYTES: Readonly<Record<DType, number>> = { i8: 1, i16: 2, i32: 4 };

/** An activation tensor: row-major, named as the golden observer names it. */
export interface TensorDesc {
  name: string;
  shape: readonly number[];
  dtype: DType;
}

/** Rows × columns view of a tensor whose leading axes are flattened into rows. */
export function matrixOf(t: TensorDesc): { rows: number; cols: number } {
  const cols = t.shape[t.shape.length - 1]!;
  const rows = t.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  return { rows, cols };
}

/** A requant table: one pair for the tensor or one per output channel. Absent in a shape-only graph. */
export interface RequantSpec {
  perChannel: boolean;
  table?: readonly Dyadic[];
}

/** Weights [out × in] int8 and bias int32 of a linear layer; the values are absent in a shape-only graph. */
export interface LinearWeights {
  outFeatures: number;
  inFeatures: number;
  weight?: Int8Array;
  bias?: Int32Array;
}

interface NodeBase {
  /** the output tensor's name (= the golden observer's name) */
  out: string;
  /** which model layer the node belongs to, for the per-layer report ("block3", "embed", "head") */
  layer: string;
}

/** Patch embedding: im2col of the image, the patch projection, the per-channel requant to the residual width, cls token in row 0. */
export interface PatchEmbedNode extends NodeBase {
  op: 'patch_embed';
  input: 'image';
  weights: LinearWeights;
  requant: RequantSpec;
  /** the cls token at the patch scale (already integer) */
  cls?: Int16Array;
}

/** y = requant(x · Wᵀ + b), or the raw accumulators when `requant` is absent (the head). */
export interface LinearNode extends NodeBase {
  op: 'linear';
  input: string;
  weights: LinearWeights;
  requant?: RequantSpec;
}

/** The two-branch residual requant: clamp(RNE(main·m1/2^c1) + RNE(skip·m2/2^c2)). */
export interface ResidualNode extends NodeBase {
  op: 'residual';
  main: string;
  /** an activation, or 'pos' for the position embedding constant */
  skip: string;
  dyadics?: { main: Dyadic; skip: Dyadic };
}

/** I-LayerNorm of each row (or of the class token only) with its per-channel requant to int8. */
export interface LayerNormNode extends NodeBase {
  op: 'layernorm';
  input: string;
  /** 'all' rows, or only row 0 (the class token before the head) */
  rows: 'all' | 'cls';
  channels: number;
  bias?: Float64Array;
  requant: RequantSpec;
  /** FQ-ViT's PTS LayerNorm instead of I-LayerNorm (numerics layerNorm 'pts'): the residual is requantised per
   * channel to int8 at scales s·2^α_c (`requant` above), then normalised with static (M_c, N_c, B_c). */
  pts?: PtsSpec;
}

/** The constants of a PTS LayerNorm; absent values in a shape-only graph. */
export interface PtsSpec {
  /** α_c ∈ 0…3 */
  alpha?: Uint8Array;
  /** (M_c, N_c, B_c) per channel */
  channels?: Int32Array;
}

/** Q·Kᵀ of every head, requantised (one scale) to the int8 logits [heads × tokens × tokens]. */
export interface AttentionScoresNode extends NodeBase {
  op: 'attention_scores';
  qkv: string;
  heads: number;
  headDim: number;
  requant: RequantSpec;
}

/** Shiftmax of each logit row. */
export interface ShiftmaxNode extends NodeBase {
  op: 'shiftmax';
  input: string;
  x0?: number;
  n: number;
  k: number;
}

/** FQ-ViT's Log-Int-Softmax of each logit row to b-bit codes (−1 = probability 0). */
export interface LisNode extends NodeBase {
  op: 'lis';
  input: string;
  /** lisConstants of the logit scale; absent in a shape-only graph */
  constants?: { x0: number; b: number; c: number };
  bits: number;
}

/** P·V of every head, concatenated over heads and requantised (one scale) to int8 [tokens × width]. */
export interface AttentionContextNode extends NodeBase {
  op: 'attention_context';
  probs: string;
  qkv: string;
  heads: number;
  headDim: number;
  requant: RequantSpec;
  /** LIS codes as P: Σ (V << vFracBits) >> code on the array (gemm amode=shift) */
  shiftFracBits?: number;
}

/** ShiftGELU of each row with the requant of its output to int8 (one scale). */
export interface ShiftGeluNode extends NodeBase {
  op: 'shiftgelu';
  input: string;
  x0?: number;
  n: number;
  k: number;
  requant: RequantSpec;
}

/** A stand-alone requant (the head's accumulators to one common logit scale). */
export interface RequantNode extends NodeBase {
  op: 'requant';
  input: string;
  requant: RequantSpec;
}

export type GraphNode =
  | PatchEmbedNode
  | LinearNode
  | ResidualNode
  | LayerNormNode
  | AttentionScoresNode
  | ShiftmaxNode
  | LisNode
  | AttentionContextNode
  | ShiftGeluNode
  | RequantNode;

export interface VitGraph {
  config: VitConfig;
  numerics: NumericsConfig;
  tokens: number;
  /** true when every constant is present (values can be simulated); false for a shape-only graph */
  hasValues: boolean;
  /** the int8 image [channels × H × W] */
  image: TensorDesc;
  /** the position embedding [tokens × width] int16, a constant of the model */
  pos?: Int16Array;
  /** every activation tensor by name, in forward order */
  tensors: Map<string, TensorDesc>;
  nodes: GraphNode[];
}
