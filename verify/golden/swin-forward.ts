/**
 * The integer Swin Transformer forward pass (docs/numerics.md "Swin forward pass"), in the ViT pass's exact-integer
 * semantics and ops (I-ViT preset: Shiftmax, ShiftGELU, I-LayerNorm): 4×4 patch embedding and patch norm, per stage
 * blocks of (shifted) window attention with the relative position bias and the shifted-window mask, patch merging
 * between stages, the final norm, an integer average pool and the head. Window geometry comes from swin-window.ts.
 *
 * Every requant site asks a SwinScaleSource for its output scale, given the data reaching it: the golden source
 * reads the model's scales; the synthetic generator's calibrating source (verify/model/synthetic-swin.ts) fixes each
 * from the data, so calibration and golden evaluation share this one code path.
 */
import { dyadicFromScales, expX0 } from './constants.js';
import { NumericsInputError, checkSigned, floorDiv, saturateSigned, signedRange } from './intmath.js';
import { type NumericsConfig, SWIN_WIDTHS, type SwinWidths } from './numerics-config.js';
import { dyadicTable, layerNormBiases } from './model-constants.js';
import { matmulABt } from './ops/matmul.js';
import { iLayerNormParams, layerNormRow, type LayerNormParams } from './ops/layernorm.js';
import { requantTensor, residualOne } from './ops/requant.js';
import { shiftmaxRow } from './ops/shiftmax.js';
import { log2eShiftAdd } from './ops/shift-exp.js';
import { shiftGeluParams, shiftGeluRow } from './ops/shiftgelu.js';
import { imagePatches } from './patches.js';
import type { QLayerNorm, QLinear } from './qmodel.js';
import type { QSwinBlock, QSwinModel } from './qswin.js';
import {
  type BlockRequantSite,
  type RequantPlan,
  type ResidualPlan,
  blockRequantOutputScale,
  blockRequantPlan,
  blockResidualPlan,
  geluExpScale,
  layerNormOutputScales,
  linearOutputScales,
} from './scale-algebra.js';
import { invertOrder, maskedPairs, patchMergeOrder, relativePositionIndex, shiftedWindowOrder, type TokenOrder } from './swin-window.js';
import type { TensorObserver } from './vit-forward.js';
import { type SwinStageShape, swinShape } from './zoo.js';

/** A requant site: a block's (the ViT block sites), a patch merge's, or a model-level one. */
export type SwinRequantSite =
  | { stage: number; block: number; name: BlockRequantSite }
  | { stage: number; block: null; name: 'mergeNorm' | 'mergeReduction' }
  | { stage: null; block: null; name: 'patch' | 'patchNorm' | 'headIn' | 'logits' };

export interface SwinResidualSite {
  stage: number;
  block: number;
  name: 'res1' | 'res2';
}

/** Where each requant and residual site gets its output scale; the data let a calibrator look at the values. */
export interface SwinScaleSource {
  requant(site: SwinRequantSite, plan: RequantPlan, z: ArrayLike<number>, channels: number): number;
  residual(site: SwinResidualSite, plan: ResidualPlan, main: ArrayLike<number>, skip: ArrayLike<number>): number;
}

/** A site's output scale in the model: read by the golden source, written by a calibrator. */
export interface ScaleSlot {
  get(): number;
  set(v: number): void;
}

const BLOCK_SCALE_OF: Readonly<Record<BlockRequantSite, keyof QSwinBlock['scales']>> = {
  ln1: 'a1',
  qkv: 'qkv',
  logit: 'logit',
  av: 'av',
  proj: 'proj',
  ln2: 'a2',
  fc1: 'gelu',
  h: 'h',
  fc2: 'fc2',
};

function mergeOf(model: QSwinModel, stage: number): NonNullable<QSwinModel['stages'][number]['merge']> {
  const m = model.stages[stage]?.merge;
  if (!m) throw new NumericsInputError(`stage${stage} has no patch merge`);
  return m;
}

