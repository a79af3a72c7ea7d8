/**
 * Derive every integer constant of the forward pass from a model's float32 scales (numerics.md §10,
 * "Exporter"). After this the golden model touches no floats.
 */
import { type Dyadic, dyadicFromScales, expX0, layerNormIntegerBias, layerNormScale } from './constants.js';
import type { NumericsConfig } from './numerics-config.js';
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
} from './scale-algebra.js';
import type { QLayerNorm, QuantModel } from './qmodel.js';
import { vitShape } from './zoo.js';

export interface ResidualDyadics {
  main: Dyadic;
  skip: Dyadic;
}

export interface BlockConstants {
  ln1Bias: Float64Array;
  requant: Record<BlockRequantSite, DyadicTable>;
  res1: ResidualDyadics;
  res2: ResidualDyadics;
  softmaxX0: number;
  geluX0: number;
  ln2Bias: Float64Array;
}

export interface ModelConstants {
  patch: DyadicTable; // conv accumulator → 16-bit tokens
  embed: ResidualDyadics; // tokens + pos → 16-bit
  blocks: BlockConstants[];
  normBias: Float64Array;
  headIn: DyadicTable; // final norm → 8-bit
  logits: DyadicTable; // head accumulator → common scale
}

export function dyadicTable(plan: RequantPlan, sOut: number): DyadicTable {
  if (typeof plan.sIn === 'number') return dyadicFromScales(plan.sIn, sOut);
  return Array.from(plan.sIn, (s) => dyadicFromScales(s, sOut));
}

export function layerNormBiases(ln: QLayerNorm): Float64Array {
  const sN = layerNormScale(ln.gamma.length);
  return Float64Array.from(ln.gamma, (g, i) => layerNormIntegerBias(ln.beta[i]!, g, sN));
}

export const BLOCK_REQUANT_SITES: readonly BlockRequantSite[] = ['ln1', 'qkv', 'logit', 'av', 'proj', 'ln2', 'fc1', 'h', 'fc2'];

export function deriveModelConstants(model: QuantModel, cfg: NumericsConfig): ModelConstants {
  const { headDim } = vitShape(model.config);
  const sc = model.scales;
  let sX = sc.embed;
  const blocks = model.blocks.map((b): BlockConstants => {
    const requant = {} as Record<BlockRequantSite, DyadicTable>;
    for (const site of BLOCK_REQUANT_SITES) requant[site] = dyadicTable(blockRequantPlan(site, b, headDim, cfg), blockRequantOutputScale(site, b));
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
    sX = b.scales.res2;
    return out;
  });
  return {
    patch: dyadicTable({ sIn: linearOutputScales(sc.input, model.patch), bits: cfg.residualBits }, sc.patch),
    embed: { main: dyadicFromScales(sc.patch, sc.embed), skip: dyadicFromScales(sc.pos, sc.embed) },
    blocks,
    normBias: layerNormBiases(model.norm),
    headIn: dyadicTable({ sIn: layerNormOutputScales(model.norm), bits: cfg.activationBits }, sc.headIn),
    logits: dyadicTable({ sIn: linearOutputScales(sc.headIn, model.head), bits: cfg.logitBits }, sc.logits),
  };
}
