/**
 * The whole integer ViT/DeiT forward pass (numerics.md §2 and §7), block by block. It reads its integer
 * constants through a ConstantResolver: the golden model resolves them from the model's derived constants;
 * the synthetic-model generator resolves them by calibrating scales on the data as it flows (the same
 * code path, so calibration and golden evaluation cannot drift apart).
 */
import type { Dyadic } from './constants.js';
import { NumericsInputError, checkSigned } from './intmath.js';
import type { NumericsConfig } from './numerics-config.js';
import { type DyadicTable, requantTensor, residualOne } from './ops/requant.js';
import { matmulABt } from './ops/matmul.js';
import { layerNormRow, type LayerNormParams } from './ops/layernorm.js';
import { shiftmaxRow } from './ops/shiftmax.js';
import { shiftGeluRow } from './ops/shiftgelu.js';
import type { BlockRequantSite } from './scale-algebra.js';
import type { ModelConstants, ResidualDyadics } from './model-constants.js';
import { vitShape } from './zoo.js';
import type { QLinear, QuantModel } from './qmodel.js';

/** Model-level requant sites, and block sites addressed by their block index. */
export type ModelRequantSite = 'patch' | 'headIn' | 'logits';
export type RequantSiteRef = { block: number; name: BlockRequantSite } | { block: null; name: ModelRequantSite };
export type ResidualSiteRef = { block: number; name: 'res1' | 'res2' } | { block: null; name: 'embed' };
export type ExpSiteRef = { block: number; name: 'softmax' | 'gelu' };
export type LayerNormSiteRef = { block: number; name: 'ln1' | 'ln2' } | { block: null; name: 'norm' };

export function siteLabel(ref: { block: number | null; name: string }): string {
  return ref.block === null ? ref.name : `block${ref.block}.${ref.name}`;
}

/** Where the forward pass gets its integer constants. Data arguments let a calibrator look at the values. */
export interface ConstantResolver {
  requant(site: RequantSiteRef, z: ArrayLike<number>, channels: number): DyadicTable;
  residual(site: ResidualSiteRef, main: ArrayLike<number>, skip: ArrayLike<number>): ResidualDyadics;
  expX0(site: ExpSiteRef): number;
  layerNormBias(site: LayerNormSiteRef): ArrayLike<number>;
}

/** The golden resolver: constants derived once from the model's scales. */
export function constantsResolver(k: ModelConstants): ConstantResolver {
  return {
    requant: (s) => (s.block === null ? k[s.name] : k.blocks[s.block]!.requant[s.name]),
    residual: (s) => (s.block === null ? k.embed : k.blocks[s.block]![s.name]),
    expX0: (s) => (s.name === 'softmax' ? k.blocks[s.block]!.softmaxX0 : k.blocks[s.block]!.geluX0),
    layerNormBias: (s) => (s.block === null ? k.normBias : s.name === 'ln1' ? k.blocks[s.block]!.ln1Bias : k.blocks[s.block]!.ln2Bias),
  };
}

/** Called with every named intermediate tensor (row-major), e.g. to hash each layer's output. */
export type TensorObserver = (name: string, data: ArrayLike<number>, shape: readonly number[]) => void;

export interface ForwardResult {
  /** logits at one common scale (argmax is valid) */
  logits: Int32Array;
  /** the head's raw int32 accumulators (scale per class) */
  headAccumulators: Int32Array;
}

/** Gather the image's 16×16 patches as rows (in-channel, ky, kx), tokens in row-major patch order. */
export function extractPatches(image: Int8Array, model: QuantModel): Int8Array {
  const c = model.config;
  const side = c.imageSize / c.patchSize;
  const { patches, patchVector } = vitShape(c);
  if (image.length !== c.inChannels * c.imageSize * c.imageSize) {
    throw new NumericsInputError(`image has ${image.length} values, expected ${c.inChannels}×${c.imageSize}×${c.imageSize}`);
  }
  const out = new Int8Array(patches * patchVector);
  let o = 0;
  for (let py = 0; py < side; py++) {
    for (let px = 0; px < side; px++) {
      for (let ch = 0; ch < c.inChannels; ch++) {
        for (let ky = 0; ky < c.patchSize; ky++) {
          const rowBase = ch * c.imageSize * c.imageSize + (py * c.patchSize + ky) * c.imageSize + px * c.patchSize;
          for (let kx = 0; kx < c.patchSize; kx++) out[o++] = image[rowBase + kx]!;
        }
      }
    }
  }
  return out;
}

class Forward {
  private readonly ln: LayerNormParams;
  private readonly tokens: number;
  private readonly width: number;
  private readonly headDim: number;