/** The model field that holds a site's output scale. */
export function swinScaleSlot(model: QSwinModel, site: SwinRequantSite | SwinResidualSite): ScaleSlot {
  if (site.stage === null) {
    const key = ({ patch: 'patch', patchNorm: 'embed', headIn: 'headIn', logits: 'logits' } as const)[site.name];
    return { get: () => model.scales[key], set: (v) => (model.scales[key] = v) };
  }
  if (site.block === null) {
    const scales = mergeOf(model, site.stage).scales;
    const key = site.name === 'mergeNorm' ? 'normOut' : 'reductionOut';
    return { get: () => scales[key], set: (v) => (scales[key] = v) };
  }
  const blk = model.stages[site.stage]!.blocks[site.block]!;
  const key = site.name === 'res1' || site.name === 'res2' ? site.name : BLOCK_SCALE_OF[site.name];
  return { get: () => blk.scales[key], set: (v) => (blk.scales[key] = v) };
}

/** The golden source: every scale as the model holds it. */
function modelSwinScales(model: QSwinModel): SwinScaleSource {
  return { requant: (site) => swinScaleSlot(model, site).get(), residual: (site) => swinScaleSlot(model, site).get() };
}

export interface SwinForwardResult {
  /** logits at one common scale (argmax is valid) */
  logits: Int32Array;
  /** the head's raw int32 accumulators (scale per class) */
  headAccumulators: Int32Array;
}

export interface SwinForwardOptions {
  /** the Swin widths (SWIN_WIDTHS unless given) */
  widths?: SwinWidths;
  /** the scale source (the model's own scales unless given) */
  scales?: SwinScaleSource;
  observe?: TensorObserver;
}

/** rows[k] = src[order[k]] for rows of `width` values. */
function gatherRows(src: ArrayLike<number>, order: TokenOrder, width: number, out: Int8Array | Int32Array): void {
  for (let k = 0; k < order.length; k++) {
    const from = order[k]! * width;
    const to = k * width;
    for (let j = 0; j < width; j++) out[to + j] = src[from + j]!;
  }
}

/**
 * The masked value M = −2^(B−1) must drive the shift-exp to its clamp n·x0 whatever the row's maximum, so that the
 * masked probability is exactly 0 (docs/numerics.md "Swin forward pass"): the smallest possible row maximum is the
 * sum of the two lower clamps, so the check is log2e(M − (min logit + min bias)) ≤ n·x0.
 */
function checkMaskSaturates(x0: number, cfg: NumericsConfig, w: SwinWidths, site: string): void {
  const minMax = signedRange(cfg.activationBits).lo + signedRange(w.relativeBiasBits).lo;
  const delta = signedRange(w.biasedLogitBits).lo - minMax;
  if (log2eShiftAdd(delta) > cfg.softmax.n * x0) {
    throw new NumericsInputError(
      `${site}: the logit scale gives x0 = ${x0}; the mask value −2^${w.biasedLogitBits - 1} does not reach the shift-exp clamp ${cfg.softmax.n}·x0, so masked pairs would keep probability`,
    );
  }
  if (cfg.softmax.k > cfg.softmax.n + 1) {
    throw new NumericsInputError(`${site}: Shiftmax k = ${cfg.softmax.k} > n + 1 = ${cfg.softmax.n + 1} gives masked pairs a non-zero probability`);
  }
}

class SwinForward {
  private readonly ln: LayerNormParams;
  private readonly shapes: SwinStageShape[];

  constructor(
    private readonly model: QSwinModel,
    private readonly cfg: NumericsConfig,
    private readonly widths: SwinWidths,
    private readonly scales: SwinScaleSource,
    private readonly observe: TensorObserver,
  ) {
    if (cfg.attention !== 'shiftmax' || cfg.geluUnit !== 'shiftgelu' || cfg.layerNorm !== 'ilayernorm') {
      throw new NumericsInputError(
        `the Swin forward pass runs I-ViT's units (Shiftmax, ShiftGELU, I-LayerNorm); got ${cfg.attention}, ${cfg.geluUnit}, ${cfg.layerNorm}`,
      );
    }
    if (cfg.activationBits > 8 || cfg.weightBits > 8) throw new NumericsInputError(`the Swin forward pass holds linear inputs and weights in int8`);
    if (cfg.residualBits > 16) throw new NumericsInputError(`the residual stream is held in int16; got ${cfg.residualBits} bits`);
    if (cfg.softmax.k > 16) throw new NumericsInputError(`Shiftmax outputs are held in int16; got k = ${cfg.softmax.k}`);
    this.shapes = swinShape(model.config).stages;
    this.ln = iLayerNormParams(cfg);
  }

