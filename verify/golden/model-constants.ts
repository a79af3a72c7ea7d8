/**
 * Derive every integer constant of the forward pass from a model's float32 scales (numerics.md §10,
 * "Exporter"). After this the golden model touches no floats.
 */
import { type Dyadic, dyadicFromScales, expX0, layerNormIntegerBias, layerNormScale } from './constants.js';
import { NumericsInputError } from './intmath.js';
import type { NumericsConfig } from './numerics-config.js';
import { type LisConstants, lisConstants } from './ops/lis.js';
import { type PtsChannels, ptsChannelConstants } from './ops/pts-layernorm.js';
import { type IBertGeluConstants, type IBertSoftmaxConstants, ibertGeluConstants, ibertSoftmaxConstants } from './ops/ibert.js';
import type { QBlock } from './qmodel.js';
import type { DyadicTable } from './ops/requant.js';
import {
  type BlockRequantSite,
  type RequantPlan,
  blockRequantOutputScale,
  blockRequantPlan,
  blockResidualPlan,
  geluExpScale,
  layerNormOutputScales,
  linearOutputScales,
  ptsChannelScales,
} from './scale-algebra.js';
import type { PtsInputScales, QLayerNorm, QuantModel } from './qmodel.js';
import { vitShape } from './zoo.js';
import { checkLowBitWeights, isIsvitNumerics, isvitFieldsOf, sulqBlockConstants } from './isvit.js';
import type { SulqConstants } from './ops/sulq.js';

export interface ResidualDyadics {
  main: Dyadic;
  skip: Dyadic;
}

/** The LIS unit's constants of one block: lisConstants of the logit scale and the code width. */
export interface LisSiteConstants extends LisConstants {
  bits: number;
}

export interface BlockConstants {
  ln1Bias: Float64Array;
  /** with PTS LayerNorm, ln1 and ln2 requantise the residual to int8 at s·2^α_c (ptsInputTable) */
  requant: Record<BlockRequantSite, DyadicTable>;
  res1: ResidualDyadics;
  res2: ResidualDyadics;
  softmaxX0: number;
  geluX0: number;
  ln2Bias: Float64Array;
  /** LIS attention only */
  lis?: LisSiteConstants;
  /** SULQ attention only (the isvit presets): H, thresholds and decode shifts from the model's η and range */
  sulq?: SulqConstants;
  /** I-BERT softmax / GELU only (numerics.attention / geluUnit = ibert) */
  ibert?: IBertBlockConstants;
  /** PTS LayerNorm only: α_c and (M_c, N_c, B_c) of norm1 and norm2 */
  ln1Pts?: PtsChannels;
  ln2Pts?: PtsChannels;
}

/** The I-BERT units' constants of one block, from its logit and GELU input scales (absent where the unit is not used). */
export interface IBertBlockConstants {
  softmax?: IBertSoftmaxConstants;
  gelu?: IBertGeluConstants;
}

export function ibertBlockConstants(b: QBlock, cfg: NumericsConfig): IBertBlockConstants {
  return {
    ...(cfg.attention === 'ibert' ? { softmax: ibertSoftmaxConstants(b.scales.logit) } : {}),
    ...(cfg.geluUnit === 'ibert' ? { gelu: ibertGeluConstants(b.scales.gelu, cfg.ibert.erfBits) } : {}),
  };
}

export interface ModelConstants {
  patch: DyadicTable; // conv accumulator → 16-bit tokens
  embed: ResidualDyadics; // tokens + pos → 16-bit
  blocks: BlockConstants[];
  normBias: Float64Array;
  headIn: DyadicTable; // final norm → 8-bit (PTS: the last residual → int8 at s·2^α_c)
  logits: DyadicTable; // head accumulator → common scale
  /** PTS LayerNorm only: the final norm's constants */
  normPts?: PtsChannels;
}

export function dyadicTable(plan: RequantPlan, sOut: number): DyadicTable {
  if (typeof plan.sIn === 'number') return dyadicFromScales(plan.sIn, sOut);
  return Array.from(plan.sIn, (s) => dyadicFromScales(s, sOut));
}

export function layerNormBiases(ln: QLayerNorm): Float64Array {
  const sN = layerNormScale(ln.gamma.length);
  return Float64Array.from(ln.gamma, (g, i) => layerNormIntegerBias(ln.beta[i]!, g, sN));
}

/** A LayerNorm's PTS input scales, or a one-line refusal naming the site when the model carries none. */
export function ptsInputOf(ln: QLayerNorm, site: string): PtsInputScales {
  if (!ln.pts) {
    throw new NumericsInputError(
      `${site}: the model carries no FQ-ViT PTS scales (s, α_c), which PTS LayerNorm (--numerics fqvit) needs; regenerate or re-import the model file`,
    );
  }
  return ln.pts;
}

