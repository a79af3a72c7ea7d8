/**
 * Seeded, deterministic synthetic quantised models for any zoo configuration. Weights are drawn as floats
 * and quantised per output channel the way the reference does (numerics.md §1); activation scales are
 * calibrated the way QuantAct's first batch sets them: S = max|real value| / (2^(b−1) − 1), on a seeded
 * calibration image, by running the golden forward pass itself with a calibrating constant resolver.
 */
import { dyadicFromScales, expX0, symmetricScale } from '../golden/constants.js';
import { clamp, fl32 } from '../golden/intmath.js';
import type { NumericsConfig } from '../golden/numerics-config.js';
import { PYTORCH_NUMERICS } from '../golden/numerics-config.js';
import { dyadicTable, layerNormBiases } from '../golden/model-constants.js';
import {
  type RequantPlan,
  blockRequantPlan,
  blockResidualPlan,
  geluExpScale,
  layerNormOutputScales,
  linearOutputScales,
} from '../golden/scale-algebra.js';
import { type ConstantResolver, vitForward } from '../golden/vit-forward.js';
import { type VitConfig, vitShape } from '../golden/zoo.js';
import { Rng } from './prng.js';
import type { BlockScales, QBlock, QLayerNorm, QLinear, QuantModel } from '../golden/qmodel.js';

/** The normalised-image range of ImageNet preprocessing (max |(x − mean)/std| ≈ 2.64). */
const INPUT_RANGE = 2.64;

function quantizeLinear(outF: number, inF: number, rng: Rng): QLinear {
  const weight = new Int8Array(outF * inF);
  const weightScale = new Float32Array(outF);
  const bias = new Int32Array(outF);
  const w = new Float64Array(inF);
  const std = 1 / Math.sqrt(inF);
  for (let o = 0; o < outF; o++) {
    let maxAbs = 0;
    for (let i = 0; i < inF; i++) {
      w[i] = rng.gauss() * std * (0.5 + rng.uniform()); // per-weight spread gives distinct channel ranges
      maxAbs = Math.max(maxAbs, Math.abs(w[i]!));
    }
    const s = symmetricScale(fl32(maxAbs), 8);
    const inv = fl32(1 / s);
    for (let i = 0; i < inF; i++) weight[o * inF + i] = clamp(Math.round(w[i]! * inv), -128, 127);
    weightScale[o] = s;
    // bias in accumulator units, a few percent of a typical accumulator magnitude
    bias[o] = Math.round(rng.gauss() * Math.sqrt(inF) * 150);
  }
  return { outFeatures: outF, inFeatures: inF, weight, bias, weightScale };
}

function layerNormParams(channels: number, rng: Rng): QLayerNorm {
  const gamma = new Float32Array(channels);
  const beta = new Float32Array(channels);
  for (let i = 0; i < channels; i++) {
    let g = 1 + 0.3 * rng.gauss();
    if (Math.abs(g) < 0.05) g = g < 0 ? -0.05 : 0.05; // keeps the integer bias β/γ·2^30/√C inside int32
    gamma[i] = fl32(g);
    beta[i] = fl32(0.05 * rng.gauss());
  }
  return { gamma, beta };
}

const UNSET = Number.NaN;

function unsetBlockScales(): BlockScales {
  return { a1: UNSET, qkv: UNSET, logit: UNSET, av: UNSET, proj: UNSET, res1: UNSET, a2: UNSET, gelu: UNSET, h: UNSET, fc2: UNSET, res2: UNSET };
}