  private requant(site: SwinRequantSite, plan: RequantPlan, z: ArrayLike<number>, channels: number): Int32Array {
    const sOut = this.scales.requant(site, plan, z, channels);
    const out = new Int32Array(z.length);
    requantTensor(z, channels, dyadicTable(plan, sOut), plan.bits, this.cfg.requantTie, out);
    return out;
  }

  private residual(site: SwinResidualSite, plan: ResidualPlan, main: ArrayLike<number>, skip: ArrayLike<number>): Int32Array {
    const sOut = this.scales.residual(site, plan, main, skip);
    const dMain = dyadicFromScales(plan.sMain, sOut);
    const dSkip = dyadicFromScales(plan.sSkip, sOut);
    const out = new Int32Array(main.length);
    for (let i = 0; i < out.length; i++) out[i] = residualOne(main[i]!, dMain, skip[i]!, dSkip, plan.bits, this.cfg.requantTie);
    return out;
  }

  private linear(input: Int8Array, rows: number, layer: QLinear, site: string, bias: Int32Array | undefined = layer.bias): Int32Array {
    return matmulABt(input, layer.weight, rows, layer.outFeatures, layer.inFeatures, bias, this.cfg.accumulatorBits, site);
  }

  /** I-LayerNorm of each of `rows` tokens of `c` channels (the 33-bit outputs, before their requant). */
  private layerNorm(ln: QLayerNorm, x: ArrayLike<number>, rows: number, c: number, site: string): Float64Array {
    const bias = layerNormBiases(ln);
    const y = new Float64Array(rows * c);
    const row = new Int32Array(c);
    for (let t = 0; t < rows; t++) {
      for (let j = 0; j < c; j++) row[j] = x[t * c + j]!;
      y.set(layerNormRow(row, bias, this.ln, `${site} [token ${t}]`).out, t * c);
    }
    return y;
  }

  /** Patch embedding (a GEMM over 4×4 patches) to 16 bits, then the patch norm to the stream's 16 bits. */
  embed(image: Int8Array): { x: Int32Array; scale: number } {
    const { model, cfg } = this;
    const c = model.config.embedDim;
    const tokens = this.shapes[0]!.side ** 2;
    const acc = this.linear(imagePatches(image, model.config), tokens, model.patchEmbed, 'patch_embed');
    const patch = this.requant(
      { stage: null, block: null, name: 'patch' },
      { sIn: linearOutputScales(model.scales.input, model.patchEmbed), bits: cfg.residualBits },
      acc,
      c,
    );
    this.observe('patch', patch, [tokens, c]);
    const y = this.layerNorm(model.patchNorm, patch, tokens, c, 'patch_norm');
    const site = { stage: null, block: null, name: 'patchNorm' } as const;
    const x = this.requant(site, { sIn: layerNormOutputScales(model.patchNorm), bits: cfg.residualBits }, y, c);
    this.observe('patch_norm', x, [tokens, c]);
    return { x, scale: swinScaleSlot(model, site).get() };
  }

  /** Per window per head q·kᵀ as int32 [windows, heads, n, n]; qkv rows are in window order, columns [q | k | v] × [head] × [d]. */
  private windowLogits(qkv: Int32Array, sh: SwinStageShape, label: string): Int32Array {
    const { dim: c, heads, headDim: d, windows } = sh;
    const n = sh.windowTokens;
    const out = new Int32Array(windows * heads * n * n);
    const q = new Int8Array(n * d);
    const k = new Int8Array(n * d);
    for (let w = 0; w < windows; w++) {
      for (let h = 0; h < heads; h++) {
        for (let t = 0; t < n; t++) {
          const row = (w * n + t) * 3 * c + h * d;
          for (let j = 0; j < d; j++) {
            q[t * d + j] = qkv[row + j]!;
            k[t * d + j] = qkv[row + c + j]!;
          }
        }
        const acc = matmulABt(q, k, n, n, d, undefined, this.cfg.accumulatorBits, `${label}.attn.qk [window ${w}, head ${h}]`);
        out.set(acc, (w * heads + h) * n * n);
      }
    }
    return out;
  }

