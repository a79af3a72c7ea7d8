/**
 * Builds the ViT graph from a quantised model (every constant, via the golden model's own constant derivation)
 * or from a zoo configuration alone (shapes only). Node order and tensor names follow vit-forward.ts exactly.
 */
import type { Dyadic } from '../../verify/golden/constants.js';
import { type ModelConstants, deriveModelConstants } from '../../verify/golden/model-constants.js';
import type { NumericsConfig } from '../../verify/golden/numerics-config.js';
import { NumericsInputError, checkSigned } from '../../verify/golden/intmath.js';
import type { PtsChannels } from '../../verify/golden/ops/pts-layernorm.js';
import type { DyadicTable } from '../../verify/golden/ops/requant.js';
import { type VitConfig, vitShape } from '../../verify/golden/zoo.js';
import type { QLinear, QuantModel } from '../../verify/golden/qmodel.js';
import { requireAcceleratorNumerics } from './accelerator-numerics.js';
import type { DType, GraphNode, LinearWeights, PtsSpec, RequantSpec, TensorDesc, VitGraph } from './graph.js';

function tableOf(d: DyadicTable | undefined, perChannel: boolean): RequantSpec {
  if (d === undefined) return { perChannel };
  const table: readonly Dyadic[] = Array.isArray(d) ? (d as readonly Dyadic[]) : [d as Dyadic];
  return { perChannel, table };
}

function weightsOf(shape: { out: number; in: number }, layer: QLinear | undefined): LinearWeights {
  if (!layer) return { outFeatures: shape.out, inFeatures: shape.in };
  return { outFeatures: layer.outFeatures, inFeatures: layer.inFeatures, weight: layer.weight, bias: layer.bias };
}

/** A PTS LayerNorm's α_c and its (M_c, N_c, B_c) triples as the table holds them (int32 each). */
function ptsSpecOf(ch: PtsChannels | undefined, site: string): PtsSpec {
  if (!ch) return {};
  const c = ch.alpha.length;
  const channels = new Int32Array(3 * c);
  for (let i = 0; i < c; i++) {
    channels[3 * i] = ch.m[i]!;
    channels[3 * i + 1] = ch.n[i]!;
    channels[3 * i + 2] = checkSigned(ch.b[i]!, 32, 'PTS LayerNorm bias B_c', `${site} [channel ${i}]`);
  }
  return { alpha: Uint8Array.from(ch.alpha), channels };
}

/** The graph of a quantised model, with every integer constant the golden model uses. */
export function graphFromModel(model: QuantModel, numerics: NumericsConfig): VitGraph {
  requireAcceleratorNumerics(numerics); // before the constants: an I-BERT model derives them fine, then cannot run
  return buildGraph(model.config, numerics, { model, constants: deriveModelConstants(model, numerics) });
}

/** The graph of a configuration, shapes only: compiles to a timing-only program. */
export function graphFromConfig(config: VitConfig, numerics: NumericsConfig): VitGraph {
  return buildGraph(config, requireAcceleratorNumerics(numerics), undefined);
}