/** A smooth seeded int8 image [channels × size × size]: bilinear blobs on a coarse grid plus fine noise. */
export function syntheticImage(config: VitConfig, seed: number, label = 'input'): Int8Array {
  const rng = new Rng(seed, `image:${label}`);
  const { imageSize: size, inChannels: ch } = config;
  const grid = 8;
  const img = new Int8Array(ch * size * size);
  for (let c = 0; c < ch; c++) {
    const g = Array.from({ length: (grid + 1) * (grid + 1) }, () => rng.gauss() * 0.8);
    for (let y = 0; y < size; y++) {
      const gy = (y / size) * grid;
      const y0 = Math.floor(gy);
      const fy = gy - y0;
      for (let x = 0; x < size; x++) {
        const gx = (x / size) * grid;
        const x0 = Math.floor(gx);
        const fx = gx - x0;
        const v = g[y0 * (grid + 1) + x0]! * (1 - fy) * (1 - fx) + g[y0 * (grid + 1) + x0 + 1]! * (1 - fy) * fx
          + g[(y0 + 1) * (grid + 1) + x0]! * fy * (1 - fx) + g[(y0 + 1) * (grid + 1) + x0 + 1]! * fy * fx
          + 0.15 * rng.gauss();
        img[c * size * size + y * size + x] = clamp(Math.round((v / INPUT_RANGE) * 127), -127, 127);
      }
    }
  }
  return img;
}

/** Largest |real value| of a requant input, z_i · S_in[channel]. */
function maxRealAbs(z: ArrayLike<number>, sIn: number | Float32Array, channels: number): number {
  let m = 0;
  for (let i = 0, c = 0; i < z.length; i++) {
    const s = typeof sIn === 'number' ? sIn : sIn[c]!;
    m = Math.max(m, Math.abs(z[i]! * s));
    if (++c === channels) c = 0;
  }
  return m;
}

/**
 * Calibrates each activation scale from the data reaching it, in forward order, and fills in the
 * class token and the position embedding once the patch scale is known.
 */
function calibratingResolver(model: QuantModel, cfg: NumericsConfig, rng: Rng): ConstantResolver {
  const { headDim } = vitShape(model.config);
  const scaleFrom = (plan: RequantPlan, z: ArrayLike<number>, channels: number): number =>
    symmetricScale(fl32(maxRealAbs(z, plan.sIn, channels)), plan.bits);
  const blockInputScale = (b: number): number => (b === 0 ? model.scales.embed : model.blocks[b - 1]!.scales.res2);

  return {
    requant(site, z, channels) {
      if (site.block !== null) {
        const blk = model.blocks[site.block]!;
        const plan = blockRequantPlan(site.name, blk, headDim, cfg);
        const key = ({ ln1: 'a1', qkv: 'qkv', logit: 'logit', av: 'av', proj: 'proj', ln2: 'a2', fc1: 'gelu', h: 'h', fc2: 'fc2' } as const)[site.name];
        blk.scales[key] = scaleFrom(plan, z, channels);
        return dyadicTable(plan, blk.scales[key]);
      }
      const sc = model.scales;
      if (site.name === 'patch') {
        const plan: RequantPlan = { sIn: linearOutputScales(sc.input, model.patch), bits: cfg.residualBits };
        const tokenRange = maxRealAbs(z, plan.sIn, channels);
        sc.patch = symmetricScale(fl32(tokenRange), cfg.residualBits);
        fillClassAndPosition(model, tokenRange, rng, cfg);
        return dyadicTable(plan, sc.patch);
      }
      if (site.name === 'headIn') {
        const plan: RequantPlan = { sIn: layerNormOutputScales(model.norm), bits: cfg.activationBits };
        sc.headIn = scaleFrom(plan, z, channels);
        return dyadicTable(plan, sc.headIn);
      }
      // logits: one common scale, the largest per-class scale, so the requant never overflows
      const sIn = linearOutputScales(sc.headIn, model.head);
      sc.logits = sIn.reduce((a, b) => Math.max(a, b), 0);
      return dyadicTable({ sIn, bits: cfg.logitBits }, sc.logits);
    },
    residual(site, main, skip) {
      let sMain: number;
      let sSkip: number;
      if (site.block === null) {
        sMain = model.scales.patch;
        sSkip = model.scales.pos;
      } else {
        const p = blockResidualPlan(site.name, model.blocks[site.block]!, blockInputScale(site.block), cfg);
        sMain = p.sMain;
        sSkip = p.sSkip;
      }
      let m = 0;
      for (let i = 0; i < main.length; i++) m = Math.max(m, Math.abs(main[i]! * sMain + skip[i]! * sSkip));
      const sOut = symmetricScale(fl32(m), cfg.residualBits);
      if (site.block === null) model.scales.embed = sOut;
      else model.blocks[site.block]!.scales[site.name] = sOut;
      return { main: dyadicFromScales(sMain, sOut), skip: dyadicFromScales(sSkip, sOut) };
    },
    expX0(site) {
      const blk = model.blocks[site.block]!;
      return site.name === 'softmax' ? expX0(blk.scales.logit, cfg.flavour) : expX0(geluExpScale(blk), cfg.flavour);
    },
    layerNormBias(site) {
      if (site.block === null) return layerNormBiases(model.norm);
      const blk = model.blocks[site.block]!;
      return layerNormBiases(site.name === 'ln1' ? blk.norm1 : blk.norm2);
    },
  };
}