  /** logit + bias[relativePositionIndex] per head, saturating at biasedLogitBits; masked pairs set to its minimum. */
  private biasAndMask(logits: Int32Array, blk: QSwinBlock, sh: SwinStageShape, shift: number, label: string): Int32Array {
    const { heads, windows, window } = sh;
    const n = sh.windowTokens;
    const w = this.widths;
    const table = blk.relativeBias.table;
    if (table.length !== (2 * window - 1) ** 2 * heads)
      throw new NumericsInputError(`${label}.attn.bias: the table has ${table.length} entries, expected ${(2 * window - 1) ** 2}×${heads}`);
    const rpi = relativePositionIndex(window);
    const masks = maskedPairs(sh.side, window, shift);
    const masked = signedRange(w.biasedLogitBits).lo;
    const out = new Int32Array(logits.length);
    for (let win = 0; win < windows; win++) {
      const mask = masks[win]!;
      for (let h = 0; h < heads; h++) {
        const base = (win * heads + h) * n * n;
        for (let p = 0; p < n * n; p++) {
          const bias = checkSigned(table[rpi[p]! * heads + h]!, w.relativeBiasBits, 'relative bias', `${label}.attn.bias`);
          out[base + p] = mask[p] ? masked : saturateSigned(logits[base + p]! + bias, w.biasedLogitBits);
        }
      }
    }
    return out;
  }

  /** Shiftmax of every row [windows × heads × n, n], at the biased-logit input width. */
  private shiftmax(biased: Int32Array, x0: number, n: number, heads: number, label: string): Int16Array {
    const cfg = this.cfg;
    const probs = new Int16Array(biased.length);
    const p = { x0, n: cfg.softmax.n, k: cfg.softmax.k, flavour: cfg.flavour, inputBits: this.widths.biasedLogitBits, expBits: cfg.expBits };
    for (let r = 0; r < biased.length / n; r++) {
      const wh = Math.floor(r / n);
      const site = `${label}.attn.shiftmax [window ${Math.floor(wh / heads)}, head ${wh % heads}, row ${r % n}]`;
      probs.set(shiftmaxRow(biased.subarray(r * n, (r + 1) * n), p, site).out, r * n);
    }
    return probs;
  }

  /** probs·v per window per head as int32 [tokens (window order), C], heads side by side. */
  private windowValues(probs: Int16Array, qkv: Int32Array, sh: SwinStageShape, label: string): Int32Array {
    const { dim: c, heads, headDim: d, windows } = sh;
    const n = sh.windowTokens;
    const out = new Int32Array(windows * n * c);
    const vT = new Int8Array(d * n);
    for (let w = 0; w < windows; w++) {
      for (let h = 0; h < heads; h++) {
        for (let t = 0; t < n; t++) for (let j = 0; j < d; j++) vT[j * n + t] = qkv[(w * n + t) * 3 * c + 2 * c + h * d + j]!;
        const at = (w * heads + h) * n * n;
        const acc = matmulABt(probs.subarray(at, at + n * n), vT, n, d, n, undefined, this.cfg.accumulatorBits, `${label}.attn.pv [window ${w}, head ${h}]`);
        for (let t = 0; t < n; t++) for (let j = 0; j < d; j++) out[(w * n + t) * c + h * d + j] = acc[t * d + j]!;
      }
    }
    return out;
  }

