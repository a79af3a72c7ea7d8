/**
 * The float32 scale each requant site receives (numerics.md §2, "where requantization happens"), computed
 * the way the reference forward pass builds it. Shared by the constant derivation and by the generator's
 * calibration, so both agree on every S_in.
 */
import { fl32, pow2 } from './intmath.js';
import { geluSigmaScale, layerNormChannelScale, layerNormScale } from './constants.js';
import type { NumericsConfig } from './numerics-config.js';
import type { PtsInputScales, QBlock, QLayerNorm, QLinear } from './qmodel.js';
import { ibertGeluConstants } from './ops/ibert.js';

export type ScaleVector = Float32Array;

/** Accumulator scale of a linear layer: fl32(S_x · S_w[c]) per output channel. */
export function linearOutputScales(sX: number, layer: QLinear): ScaleVector {
  const s = new Float32Array(layer.outFeatures);
  for (let c = 0; c < s.length; c++) s[c] = fl32(sX * layer.weightScale[c]!);
  return s;
}

/** I-LayerNorm output scale per channel, fl32(S_n · γ_c). */
export function layerNormOutputScales(ln: QLayerNorm): ScaleVector {
  const sN = layerNormScale(ln.gamma.length);
  return Float32Array.from(ln.gamma, (g) => layerNormChannelScale(sN, g));
}

/** Scale of q·kᵀ: fl32(fl32(S_q · S_k) · fl32(d^−½)). */
export function attentionLogitScale(sQkv: number, headDim: number): number {
  return fl32(fl32(sQkv * sQkv) * fl32(1 / Math.sqrt(headDim)));
}

/** Shiftmax output scale 2^−(k−1). */
export function softmaxOutputScale(k: number): number {
  return pow2(-(k - 1));
}

/** ShiftGELU output scale S · 2^−(k−1). */
export function geluOutputScale(sIn: number, k: number): number {
  return fl32(sIn * pow2(-(k - 1)));
}

/**
 * Scale of the P·V accumulators: Shiftmax's 2^−(k−1)·S_V, or with LIS fl32(S_V·2^−F), Σ (V << F) >> code
 * (exact in float32: a power of two).
 */
export function attentionContextScale(sQkv: number, cfg: NumericsConfig): number {
  if (cfg.attention === 'lis') return fl32(sQkv * pow2(-cfg.lis.vFracBits));
  if (cfg.attention === 'ibert') return fl32(pow2(-cfg.ibert.softmaxOutputBits) * sQkv); // I-BERT softmax: 2^−k
  // SULQ: Σ V << s − H·ΣV at S_V·2^−f, f = k − 1 of the Shiftmax before it (the same scale as Shiftmax·V)
  return fl32(softmaxOutputScale(cfg.softmax.k) * sQkv);
}

/** The GELU output scale under the configured unit: ShiftGELU's S·2^−(k−1), or I-BERT's S·|S_erf| / 2. */
export function geluUnitOutputScale(sIn: number, cfg: NumericsConfig): number {
  if (cfg.geluUnit === 'ibert') return fl32(fl32(sIn * ibertGeluConstants(sIn, cfg.ibert.erfBits).erfScale) / 2);
  return geluOutputScale(sIn, cfg.gelu.k);
}

/** The PTS LayerNorm input scale of each channel, fl32(s·2^α_c). */
export function ptsChannelScales(pts: PtsInputScales): ScaleVector {
  return Float32Array.from(pts.alpha, (a) => fl32(pts.scale * pow2(a)));
}

/** Every requant site of a block: what it reads (its S_in), what it writes (S_out) and its width. */
export type BlockRequantSite = 'ln1' | 'qkv' | 'logit' | 'av' | 'proj' | 'ln2' | 'fc1' | 'h' | 'fc2';
export type BlockResidualSite = 'res1' | 'res2';

export interface RequantPlan {
  sIn: number | ScaleVector;
  bits: number;
}

export interface ResidualPlan {
  sMain: number;
  sSkip: number;
  bits: number;
}

/**
 * S_in and width of a block requant site, from the block's weights and the scales before it. With PTS LayerNorm
 * the ln1/ln2 sites requantise the residual instead (model-constants.ts, ptsInputTable): their S_in is the residual's.
 */
export function blockRequantPlan(site: BlockRequantSite, block: QBlock, headDim: number, cfg: NumericsConfig): RequantPlan {
  const s = block.scales;
  const act = cfg.activationBits;
  const linearInput = cfg.lowBit.inputBits; // a1, av, a2, h: the inputs of qkv, proj, fc1, fc2
  switch (site) {
    case 'ln1':
      return { sIn: layerNormOutputScales(block.norm1), bits: linearInput };
    case 'qkv':
      return { sIn: linearOutputScales(s.a1, block.qkv), bits: act };
    case 'logit':
      return { sIn: attentionLogitScale(s.qkv, headDim), bits: act };
    case 'av':
      return { sIn: attentionContextScale(s.qkv, cfg), bits: linearInput };
    case 'proj':
      return { sIn: linearOutputScales(s.av, block.proj), bits: cfg.residualBits };
    case 'ln2':
      return { sIn: layerNormOutputScales(block.norm2), bits: linearInput };
    case 'fc1':
      return { sIn: linearOutputScales(s.a2, block.fc1), bits: act };
    case 'h':
      return { sIn: geluUnitOutputScale(s.gelu, cfg), bits: linearInput };
    case 'fc2':
      return { sIn: linearOutputScales(s.h, block.fc2), bits: cfg.residualBits };
  }
}

/** The output scale a block requant site writes. */
export function blockRequantOutputScale(site: BlockRequantSite, block: QBlock): number {
  const s = block.scales;
  return { ln1: s.a1, qkv: s.qkv, logit: s.logit, av: s.av, proj: s.proj, ln2: s.a2, fc1: s.gelu, h: s.h, fc2: s.fc2 }[site];
}

/** Branch scales of a residual site; sX is the block input's scale. */
export function blockResidualPlan(site: BlockResidualSite, block: QBlock, sX: number, cfg: NumericsConfig): ResidualPlan {
  const s = block.scales;
  return site === 'res1' ? { sMain: s.proj, sSkip: sX, bits: cfg.residualBits } : { sMain: s.fc2, sSkip: s.res1, bits: cfg.residualBits };
}

/** The scale the exp unit of ShiftGELU works in: S_σ = fl32(S · fl32(1.702)). */
export function geluExpScale(block: QBlock): number {
  return geluSigmaScale(block.scales.gelu);
}