/** The class token at the patch scale and the position embedding at its own 16-bit scale. */
function fillClassAndPosition(model: QuantModel, tokenRange: number, rng: Rng, cfg: NumericsConfig): void {
  const c = model.config.embedDim;
  const lim = 2 ** (cfg.residualBits - 1) - 1;
  const sP = model.scales.patch;
  for (let i = 0; i < c; i++) model.cls[i] = clamp(Math.round((rng.gauss() * tokenRange * 0.25) / sP), -lim, lim);
  const pos = Float64Array.from({ length: model.pos.length }, () => rng.gauss() * tokenRange * 0.2);
  const sPos = symmetricScale(fl32(pos.reduce((a, v) => Math.max(a, Math.abs(v)), 0)), cfg.residualBits);
  model.scales.pos = sPos;
  const inv = fl32(1 / sPos);
  for (let i = 0; i < pos.length; i++) model.pos[i] = clamp(Math.round(pos[i]! * inv), -lim - 1, lim);
}

export interface SyntheticOptions {
  numerics?: NumericsConfig;
}

/** Generate the whole model for `config` from `seed`; the same arguments always give the same model. */
export function generateSyntheticModel(config: VitConfig, seed: number, opts: SyntheticOptions = {}): QuantModel {
  const cfg = opts.numerics ?? PYTORCH_NUMERICS;
  const shape = vitShape(config);
  const c = config.embedDim;
  const rng = (label: string): Rng => new Rng(seed, label);
  const blocks: QBlock[] = Array.from({ length: config.depth }, (_, b) => ({
    norm1: layerNormParams(c, rng(`block${b}.norm1`)),
    qkv: quantizeLinear(3 * c, c, rng(`block${b}.qkv`)),
    proj: quantizeLinear(c, c, rng(`block${b}.proj`)),
    norm2: layerNormParams(c, rng(`block${b}.norm2`)),
    fc1: quantizeLinear(config.mlpDim, c, rng(`block${b}.fc1`)),
    fc2: quantizeLinear(c, config.mlpDim, rng(`block${b}.fc2`)),
    scales: unsetBlockScales(),
  }));
  const model: QuantModel = {
    config,
    patch: quantizeLinear(c, shape.patchVector, rng('patch')),
    cls: new Int16Array(c),
    pos: new Int16Array(shape.tokens * c),
    blocks,
    norm: layerNormParams(c, rng('norm')),
    head: quantizeLinear(config.numClasses, c, rng('head')),
    scales: { input: fl32(INPUT_RANGE / 127), patch: UNSET, pos: UNSET, embed: UNSET, headIn: UNSET, logits: UNSET },
    provenance: { generator: 'ivit synthetic', seed, numerics: cfg.flavour },
  };
  vitForward(model, syntheticImage(config, seed, 'calibration'), cfg, calibratingResolver(model, cfg, rng('cls+pos')));
  return model;
}