  block(s: number, b: number, x: Int32Array, sX: number): { x: Int32Array; scale: number } {
    const { cfg, model } = this;
    const sh = this.shapes[s]!;
    const blk = model.stages[s]!.blocks[b]!;
    const { dim: c, headDim: d, heads, windows } = sh;
    const n = sh.windowTokens;
    const tokens = sh.side * sh.side;
    const shift = b % 2 === 1 ? sh.shift : 0;
    const label = `stage${s}.block${b}`;
    const name = (op: string): string => `${label}.${op}`;
    const site = (op: BlockRequantSite): SwinRequantSite => ({ stage: s, block: b, name: op });
    const plan = (op: BlockRequantSite): RequantPlan => blockRequantPlan(op, blk, d, cfg);

    const a1 = this.requant(site('ln1'), plan('ln1'), this.layerNorm(blk.norm1, x, tokens, c, name('ln1')), c);
    this.observe(name('ln1'), a1, [tokens, c]);
    // attention reads the tokens rolled by −shift and partitioned into windows; its output goes back the inverse way
    const order = shiftedWindowOrder(sh.side, sh.window, shift);
    const aw = new Int8Array(tokens * c);
    gatherRows(a1, order, c, aw);
    const qkv = this.requant(site('qkv'), plan('qkv'), this.linear(aw, tokens, blk.qkv, name('qkv')), 3 * c);
    this.observe(name('qkv'), qkv, [windows, n, 3 * c]);

    const logits = this.requant(site('logit'), plan('logit'), this.windowLogits(qkv, sh, label), 1);
    this.observe(name('attn.logits'), logits, [windows, heads, n, n]);
    const biased = this.biasAndMask(logits, blk, sh, shift, label);
    this.observe(name('attn.biased'), biased, [windows, heads, n, n]);
    const x0 = expX0(blockRequantOutputScale('logit', blk), cfg.flavour);
    if (shift > 0) checkMaskSaturates(x0, cfg, this.widths, name('attn.mask'));
    const probs = this.shiftmax(biased, x0, n, heads, label);
    this.observe(name('attn.probs'), probs, [windows, heads, n, n]);
    const av = this.requant(site('av'), plan('av'), this.windowValues(probs, qkv, sh, label), 1);
    this.observe(name('attn.av'), av, [windows, n, c]);
    const projW = this.requant(site('proj'), plan('proj'), this.linear(Int8Array.from(av), tokens, blk.proj, name('proj')), c);
    const proj = new Int32Array(tokens * c);
    gatherRows(projW, invertOrder(order), c, proj);
    this.observe(name('proj'), proj, [tokens, c]);
    const res1 = this.residual({ stage: s, block: b, name: 'res1' }, blockResidualPlan('res1', blk, sX, cfg), proj, x);
    this.observe(name('res1'), res1, [tokens, c]);

    const a2 = this.requant(site('ln2'), plan('ln2'), this.layerNorm(blk.norm2, res1, tokens, c, name('ln2')), c);
    this.observe(name('ln2'), a2, [tokens, c]);
    const hidden = blk.fc1.outFeatures;
    const g = this.requant(site('fc1'), plan('fc1'), this.linear(Int8Array.from(a2), tokens, blk.fc1, name('fc1')), hidden);
    this.observe(name('fc1'), g, [tokens, hidden]);
    const geluParams = shiftGeluParams(cfg, expX0(geluExpScale(blk), cfg.flavour));
    const gOut = new Int32Array(tokens * hidden);
    for (let t = 0; t < tokens; t++) {
      gOut.set(shiftGeluRow(g.subarray(t * hidden, (t + 1) * hidden), geluParams, `${name('shiftgelu')} [token ${t}]`).out, t * hidden);
    }
    const hq = this.requant(site('h'), plan('h'), gOut, 1);
    this.observe(name('gelu'), hq, [tokens, hidden]);
    const f2 = this.requant(site('fc2'), plan('fc2'), this.linear(Int8Array.from(hq), tokens, blk.fc2, name('fc2')), c);
    this.observe(name('fc2'), f2, [tokens, c]);
    const res2 = this.residual({ stage: s, block: b, name: 'res2' }, blockResidualPlan('res2', blk, sX, cfg), f2, res1);
    this.observe(name('res2'), res2, [tokens, c]);
    return { x: res2, scale: blk.scales.res2 };
  }

