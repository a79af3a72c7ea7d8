/**
 * Seeded, deterministic synthetic quantised models for any zoo configuration. Weights are drawn as floats
 * and quantised per output channel the way the reference does (numerics.md §1); activation scales are
 * calibrated the way QuantAct's first batch sets them: S = max|real value| / (2^(b−1) − 1), on a seeded
 * calibration image, by running the golden forward pass itself with the calibrating constant resolver that
 * `ivit import` uses (verify/import/calibrate.ts). The FQ-ViT fields (PTS scales s, α_c per LayerNorm, the LIS
 * width) are fitted with ptfCalibrate to the LayerNorm inputs of that same pass (verify/import/pts-calibration.ts).
 */
import { symmetricScale } from '../golden/constants.js';
import { clamp, fl32 } from '../golden/intmath.js';
import type { NumericsConfig } from '../golden/numerics-config.js';
import { FQVIT_NUMERICS, PYTORCH_NUMERICS } from '../golden/numerics-config.js';
import { forwardInLockstep } from '../golden/vit-forward.js';
import { type VitConfig, vitShape } from '../golden/zoo.js';
import { calibratingResolver } from '../import/calibrate.js';
import { ptsCalibrator } from '../import/pts-calibration.js';
import { quantiseWeightsPerChannel } from '../import/quantise.js';
import { Rng } from './prng.js';
import type { BlockScales, QBlock, QLayerNorm, QLinear, QuantModel } from '../golden/qmodel.js';

/** The normalised-image range of ImageNet preprocessing (max |(x − mean)/std| ≈ 2.64). */
export const INPUT_RANGE = 2.64;

/** A seeded linear layer quantised per output channel; its bias a few percent of a typical accumulator. */
export function quantizeLinear(outF: number, inF: number, rng: Rng): QLinear {
  const w = new Float64Array(outF * inF);
  const bias = new Int32Array(outF);
  const std = 1 / Math.sqrt(inF);
  for (let o = 0; o < outF; o++) {
    for (let i = 0; i < inF; i++) w[o * inF + i] = rng.gauss() * std * (0.5 + rng.uniform()); // per-weight spread gives distinct channel ranges
    // bias in accumulator units, a few percent of a typical accumulator magnitude
    bias[o] = Math.round(rng.gauss() * Math.sqrt(inF) * 150);
  }
  return { outFeatures: outF, inFeatures: inF, ...quantiseWeightsPerChannel(w, outF, inF, 'float64-product'), bias };
}

/** Seeded LayerNorm γ (around 1, never near 0) and β. */
export function layerNormParams(channels: number, rng: Rng): QLayerNorm {
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

/** Every block scale NaN: calibration fills them in forward order. */
export function unsetBlockScales(): BlockScales {
  return { a1: UNSET, qkv: UNSET, logit: UNSET, av: UNSET, proj: UNSET, res1: UNSET, a2: UNSET, gelu: UNSET, h: UNSET, fc2: UNSET, res2: UNSET };
}

/** A smooth seeded int8 image [channels × size × size]: bilinear blobs on a coarse grid plus fine noise. */
export function syntheticImage(config: Pick<VitConfig, 'imageSize' | 'inChannels'>, seed: number, label = 'input'): Int8Array {
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
        const v =
          g[y0 * (grid + 1) + x0]! * (1 - fy) * (1 - fx) +
          g[y0 * (grid + 1) + x0 + 1]! * (1 - fy) * fx +
          g[(y0 + 1) * (grid + 1) + x0]! * fy * (1 - fx) +
          g[(y0 + 1) * (grid + 1) + x0 + 1]! * fy * fx +
          0.15 * rng.gauss();
        img[c * size * size + y * size + x] = clamp(Math.round((v / INPUT_RANGE) * 127), -127, 127);
      }
    }
  }
  return img;
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
  const clsPos = rng('cls+pos');
  const hooks = { patchScale: (m: QuantModel, tokenRange: number) => fillClassAndPosition(m, tokenRange, clsPos, cfg) };
  const pts = ptsCalibrator(model);
  forwardInLockstep(model, [syntheticImage(config, seed, 'calibration')], cfg, calibratingResolver(model, cfg, hooks), pts.observe);
  pts.finish(FQVIT_NUMERICS.lis.bits);
  return model;
}