/** The PTS input requant: the residual (scale sRes) per channel to int8 at s·2^α_c. */
export function ptsInputTable(sRes: number, pts: PtsInputScales): Dyadic[] {
  return Array.from(ptsChannelScales(pts), (s) => dyadicFromScales(sRes, s));
}

/** α_c and FQ-ViT's static (M_c, N_c, B_c) of a PTS LayerNorm writing int8 at sOut. */
export function ptsChannels(ln: QLayerNorm, sOut: number, site: string): PtsChannels {
  const pts = ptsInputOf(ln, site);
  return { alpha: pts.alpha, ...ptsChannelConstants(ln.gamma, ln.beta, sOut) };
}

/** The LIS code width: the model file's own, else the preset's. */
export function lisBitsOf(model: QuantModel, cfg: NumericsConfig): number {
  return model.fqvit?.lisBits ?? cfg.lis.bits;
}

export const BLOCK_REQUANT_SITES: readonly BlockRequantSite[] = ['ln1', 'qkv', 'logit', 'av', 'proj', 'ln2', 'fc1', 'h', 'fc2'];

export function deriveModelConstants(model: QuantModel, cfg: NumericsConfig): ModelConstants {
  const { headDim } = vitShape(model.config);
  const sc = model.scales;
  const pts = cfg.layerNorm === 'pts';
  if (isIsvitNumerics(cfg)) {
    isvitFieldsOf(model, cfg);
    checkLowBitWeights(model, cfg);
  }
  let sX = sc.embed;
  const blocks = model.blocks.map((b, i): BlockConstants => {
    const requant = {} as Record<BlockRequantSite, DyadicTable>;
    for (const site of BLOCK_REQUANT_SITES) {
      if (pts && site === 'ln1') requant[site] = ptsInputTable(sX, ptsInputOf(b.norm1, `block${i}.ln1`));
      else if (pts && site === 'ln2') requant[site] = ptsInputTable(b.scales.res1, ptsInputOf(b.norm2, `block${i}.ln2`));
      else requant[site] = dyadicTable(blockRequantPlan(site, b, headDim, cfg), blockRequantOutputScale(site, b));
    }
    const r1 = blockResidualPlan('res1', b, sX, cfg);
    const r2 = blockResidualPlan('res2', b, sX, cfg);
    const out: BlockConstants = {
      ln1Bias: layerNormBiases(b.norm1),
      requant,
      res1: { main: dyadicFromScales(r1.sMain, b.scales.res1), skip: dyadicFromScales(r1.sSkip, b.scales.res1) },
      res2: { main: dyadicFromScales(r2.sMain, b.scales.res2), skip: dyadicFromScales(r2.sSkip, b.scales.res2) },
      softmaxX0: expX0(b.scales.logit, cfg.flavour),
      geluX0: expX0(geluExpScale(b), cfg.flavour),
      ln2Bias: layerNormBiases(b.norm2),
    };
    if (cfg.attention === 'ibert' || cfg.geluUnit === 'ibert') out.ibert = ibertBlockConstants(b, cfg);
    if (cfg.attention === 'lis') out.lis = { ...lisConstants(b.scales.logit), bits: lisBitsOf(model, cfg) };
    if (cfg.attention === 'sulq') out.sulq = sulqBlockConstants(model, cfg, i);
    if (pts) {
      out.ln1Pts = ptsChannels(b.norm1, b.scales.a1, `block${i}.ln1`);
      out.ln2Pts = ptsChannels(b.norm2, b.scales.a2, `block${i}.ln2`);
    }
    sX = b.scales.res2;
    return out;
  });
  const k: ModelConstants = {
    patch: dyadicTable({ sIn: linearOutputScales(sc.input, model.patch), bits: cfg.residualBits }, sc.patch),
    embed: { main: dyadicFromScales(sc.patch, sc.embed), skip: dyadicFromScales(sc.pos, sc.embed) },
    blocks,
    normBias: layerNormBiases(model.norm),
    headIn: pts
      ? ptsInputTable(sX, ptsInputOf(model.norm, 'norm'))
      : dyadicTable({ sIn: layerNormOutputScales(model.norm), bits: cfg.activationBits }, sc.headIn),
    logits: dyadicTable({ sIn: linearOutputScales(sc.headIn, model.head), bits: cfg.logitBits }, sc.logits),
  };
  if (pts) k.normPts = ptsChannels(model.norm, sc.headIn, 'norm');
  return k;
}
