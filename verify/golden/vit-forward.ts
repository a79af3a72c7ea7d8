/**
 * The whole integer ViT/DeiT forward pass (numerics.md §2 and §7), block by block. It is written as steps
 * (a generator) that stop at every integer constant they need and ask for it with a ConstantRequest:
 *  - vitForward drives one image and answers from a ConstantResolver: the golden model resolves the
 *    model's derived constants;
 *  - forwardInLockstep drives N images together and answers each request once for all of them from a
 *    BatchConstantResolver: calibration sees a site's values over the whole calibration batch before the
 *    next site runs, as QuantAct does on a batch.
 * Calibration and golden evaluation share this one code path, so they cannot drift apart.
 */
import type { Dyadic } from './constants.js';
import { NumericsInputError, checkSigned } from './intmath.js';
import type { NumericsConfig } from './numerics-config.js';
import { type DyadicTable, requantTensor, residualOne } from './ops/requant.js';
import { matmulABt } from './ops/matmul.js';
import { iLayerNormParams, layerNormRow, type LayerNormParams } from './ops/layernorm.js';
import { shiftmaxRow } from './ops/shiftmax.js';
import { shiftGeluParams, shiftGeluRow } from './ops/shiftgelu.js';
import { type LisAttnVParams, lisAttnV, lisRow } from './ops/lis.js';
import { type IBertGeluConstants, type IBertSoftmaxConstants, ibertGeluRow, ibertSoftmaxRow } from './ops/ibert.js';
import { type PtsChannels, type PtsLayerNormParams, ptsLayerNormRow } from './ops/pts-layernorm.js';
import type { BlockRequantSite } from './scale-algebra.js';
import type { IBertBlockConstants, LisSiteConstants, ModelConstants, ResidualDyadics } from './model-constants.js';
import { vitShape } from './zoo.js';
import { imagePatches } from './patches.js';
import type { QLinear, QuantModel } from './qmodel.js';
import type { SulqConstants } from './ops/sulq.js';
import { sulqCodes, sulqHeadAttnV } from './isvit.js';

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
  /** LIS attention: the unit's constants (asked after the logit requant has fixed the logit scale) */
  lis(site: ExpSiteRef): LisSiteConstants;
  /** I-BERT softmax / GELU: the block's constants (asked after the requant that fixes the unit's input scale) */
  ibert(site: ExpSiteRef): IBertBlockConstants;
  /** PTS LayerNorm: α_c and (M_c, N_c, B_c) (asked after the input requant to s·2^α_c) */
  pts(site: LayerNormSiteRef): PtsChannels;
  /** SULQ attention: the block's constants, asked with the Shiftmax output P [heads × n × n] they quantise */
  sulq(site: ExpSiteRef, p: ArrayLike<number>): SulqConstants;
}

/** A resolver that sees one site's values for every image of a batch at once (calibration). */
export interface BatchConstantResolver {
  requant(site: RequantSiteRef, z: ReadonlyArray<ArrayLike<number>>, channels: number): DyadicTable;
  residual(site: ResidualSiteRef, main: ReadonlyArray<ArrayLike<number>>, skip: ReadonlyArray<ArrayLike<number>>): ResidualDyadics;
  expX0(site: ExpSiteRef): number;
  layerNormBias(site: LayerNormSiteRef): ArrayLike<number>;
  lis(site: ExpSiteRef): LisSiteConstants;
  ibert(site: ExpSiteRef): IBertBlockConstants;
  pts(site: LayerNormSiteRef): PtsChannels;
  sulq(site: ExpSiteRef, p: ReadonlyArray<ArrayLike<number>>): SulqConstants;
}

/** What the forward steps stop for: one site's constants, with the data reaching it. */
export type ConstantRequest =
  | { kind: 'requant'; site: RequantSiteRef; z: ArrayLike<number>; channels: number }
  | { kind: 'residual'; site: ResidualSiteRef; main: ArrayLike<number>; skip: ArrayLike<number> }
  | { kind: 'expX0'; site: ExpSiteRef }
  | { kind: 'layerNormBias'; site: LayerNormSiteRef }
  | { kind: 'lis'; site: ExpSiteRef }
  | { kind: 'ibert'; site: ExpSiteRef }
  | { kind: 'pts'; site: LayerNormSiteRef }
  | { kind: 'sulq'; site: ExpSiteRef; p: ArrayLike<number> };