function buildGraph(config: VitConfig, numerics: NumericsConfig, src: { model: QuantModel; constants: ModelConstants } | undefined): VitGraph {
  const { tokens, headDim, patchVector } = vitShape(config);
  const c = config.embedDim;
  const hidden = config.mlpDim;
  const heads = config.heads;
  const res: DType = numerics.residualBits <= 8 ? 'i8' : 'i16';
  const act: DType = 'i8';
  const lis = numerics.attention === 'lis';
  const pts = numerics.layerNorm === 'pts';
  const lisBits = src?.constants.blocks[0]?.lis?.bits ?? numerics.lis.bits; // the model file's own width, else the preset's
  if (src?.constants.blocks.some((b) => b.lis && b.lis.bits !== lisBits)) throw new NumericsInputError('every block of a model has the same LIS code width');
  const probs: DType = lis ? (lisBits <= 7 ? 'i8' : 'i16') : numerics.softmax.k <= 8 ? 'i8' : numerics.softmax.k <= 16 ? 'i16' : 'i32';
  const tensors = new Map<string, TensorDesc>();
  const nodes: GraphNode[] = [];
  const tensor = (name: string, shape: number[], dtype: DType): string => {
    tensors.set(name, { name, shape, dtype });
    return name;
  };
  const k = src?.constants;
  const m = src?.model;

  tensor('patch', [tokens, c], res);
  nodes.push({
    op: 'patch_embed',
    out: 'patch',
    layer: 'embed',
    input: 'image',
    weights: weightsOf({ out: c, in: patchVector }, m?.patch),
    requant: tableOf(k?.patch, true),
    ...(m ? { cls: m.cls } : {}),
  });
  tensor('embed', [tokens, c], res);
  nodes.push({ op: 'residual', out: 'embed', layer: 'embed', main: 'patch', skip: 'pos', ...(k ? { dyadics: k.embed } : {}) });

  let x = 'embed';
  for (let b = 0; b < config.depth; b++) {
    const kb = k?.blocks[b];
    const mb = m?.blocks[b];
    const layer = `block${b}`;
    const n = (s: string): string => `${layer}.${s}`;
    tensor(n('ln1'), [tokens, c], act);
    nodes.push({
      op: 'layernorm',
      out: n('ln1'),
      layer,
      input: x,
      rows: 'all',
      channels: c,
      ...(kb ? { bias: kb.ln1Bias } : {}),
      requant: tableOf(kb?.requant.ln1, true),
      ...(pts ? { pts: ptsSpecOf(kb?.ln1Pts, n('ln1')) } : {}),
    });
    tensor(n('qkv'), [tokens, 3 * c], act);
    nodes.push({
      op: 'linear',
      out: n('qkv'),
      layer,
      input: n('ln1'),
      weights: weightsOf({ out: 3 * c, in: c }, mb?.qkv),
      requant: tableOf(kb?.requant.qkv, true),
    });
    tensor(n('attn.logits'), [heads, tokens, tokens], act);
    nodes.push({ op: 'attention_scores', out: n('attn.logits'), layer, qkv: n('qkv'), heads, headDim, requant: tableOf(kb?.requant.logit, false) });
    tensor(n('attn.probs'), [heads, tokens, tokens], probs);
    if (lis) {
      const lc = kb?.lis;
      nodes.push({
        op: 'lis',
        out: n('attn.probs'),
        layer,
        input: n('attn.logits'),
        ...(lc ? { constants: { x0: lc.x0, b: lc.b, c: lc.c } } : {}),
        bits: lisBits,
      });
    } else
      nodes.push({
        op: 'shiftmax',
        out: n('attn.probs'),
        layer,
        input: n('attn.logits'),
        ...(kb ? { x0: kb.softmaxX0 } : {}),
        n: numerics.softmax.n,
        k: numerics.softmax.k,
      });
    tensor(n('attn.av'), [tokens, c], act);
    nodes.push({
      op: 'attention_context',
      out: n('attn.av'),
      layer,
      probs: n('attn.probs'),
      qkv: n('qkv'),
      heads,
      headDim,
      requant: tableOf(kb?.requant.av, false),
      ...(lis ? { shiftFracBits: numerics.lis.vFracBits } : {}),
    });
    tensor(n('proj'), [tokens, c], res);
    nodes.push({
      op: 'linear',
      out: n('proj'),
      layer,
      input: n('attn.av'),
      weights: weightsOf({ out: c, in: c }, mb?.proj),
      requant: tableOf(kb?.requant.proj, true),
    });
    tensor(n('res1'), [tokens, c], res);
    nodes.push({ op: 'residual', out: n('res1'), layer, main: n('proj'), skip: x, ...(kb ? { dyadics: kb.res1 } : {}) });
    tensor(n('ln2'), [tokens, c], act);
    nodes.push({
      op: 'layernorm',
      out: n('ln2'),
      layer,
      input: n('res1'),
      rows: 'all',
      channels: c,
      ...(kb ? { bias: kb.ln2Bias } : {}),
      requant: tableOf(kb?.requant.ln2, true),
      ...(pts ? { pts: ptsSpecOf(kb?.ln2Pts, n('ln2')) } : {}),
    });
    tensor(n('fc1'), [tokens, hidden], act);
    nodes.push({
      op: 'linear',
      out: n('fc1'),
      layer,
      input: n('ln2'),
      weights: weightsOf({ out: hidden, in: c }, mb?.fc1),
      requant: tableOf(kb?.requant.fc1, true),
    });
    tensor(n('gelu'), [tokens, hidden], act);
    nodes.push({
      op: 'shiftgelu',
      out: n('gelu'),
      layer,
      input: n('fc1'),
      ...(kb ? { x0: kb.geluX0 } : {}),
      n: numerics.gelu.n,
      k: numerics.gelu.k,
      requant: tableOf(kb?.requant.h, false),
    });
    tensor(n('fc2'), [tokens, c], res);
    nodes.push({
      op: 'linear',
      out: n('fc2'),
      layer,
      input: n('gelu'),
      weights: weightsOf({ out: c, in: hidden }, mb?.fc2),
      requant: tableOf(kb?.requant.fc2, true),
    });
    tensor(n('res2'), [tokens, c], res);
    nodes.push({ op: 'residual', out: n('res2'), layer, main: n('fc2'), skip: n('res1'), ...(kb ? { dyadics: kb.res2 } : {}) });
    x = n('res2');
  }
  tensor('norm', [c], act);
  nodes.push({
    op: 'layernorm',
    out: 'norm',
    layer: 'head',
    input: x,
    rows: 'cls',
    channels: c,
    ...(k ? { bias: k.normBias } : {}),
    requant: tableOf(k?.headIn, true),
    ...(pts ? { pts: ptsSpecOf(k?.normPts, 'norm') } : {}),
  });
  tensor('head', [config.numClasses], 'i32');
  nodes.push({ op: 'linear', out: 'head', layer: 'head', input: 'norm', weights: weightsOf({ out: config.numClasses, in: c }, m?.head) });
  tensor('logits', [config.numClasses], 'i32');
  nodes.push({ op: 'requant', out: 'logits', layer: 'head', input: 'head', requant: tableOf(k?.logits, true) });

  return {
    config,
    numerics,
    tokens,
    hasValues: src !== undefined,
    image: { name: 'image', shape: [config.inChannels, config.imageSize, config.imageSize], dtype: 'i8' },
    ...(m ? { pos: m.pos } : {}),
    tensors,
    nodes,
  };
}