  /** PatchMerging: the 2×2 gather to 4C channels, I-LayerNorm, requant to int8, the 4C → 2C reduction to 16 bits. */
  merge(s: number, x: Int32Array): { x: Int32Array; scale: number } {
    const { cfg } = this;
    const sh = this.shapes[s]!;
    const m = mergeOf(this.model, s);
    const c4 = 4 * sh.dim;
    const tokens = (sh.side / 2) ** 2;
    const label = `stage${s}.merge`;
    if (m.reduction.bias.some((v) => v !== 0))
      throw new NumericsInputError(`${label}.reduction: PatchMerging's reduction has no bias, but the model's is not all zero`);
    const gathered = new Int32Array(tokens * c4);
    gatherRows(x, patchMergeOrder(sh.side), sh.dim, gathered);
    this.observe(`${label}.gather`, gathered, [tokens, c4]);
    const normSite = { stage: s, block: null, name: 'mergeNorm' } as const;
    const normed = this.requant(
      normSite,
      { sIn: layerNormOutputScales(m.norm), bits: cfg.activationBits },
      this.layerNorm(m.norm, gathered, tokens, c4, `${label}.norm`),
      c4,
    );
    this.observe(`${label}.norm`, normed, [tokens, c4]);
    const acc = this.linear(Int8Array.from(normed), tokens, m.reduction, `${label}.reduction`, undefined);
    const redPlan = { sIn: linearOutputScales(swinScaleSlot(this.model, normSite).get(), m.reduction), bits: cfg.residualBits };
    const out = this.requant({ stage: s, block: null, name: 'mergeReduction' }, redPlan, acc, m.reduction.outFeatures);
    this.observe(`${label}.reduction`, out, [tokens, m.reduction.outFeatures]);
    return { x: out, scale: m.scales.reductionOut };
  }

  /** The final norm to int8, the average pool over tokens (round half up), the head and its requant to one scale. */
  head(x: Int32Array): SwinForwardResult {
    const { cfg, model } = this;
    const last = this.shapes[this.shapes.length - 1]!;
    const c = last.dim;
    const tokens = last.side ** 2;
    const headSite = { stage: null, block: null, name: 'headIn' } as const;
    const normed = this.requant(
      headSite,
      { sIn: layerNormOutputScales(model.norm), bits: cfg.activationBits },
      this.layerNorm(model.norm, x, tokens, c, 'norm'),
      c,
    );
    this.observe('norm', normed, [tokens, c]);
    const pooled = new Int8Array(c);
    for (let j = 0; j < c; j++) {
      let sum = 0;
      for (let t = 0; t < tokens; t++) sum += normed[t * c + j]!;
      checkSigned(sum, this.widths.poolSumBits, 'average-pool sum', `pool [channel ${j}]`);
      pooled[j] = floorDiv(2 * sum + tokens, 2 * tokens); // ⌊sum/T + ½⌋: round half up, inside int8 as every term is
    }
    this.observe('pool', pooled, [c]);
    const acc = this.linear(pooled, 1, model.head, 'head');
    this.observe('head', acc, [model.head.outFeatures]);
    const plan = { sIn: linearOutputScales(swinScaleSlot(model, headSite).get(), model.head), bits: cfg.logitBits };
    const logits = this.requant({ stage: null, block: null, name: 'logits' }, plan, acc, model.head.outFeatures);
    this.observe('logits', logits, [model.head.outFeatures]);
    return { logits, headAccumulators: acc };
  }

  run(image: Int8Array): SwinForwardResult {
    let { x, scale } = this.embed(image);
    this.model.stages.forEach((stage, s) => {
      for (let b = 0; b < stage.blocks.length; b++) ({ x, scale } = this.block(s, b, x, scale));
      if (stage.merge) ({ x, scale } = this.merge(s, x));
    });
    return this.head(x);
  }
}

/** Check the model's stage structure against its config: depths, and a merge after every stage but the last. */
function checkStructure(model: QSwinModel): void {
  const c = model.config;
  if (model.stages.length !== c.depths.length) throw new NumericsInputError(`${c.name}: ${model.stages.length} stages, the config has ${c.depths.length}`);
  model.stages.forEach((st, s) => {
    if (st.blocks.length !== c.depths[s]) throw new NumericsInputError(`${c.name}: stage${s} has ${st.blocks.length} blocks, the config has ${c.depths[s]}`);
    if ((st.merge === undefined) !== (s === model.stages.length - 1))
      throw new NumericsInputError(`${c.name}: stage${s} must ${s === model.stages.length - 1 ? 'not ' : ''}end in a patch merge`);
  });
}

/** Run the Swin forward pass on one int8 image [channels × H × W]. */
export function swinForward(model: QSwinModel, image: Int8Array, cfg: NumericsConfig, opts: SwinForwardOptions = {}): SwinForwardResult {
  checkStructure(model);
  const f = new SwinForward(model, cfg, opts.widths ?? SWIN_WIDTHS, opts.scales ?? modelSwinScales(model), opts.observe ?? (() => {}));
  return f.run(image);
}