/** The answer to a request of each kind. */
export interface ConstantAnswers {
  requant: DyadicTable;
  residual: ResidualDyadics;
  expX0: number;
  layerNormBias: ArrayLike<number>;
  lis: LisSiteConstants;
  ibert: IBertBlockConstants;
  pts: PtsChannels;
  sulq: SulqConstants;
}
export type ConstantAnswer = ConstantAnswers[keyof ConstantAnswers];

/** The forward pass of one image as steps: it yields requests and returns the result. */
export type ForwardSteps = Generator<ConstantRequest, ForwardResult, ConstantAnswer>;

function answerOne(k: ConstantResolver, r: ConstantRequest): ConstantAnswer {
  switch (r.kind) {
    case 'requant':
      return k.requant(r.site, r.z, r.channels);
    case 'residual':
      return k.residual(r.site, r.main, r.skip);
    case 'expX0':
      return k.expX0(r.site);
    case 'layerNormBias':
      return k.layerNormBias(r.site);
    case 'lis':
      return k.lis(r.site);
    case 'ibert':
      return k.ibert(r.site);
    case 'pts':
      return k.pts(r.site);
    case 'sulq':
      return k.sulq(r.site, r.p);
  }
}

/** A constant the derivation leaves out when its preset does not use it: asking for it is a bug. */
function present<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`the model constants hold no ${what} (derived for another preset)`);
  return v;
}