  constructor(
    private readonly model: QuantModel,
    private readonly cfg: NumericsConfig,
    private readonly k: ConstantResolver,
    private readonly observe: TensorObserver,
  ) {
    if (cfg.activationBits > 8 || cfg.weightBits > 8) {
      throw new NumericsInputError(`the forward pass holds linear inputs and weights in int8; got ${cfg.activationBits}-bit activations, ${cfg.weightBits}-bit weights`);
    }
    if (cfg.residualBits > 16) throw new NumericsInputError(`the residual stream is held in int16; got ${cfg.residualBits} bits`);
    const shape = vitShape(model.config);
    this.tokens = shape.tokens;
    this.width = model.config.embedDim;
    this.headDim = shape.headDim;
    this.ln = {
      sqrt: cfg.sqrt, mean: cfg.lnMean, halve: cfg.lnHalve,
      inputBits: cfg.residualBits, varianceBits: cfg.lnVarianceBits, outputBits: cfg.lnOutputBits,
    };
  }

  private linear(input: Int8Array, rows: number, layer: QLinear, site: string): Int32Array {
    return matmulABt(input, layer.weight, rows, layer.outFeatures, layer.inFeatures, layer.bias, this.cfg.accumulatorBits, site);
  }

  private requant(site: RequantSiteRef, z: ArrayLike<number>, channels: number, bits: number): Int32Array {
    const out = new Int32Array(z.length);
    requantTensor(z, channels, this.k.requant(site, z, channels), bits, this.cfg.requantTie, out);
    return out;
  }

  private residual(site: ResidualSiteRef, main: ArrayLike<number>, skip: ArrayLike<number>): Int32Array {
    const d = this.k.residual(site, main, skip);
    const out = new Int32Array(main.length);
    const bits = this.cfg.residualBits;
    for (let i = 0; i < out.length; i++) out[i] = residualOne(main[i]!, d.main, skip[i]!, d.skip, bits, this.cfg.requantTie);
    return out;
  }

  /** LayerNorm of `rows` tokens, then the per-channel requant to 8 bits. */
  private layerNorm(site: LayerNormSiteRef, x: Int32Array, rows: number, requantSite: RequantSiteRef): Int32Array {
    const c = this.width;
    const bias = this.k.layerNormBias(site);
    const y = new Float64Array(rows * c); // LN outputs need 33 bits
    const label = siteLabel(site);
    for (let t = 0; t < rows; t++) {
      const r = layerNormRow(x.subarray(t * c, (t + 1) * c), bias, this.ln, `${label} [token ${t}]`);
      y.set(r.out, t * c);
    }
    return this.requant(requantSite, y, c, this.cfg.activationBits);
  }

  embed(image: Int8Array): Int32Array {
    const { model, cfg, width: c, tokens } = this;
    const patches = extractPatches(image, model);
    const acc = this.linear(patches, tokens - 1, model.patch, 'patch_embed');
    const tok = new Int32Array(tokens * c);
    tok.set(this.requant({ block: null, name: 'patch' }, acc, c, cfg.residualBits), c);
    for (let i = 0; i < c; i++) tok[i] = checkSigned(model.cls[i]!, cfg.residualBits, 'cls token', 'embed');
    this.observe('patch', tok, [tokens, c]);
    const x = this.residual({ block: null, name: 'embed' }, tok, model.pos);
    this.observe('embed', x, [tokens, c]);
    return x;
  }