/** The golden resolver: constants derived once from the model's scales. */
export function constantsResolver(k: ModelConstants): ConstantResolver {
  return {
    requant: (s) => (s.block === null ? k[s.name] : k.blocks[s.block]!.requant[s.name]),
    residual: (s) => (s.block === null ? k.embed : k.blocks[s.block]![s.name]),
    expX0: (s) => (s.name === 'softmax' ? k.blocks[s.block]!.softmaxX0 : k.blocks[s.block]!.geluX0),
    layerNormBias: (s) => (s.block === null ? k.normBias : s.name === 'ln1' ? k.blocks[s.block]!.ln1Bias : k.blocks[s.block]!.ln2Bias),
    lis: (s) => present(k.blocks[s.block]!.lis, `LIS constants of ${siteLabel(s)}`),
    ibert: (s) => present(k.blocks[s.block]!.ibert, `I-BERT constants of ${siteLabel(s)}`),
    pts: (s) =>
      present(s.block === null ? k.normPts : s.name === 'ln1' ? k.blocks[s.block]!.ln1Pts : k.blocks[s.block]!.ln2Pts, `PTS constants of ${siteLabel(s)}`),
    sulq: (s) => present(k.blocks[s.block]!.sulq, `SULQ constants of ${siteLabel(s)}`),
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
  vitShape(model.config); // rejects a configuration the pipeline cannot run
  return imagePatches(image, model.config);
}

/** One request's typed answer: the steps below ask through this, so each site gets the type it asked for. */
function* ask<K extends ConstantRequest['kind']>(req: Extract<ConstantRequest, { kind: K }>): Generator<ConstantRequest, ConstantAnswers[K], ConstantAnswer> {
  return (yield req) as ConstantAnswers[K];
}

type Steps<T> = Generator<ConstantRequest, T, ConstantAnswer>;

/** LIS codes of every logit row [heads × n, n]: the clamped code and the mask bit per element. */
interface LisCodes {
  codes: Uint8Array;
  masked: Uint8Array;
}

class Forward {
  private readonly ln: LayerNormParams;
  private readonly pts: PtsLayerNormParams;
  private readonly lisAv: LisAttnVParams;
  private readonly tokens: number;
  private readonly width: number;
  private readonly headDim: number;

  constructor(
    private readonly model: QuantModel,
    private readonly cfg: NumericsConfig,
    private readonly observe: TensorObserver,
  ) {
    if (cfg.activationBits > 8 || cfg.weightBits > 8) {
      throw new NumericsInputError(
        `the forward pass holds linear inputs and weights in int8; got ${cfg.activationBits}-bit activations, ${cfg.weightBits}-bit weights`,
      );
    }
    if (cfg.residualBits > 16) throw new NumericsInputError(`the residual stream is held in int16; got ${cfg.residualBits} bits`);
    const shape = vitShape(model.config);
    this.tokens = shape.tokens;
    this.width = model.config.embedDim;
    this.headDim = shape.headDim;
    this.ln = iLayerNormParams(cfg);
    // PTS reads the int8 requant of the residual and writes the next linear layer's int8 input directly
    this.pts = { sqrt: cfg.pts.sqrt, inputBits: cfg.activationBits, varianceBits: cfg.pts.varianceBits, outputBits: cfg.activationBits };
    this.lisAv = { vFracBits: cfg.lis.vFracBits, vBits: cfg.activationBits, accBits: cfg.lis.accBits };
  }

  private linear(input: Int8Array, rows: number, layer: QLinear, site: string): Int32Array {
    return matmulABt(input, layer.weight, rows, layer.outFeatures, layer.inFeatures, layer.bias, this.cfg.accumulatorBits, site);
  }

  private *requant(site: RequantSiteRef, z: ArrayLike<number>, channels: number, bits: number): Steps<Int32Array> {
    const table = yield* ask<'requant'>({ kind: 'requant', site, z, channels });
    const out = new Int32Array(z.length);
    requantTensor(z, channels, table, bits, this.cfg.requantTie, out);
    return out;
  }

  private *residual(site: ResidualSiteRef, main: ArrayLike<number>, skip: ArrayLike<number>): Steps<Int32Array> {
    const d = yield* ask<'residual'>({ kind: 'residual', site, main, skip });
    const out = new Int32Array(main.length);
    const bits = this.cfg.residualBits;
    for (let i = 0; i < out.length; i++) out[i] = residualOne(main[i]!, d.main, skip[i]!, d.skip, bits, this.cfg.requantTie);
    return out;
  }

  /**
   * LayerNorm of `rows` tokens to 8 bits: I-LayerNorm then the per-channel requant, or with PTS the requant of the
   * residual to int8 at s·2^α_c first (the same requant site) and PTS LayerNorm writing the output scale directly.
   */
  private *layerNorm(site: LayerNormSiteRef, x: Int32Array, rows: number, requantSite: RequantSiteRef, outBits: number): Steps<Int32Array> {
    const c = this.width;
    if (this.cfg.layerNorm === 'pts') {
      if (outBits !== this.cfg.activationBits) throw new NumericsInputError(`PTS LayerNorm writes ${this.cfg.activationBits}-bit outputs, not ${outBits}`);
      const q = yield* this.requant(requantSite, x.subarray(0, rows * c), c, this.cfg.activationBits);
      const ch = yield* ask<'pts'>({ kind: 'pts', site });
      const out = new Int32Array(rows * c);
      const label = siteLabel(site);
      for (let t = 0; t < rows; t++) out.set(ptsLayerNormRow(q.subarray(t * c, (t + 1) * c), ch, this.pts, `${label} [token ${t}]`).out, t * c);
      return out;
    }
    const bias = yield* ask<'layerNormBias'>({ kind: 'layerNormBias', site });
    const y = new Float64Array(rows * c); // LN outputs need 33 bits
    const label = siteLabel(site);
    for (let t = 0; t < rows; t++) {
      const r = layerNormRow(x.subarray(t * c, (t + 1) * c), bias, this.ln, `${label} [token ${t}]`);
      y.set(r.out, t * c);
    }
    return yield* this.requant(requantSite, y, c, outBits);
  }

  *embed(image: Int8Array): Steps<Int32Array> {
    const { model, cfg, width: c, tokens } = this;
    const patches = extractPatches(image, model);
    const acc = this.linear(patches, tokens - 1, model.patch, 'patch_embed');
    const tok = new Int32Array(tokens * c);
    tok.set(yield* this.requant({ block: null, name: 'patch' }, acc, c, cfg.residualBits), c);
    for (let i = 0; i < c; i++) tok[i] = checkSigned(model.cls[i]!, cfg.residualBits, 'cls token', 'embed');
    this.observe('patch', tok, [tokens, c]);
    const x = yield* this.residual({ block: null, name: 'embed' }, tok, model.pos);
    this.observe('embed', x, [tokens, c]);
    return x;
  }

  /** q·kᵀ of every head, as int32 accumulators [heads, n, n]. qkv columns are ordered [q | k | v] × [head] × [d]. */
  private attentionLogits(qkv: Int32Array, b: number): Int32Array {
    const { cfg, width: c, tokens: n, headDim: d } = this;
    const heads = this.model.config.heads;
    const logitsAll = new Int32Array(heads * n * n);
    const q = new Int8Array(n * d);
    const kk = new Int8Array(n * d);
    for (let h = 0; h < heads; h++) {
      for (let t = 0; t < n; t++) {
        for (let j = 0; j < d; j++) {
          q[t * d + j] = qkv[t * 3 * c + h * d + j]!;
          kk[t * d + j] = qkv[t * 3 * c + c + h * d + j]!;
        }
      }
      const acc = matmulABt(q, kk, n, n, d, undefined, cfg.accumulatorBits, `block${b}.attn.qk [head ${h}]`);
      logitsAll.set(acc, h * n * n);
    }
    return logitsAll;
  }

  /** Shiftmax of every row [heads × n, n]. */
  private shiftmax(logits: Int32Array, x0: number, b: number): Int16Array | Int32Array {
    const { cfg, tokens: n } = this;
    const heads = this.model.config.heads;
    // Shiftmax outputs lie in [0, 2^(k−1) − 1]: int16 holds them for k ≤ 16 (the int16 GEMM kernel reads them)
    const probsAll = cfg.softmax.k <= 16 ? new Int16Array(heads * n * n) : new Int32Array(heads * n * n);
    const smParams = { x0, n: cfg.softmax.n, k: cfg.softmax.k, flavour: cfg.flavour, inputBits: cfg.activationBits, expBits: cfg.expBits };
    for (let r = 0; r < heads * n; r++) {
      const row = shiftmaxRow(logits.subarray(r * n, (r + 1) * n), smParams, `block${b}.attn.shiftmax [head ${Math.floor(r / n)}, row ${r % n}]`);
      probsAll.set(row.out, r * n);
    }
    return probsAll;
  }

  /** LIS of every row [heads × n, n]: the codes for attention·V, and the tensor the SDU writes (code, −1 = probability 0). */
  private lis(logits: Int32Array, k: LisSiteConstants, b: number): { codes: LisCodes; probs: Int16Array } {
    const { cfg, tokens: n } = this;
    const rows = this.model.config.heads * n;
    const p = { ...k, inputBits: cfg.activationBits, polyBits: cfg.lis.polyBits, sumBits: cfg.lis.sumBits };
    const codes = new Uint8Array(rows * n);
    const masked = new Uint8Array(rows * n);
    const probs = new Int16Array(rows * n);
    for (let r = 0; r < rows; r++) {
      const row = lisRow(logits.subarray(r * n, (r + 1) * n), p, `block${b}.attn.lis [head ${Math.floor(r / n)}, row ${r % n}]`);
      for (let j = 0; j < n; j++) {
        codes[r * n + j] = row.codes[j]!;
        masked[r * n + j] = row.masked[j]!;
        probs[r * n + j] = row.masked[j] ? -1 : row.codes[j]!;
      }
    }
    return { codes: { codes, masked }, probs };
  }

  /** LIS attention·V of every head: Σ over unmasked j of (V_j << F) >> code_j, int32 [n, C] at S_V·2^−F. */
  private lisAttentionValues(lc: LisCodes, qkv: Int32Array, b: number): Int32Array {
    const { width: c, tokens: n, headDim: d } = this;
    const heads = this.model.config.heads;
    const avAcc = new Int32Array(n * c);
    const vT = new Int8Array(d * n);
    for (let h = 0; h < heads; h++) {
      for (let t = 0; t < n; t++) for (let j = 0; j < d; j++) vT[j * n + t] = qkv[t * 3 * c + 2 * c + h * d + j]!;
      for (let t = 0; t < n; t++) {
        const at = (h * n + t) * n;
        const codes = lc.codes.subarray(at, at + n);
        const masked = lc.masked.subarray(at, at + n);
        for (let j = 0; j < d; j++) {
          avAcc[t * c + h * d + j] = lisAttnV(codes, masked, vT.subarray(j * n, (j + 1) * n), this.lisAv, `block${b}.attn.pv [head ${h}, row ${t}]`);
        }
      }
    }
    return avAcc;
  }

  /** SULQ attention·V of every head (isvit.ts): int32 [n, C] at S_V·2^−f, heads side by side. */
  private sulqAttentionValues(codes: Uint8Array, k: SulqConstants, qkv: Int32Array, b: number): Int32Array {
    const { cfg, width: c, tokens: n, headDim: d } = this;
    const heads = this.model.config.heads;
    const widths = { vBits: cfg.activationBits, vSumBits: cfg.sulq.vSumBits, accBits: cfg.sulq.accBits };
    const avAcc = new Int32Array(n * c);
    const v = new Int8Array(n * d);
    for (let h = 0; h < heads; h++) {
      for (let t = 0; t < n; t++) for (let j = 0; j < d; j++) v[t * d + j] = qkv[t * 3 * c + 2 * c + h * d + j]!;
      const out = sulqHeadAttnV(codes.subarray(h * n * n, (h + 1) * n * n), v, n, d, k, widths, `block${b}.attn.pv [head ${h}]`);
      for (let t = 0; t < n; t++) for (let j = 0; j < d; j++) avAcc[t * c + h * d + j] = out[t * d + j]!;
    }
    return avAcc;
  }

  /** probs·v of every head, as int32 accumulators [n, C] (heads side by side). */
  private attentionValues(probsAll: Int16Array | Int32Array, qkv: Int32Array, b: number): Int32Array {
    const { cfg, width: c, tokens: n, headDim: d } = this;
    const heads = this.model.config.heads;
    const avAcc = new Int32Array(n * c);
    const vT = new Int8Array(d * n);
    for (let h = 0; h < heads; h++) {
      for (let t = 0; t < n; t++) for (let j = 0; j < d; j++) vT[j * n + t] = qkv[t * 3 * c + 2 * c + h * d + j]!;
      const acc = matmulABt(probsAll.subarray(h * n * n, (h + 1) * n * n), vT, n, d, n, undefined, cfg.accumulatorBits, `block${b}.attn.pv [head ${h}]`);
      for (let t = 0; t < n; t++) for (let j = 0; j < d; j++) avAcc[t * c + h * d + j] = acc[t * d + j]!;
    }
    return avAcc;
  }

  /** I-BERT softmax of every row [heads × n, n]: out ≤ 2^k at 2^−k (int32: 2^15 passes int16). */
  private ibertSoftmax(logits: Int32Array, k: IBertSoftmaxConstants, b: number): Int32Array {
    const { cfg, tokens: n } = this;
    const rows = this.model.config.heads * n;
    const u = cfg.ibert;
    const p = {
      ...k,
      inputBits: cfg.activationBits,
      polyBits: u.softmaxPolyBits,
      expRequantBits: u.expRequantBits,
      sumBits: u.sumBits,
      outputBits: u.softmaxOutputBits,
    };
    const probs = new Int32Array(rows * n);
    for (let r = 0; r < rows; r++) {
      probs.set(ibertSoftmaxRow(logits.subarray(r * n, (r + 1) * n), p, `block${b}.attn.ibert-softmax [head ${Math.floor(r / n)}, row ${r % n}]`).out, r * n);
    }
    return probs;
  }

  /** I-BERT GELU of every element [n, hidden]. */
  private ibertGelu(g: Int32Array, k: IBertGeluConstants, b: number): Int32Array {
    const { cfg } = this;
    const p = { ...k, inputBits: cfg.activationBits, erfBits: cfg.ibert.erfBits, polyBits: cfg.ibert.geluPolyBits };
    return Int32Array.from(ibertGeluRow(g, p, `block${b}.ibert-gelu`).out);
  }

  /** ShiftGELU of every token row [n, hidden]. */
  private shiftGelu(g: Int32Array, x0: number, hidden: number, b: number): Int32Array {
    const { cfg, tokens: n } = this;
    const geluParams = shiftGeluParams(cfg, x0);
    const gOut = new Int32Array(n * hidden);
    for (let t = 0; t < n; t++) {
      gOut.set(shiftGeluRow(g.subarray(t * hidden, (t + 1) * hidden), geluParams, `block${b}.shiftgelu [token ${t}]`).out, t * hidden);
    }
    return gOut;
  }

  *block(b: number, x: Int32Array): Steps<Int32Array> {
    const { cfg, width: c, tokens: n } = this;
    const blk = this.model.blocks[b]!;
    const heads = this.model.config.heads;
    const act = cfg.activationBits;
    const name = (s: string): string => `block${b}.${s}`;
    const rq = (s: BlockRequantSite): RequantSiteRef => ({ block: b, name: s });

    const low = cfg.lowBit.inputBits; // the inputs of qkv, proj, fc1, fc2
    const a1 = yield* this.layerNorm({ block: b, name: 'ln1' }, x, n, rq('ln1'), low);
    this.observe(name('ln1'), a1, [n, c]);
    const qkv = yield* this.requant(rq('qkv'), this.linear(Int8Array.from(a1), n, blk.qkv, name('qkv')), 3 * c, act);
    this.observe(name('qkv'), qkv, [n, 3 * c]);

    const logits = yield* this.requant(rq('logit'), this.attentionLogits(qkv, b), 1, act);
    this.observe(name('attn.logits'), logits, [heads, n, n]);
    let avAcc: Int32Array;
    if (cfg.attention === 'lis') {
      const lc = yield* ask<'lis'>({ kind: 'lis', site: { block: b, name: 'softmax' } }); // after the logit requant has fixed its scale
      const { codes, probs } = this.lis(logits, lc, b);
      this.observe(name('attn.probs'), probs, [heads, n, n]);
      avAcc = this.lisAttentionValues(codes, qkv, b);
    } else if (cfg.attention === 'sulq') {
      const x0 = yield* ask<'expX0'>({ kind: 'expX0', site: { block: b, name: 'softmax' } });
      const probsAll = this.shiftmax(logits, x0, b);
      const sq = yield* ask<'sulq'>({ kind: 'sulq', site: { block: b, name: 'softmax' }, p: probsAll });
      const codes = sulqCodes(probsAll, heads * n, n, sq, `block${b}.attn.sulq`);
      this.observe(name('attn.probs'), codes, [heads, n, n]);
      avAcc = this.sulqAttentionValues(codes, sq, qkv, b);
    } else if (cfg.attention === 'ibert') {
      const ib = yield* ask<'ibert'>({ kind: 'ibert', site: { block: b, name: 'softmax' } }); // after the logit requant has fixed its scale
      const probsAll = this.ibertSoftmax(logits, present(ib.softmax, `I-BERT softmax constants of block${b}`), b);
      this.observe(name('attn.probs'), probsAll, [heads, n, n]);
      avAcc = this.attentionValues(probsAll, qkv, b);
    } else {
      const x0 = yield* ask<'expX0'>({ kind: 'expX0', site: { block: b, name: 'softmax' } }); // after the logit requant has fixed its scale
      const probsAll = this.shiftmax(logits, x0, b);
      this.observe(name('attn.probs'), probsAll, [heads, n, n]);
      avAcc = this.attentionValues(probsAll, qkv, b);
    }
    const av = yield* this.requant(rq('av'), avAcc, 1, low);
    this.observe(name('attn.av'), av, [n, c]);
    const proj = yield* this.requant(rq('proj'), this.linear(Int8Array.from(av), n, blk.proj, name('proj')), c, cfg.residualBits);
    this.observe(name('proj'), proj, [n, c]);
    const res1 = yield* this.residual({ block: b, name: 'res1' }, proj, x);
    this.observe(name('res1'), res1, [n, c]);

    const a2 = yield* this.layerNorm({ block: b, name: 'ln2' }, res1, n, rq('ln2'), low);
    this.observe(name('ln2'), a2, [n, c]);
    const hidden = blk.fc1.outFeatures;
    const g = yield* this.requant(rq('fc1'), this.linear(Int8Array.from(a2), n, blk.fc1, name('fc1')), hidden, act);
    this.observe(name('fc1'), g, [n, hidden]);
    let gOut: Int32Array;
    if (cfg.geluUnit === 'ibert') {
      const ib = yield* ask<'ibert'>({ kind: 'ibert', site: { block: b, name: 'gelu' } }); // after the fc1 requant has fixed its scale
      gOut = this.ibertGelu(g, present(ib.gelu, `I-BERT GELU constants of block${b}`), b);
    } else {
      const geluX0 = yield* ask<'expX0'>({ kind: 'expX0', site: { block: b, name: 'gelu' } });
      gOut = this.shiftGelu(g, geluX0, hidden, b);
    }
    const hq = yield* this.requant(rq('h'), gOut, 1, low);
    this.observe(name('gelu'), hq, [n, hidden]);
    const f2 = yield* this.requant(rq('fc2'), this.linear(Int8Array.from(hq), n, blk.fc2, name('fc2')), c, cfg.residualBits);
    this.observe(name('fc2'), f2, [n, c]);
    const res2 = yield* this.residual({ block: b, name: 'res2' }, f2, res1);
    this.observe(name('res2'), res2, [n, c]);
    return res2;
  }

  *head(x: Int32Array): Steps<ForwardResult> {
    const { cfg, width: c, model } = this;
    const cls = x.subarray(0, c); // only the class token reaches the head; LN is per token
    const headIn = yield* this.layerNorm({ block: null, name: 'norm' }, cls, 1, { block: null, name: 'headIn' }, cfg.activationBits);
    this.observe('norm', headIn, [c]);
    const acc = this.linear(Int8Array.from(headIn), 1, model.head, 'head');
    this.observe('head', acc, [model.head.outFeatures]);
    const logits = yield* this.requant({ block: null, name: 'logits' }, acc, model.head.outFeatures, cfg.logitBits);
    this.observe('logits', logits, [model.head.outFeatures]);
    return { logits, headAccumulators: acc };
  }

  *run(image: Int8Array): ForwardSteps {
    let x = yield* this.embed(image);
    for (let b = 0; b < this.model.blocks.length; b++) x = yield* this.block(b, x);
    return yield* this.head(x);
  }
}

/** The forward pass of one int8 image as steps, for a driver to answer (vitForward, forwardInLockstep). */
export function forwardSteps(model: QuantModel, image: Int8Array, cfg: NumericsConfig, observe: TensorObserver = () => {}): ForwardSteps {
  return new Forward(model, cfg, observe).run(image);
}

/** Run the forward pass on one int8 image [channels × H × W] (the output of qact_input). */
export function vitForward(
  model: QuantModel,
  image: Int8Array,
  cfg: NumericsConfig,
  resolver: ConstantResolver,
  observe: TensorObserver = () => {},
): ForwardResult {
  const steps = forwardSteps(model, image, cfg, observe);
  let r = steps.next();
  while (!r.done) r = steps.next(answerOne(resolver, r.value));
  return r.value;
}

function siteKey(r: ConstantRequest): string {
  return `${r.kind} ${siteLabel(r.site)}`;
}

/**
 * Run the forward passes of several images in lockstep: at every site each pass stops, and the site's
 * request is answered once, for all of them, from the values of every image. `observe` gets the image index.
 */
export function forwardInLockstep(
  model: QuantModel,
  images: readonly Int8Array[],
  cfg: NumericsConfig,
  resolver: BatchConstantResolver,
  observe?: (image: number, name: string, data: ArrayLike<number>, shape: readonly number[]) => void,
): ForwardResult[] {
  if (images.length === 0) throw new NumericsInputError('forwardInLockstep needs at least one image');
  const steps = images.map((img, i) => forwardSteps(model, img, cfg, observe ? (n, d, s) => observe(i, n, d, s) : undefined));
  let states = steps.map((s) => s.next());
  for (;;) {
    const first = states[0]!;
    if (first.done) break;
    const reqs = states.map((st, i): ConstantRequest => {
      // every pass runs the same code on the same model, so they stop at the same sites
      if (st.done || siteKey(st.value) !== siteKey(first.value)) throw new Error(`lockstep broken at image ${i} (${siteKey(first.value)})`);
      return st.value;
    });
    const a = answerBatch(resolver, reqs);
    states = steps.map((s) => s.next(a));
  }
  return states.map((st, i) => {
    if (!st.done) throw new Error(`lockstep broken: image ${i} has steps left after image 0 finished`);
    return st.value;
  });
}

function answerBatch(k: BatchConstantResolver, reqs: readonly ConstantRequest[]): ConstantAnswer {
  const r = reqs[0]!;
  switch (r.kind) {
    case 'requant':
      return k.requant(
        r.site,
        reqs.map((q) => (q as typeof r).z),
        r.channels,
      );
    case 'residual':
      return k.residual(
        r.site,
        reqs.map((q) => (q as typeof r).main),
        reqs.map((q) => (q as typeof r).skip),
      );
    case 'expX0':
      return k.expX0(r.site);
    case 'layerNormBias':
      return k.layerNormBias(r.site);
    case 'lis':
      return k.lis(r.site);
    case 'ibert':
      return k.ibert(r.site);
    case 'pts':
      return k.pts(r.site);
    case 'sulq':
      return k.sulq(
        r.site,
        reqs.map((q) => (q as typeof r).p),
      );
  }
}

export type { Dyadic };