  block(b: number, x: Int32Array): Int32Array {
    const { cfg, width: c, tokens: n, headDim: d } = this;
    const blk = this.model.blocks[b]!;
    const heads = this.model.config.heads;
    const act = cfg.activationBits;
    const name = (s: string): string => `block${b}.${s}`;
    const rq = (s: BlockRequantSite): RequantSiteRef => ({ block: b, name: s });

    const a1 = this.layerNorm({ block: b, name: 'ln1' }, x, n, rq('ln1'));
    this.observe(name('ln1'), a1, [n, c]);
    const qkv = this.requant(rq('qkv'), this.linear(Int8Array.from(a1), n, blk.qkv, name('qkv')), 3 * c, act);
    this.observe(name('qkv'), qkv, [n, 3 * c]);

    // Attention, head by head. qkv columns are ordered [q | k | v] × [head] × [d].
    const logitsAll = new Int32Array(heads * n * n);
    // Shiftmax outputs lie in [0, 2^(k−1) − 1]: int16 holds them for k ≤ 16 (the int16 GEMM kernel reads them)
    const probsAll = cfg.softmax.k <= 16 ? new Int16Array(heads * n * n) : new Int32Array(heads * n * n);
    const avAcc = new Int32Array(n * c);
    const q = new Int8Array(n * d);
    const kk = new Int8Array(n * d);
    const vT = new Int8Array(d * n);
    for (let h = 0; h < heads; h++) {
      for (let t = 0; t < n; t++) {
        for (let j = 0; j < d; j++) {
          q[t * d + j] = qkv[t * 3 * c + h * d + j]!;
          kk[t * d + j] = qkv[t * 3 * c + c + h * d + j]!;
          vT[j * n + t] = qkv[t * 3 * c + 2 * c + h * d + j]!;
        }
      }
      const acc = matmulABt(q, kk, n, n, d, undefined, cfg.accumulatorBits, `${name('attn.qk')} [head ${h}]`);
      logitsAll.set(acc, h * n * n);
    }
    const logits = this.requant(rq('logit'), logitsAll, 1, act);
    this.observe(name('attn.logits'), logits, [heads, n, n]);
    const x0 = this.k.expX0({ block: b, name: 'softmax' }); // after the logit requant has fixed its scale
    const smParams = { x0, n: cfg.softmax.n, k: cfg.softmax.k, flavour: cfg.flavour, inputBits: act, expBits: cfg.expBits };
    for (let r = 0; r < heads * n; r++) {
      const row = shiftmaxRow(logits.subarray(r * n, (r + 1) * n), smParams, `${name('attn.shiftmax')} [head ${Math.floor(r / n)}, row ${r % n}]`);
      probsAll.set(row.out, r * n);
    }
    this.observe(name('attn.probs'), probsAll, [heads, n, n]);
    for (let h = 0; h < heads; h++) {
      for (let t = 0; t < n; t++) for (let j = 0; j < d; j++) vT[j * n + t] = qkv[t * 3 * c + 2 * c + h * d + j]!;
      const acc = matmulABt(probsAll.subarray(h * n * n, (h + 1) * n * n), vT, n, d, n, undefined, cfg.accumulatorBits, `${name('attn.pv')} [head ${h}]`);
      for (let t = 0; t < n; t++) for (let j = 0; j < d; j++) avAcc[t * c + h * d + j] = acc[t * d + j]!;
    }
    const av = this.requant(rq('av'), avAcc, 1, act);
    this.observe(name('attn.av'), av, [n, c]);
    const proj = this.requant(rq('proj'), this.linear(Int8Array.from(av), n, blk.proj, name('proj')), c, cfg.residualBits);
    this.observe(name('proj'), proj, [n, c]);
    const res1 = this.residual({ block: b, name: 'res1' }, proj, x);
    this.observe(name('res1'), res1, [n, c]);

    const a2 = this.layerNorm({ block: b, name: 'ln2' }, res1, n, rq('ln2'));
    this.observe(name('ln2'), a2, [n, c]);
    const hidden = blk.fc1.outFeatures;
    const g = this.requant(rq('fc1'), this.linear(Int8Array.from(a2), n, blk.fc1, name('fc1')), hidden, act);
    this.observe(name('fc1'), g, [n, hidden]);
    const geluParams = { x0: this.k.expX0({ block: b, name: 'gelu' }), n: cfg.gelu.n, k: cfg.gelu.k, flavour: cfg.flavour, inputBits: act };
    const gOut = new Int32Array(n * hidden);
    for (let t = 0; t < n; t++) {
      gOut.set(shiftGeluRow(g.subarray(t * hidden, (t + 1) * hidden), geluParams, `${name('shiftgelu')} [token ${t}]`).out, t * hidden);
    }
    const hq = this.requant(rq('h'), gOut, 1, act);
    this.observe(name('gelu'), hq, [n, hidden]);
    const f2 = this.requant(rq('fc2'), this.linear(Int8Array.from(hq), n, blk.fc2, name('fc2')), c, cfg.residualBits);
    this.observe(name('fc2'), f2, [n, c]);
    const res2 = this.residual({ block: b, name: 'res2' }, f2, res1);
    this.observe(name('res2'), res2, [n, c]);
    return res2;
  }

  head(x: Int32Array): ForwardResult {
    const { cfg, width: c, model } = this;
    const cls = x.subarray(0, c); // only the class token reaches the head; LN is per token
    const headIn = this.layerNorm({ block: null, name: 'norm' }, cls, 1, { block: null, name: 'headIn' });
    this.observe('norm', headIn, [c]);
    const acc = this.linear(Int8Array.from(headIn), 1, model.head, 'head');
    this.observe('head', acc, [model.head.outFeatures]);
    const logits = this.requant({ block: null, name: 'logits' }, acc, model.head.outFeatures, cfg.logitBits);
    this.observe('logits', logits, [model.head.outFeatures]);
    return { logits, headAccumulators: acc };
  }
}

/** Run the forward pass on one int8 image [channels × H × W] (the output of qact_input). */
export function vitForward(
  model: QuantModel,
  image: Int8Array,
  cfg: NumericsConfig,
  resolver: ConstantResolver,
  observe: TensorObserver = () => {},
): ForwardResult {
  const f = new Forward(model, cfg, resolver, observe);
  let x = f.embed(image);
  for (let b = 0; b < model.blocks.length; b++) x = f.block(b, x);
  return f.head(x);
}

export type { Dyadic };
