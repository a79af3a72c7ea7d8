/**
 * Seeded, deterministic synthetic quantised Swin models (verify/golden/qswin.ts), made as the ViT ones are
 * (synthetic.ts): weights drawn as floats and quantised per output channel, every activation scale calibrated as
 * QuantAct's first batch sets it (S = max |real value| / (2^(b−1) − 1)) on a seeded calibration image, by running the
 * golden Swin forward pass itself with a calibrating scale source. The relative-position-bias tables are drawn as
 * int8 directly: they are held at the block's logit scale (qswin.ts), so their real size follows the calibrated logits.
 */
import { symmetricScale } from '../golden/constants.js';
import { clamp, fl32 } from '../golden/intmath.js';
import { type NumericsConfig, PYTORCH_NUMERICS } from '../golden/numerics-config.js';
import type { QSwinBlock, QSwinModel, QSwinStage } from '../golden/qswin.js';
import { type SwinScaleSource, swinForward, swinScaleSlot } from '../golden/swin-forward.js';
import { SWIN_ZOO_NAMES, type SwinConfig, isSwinName, swinConfig, swinShape } from '../golden/zoo.js';
import { MINMAX, requantInputRange } from '../import/calibrate.js';
import { Rng } from './prng.js';
import { INPUT_RANGE, layerNormParams, quantizeLinear, syntheticImage, unsetBlockScales } from './synthetic.js';

/**
 * The reduced Swin of the tests and the PyTorch cross-check: 32² image, 4×4 patches, window 4, widths 16 / 32,
 * depths [2, 2], heads [1, 2]. Stage 0 (8×8 tokens) has four windows and a shifted block; stage 1 (4×4) is one window.
 */
export const SWIN_REDUCED: Readonly<SwinConfig> = Object.freeze({
  family: 'swin',
  name: 'swin-reduced',
  imageSize: 32,
  patchSize: 4,
  inChannels: 3,
  embedDim: 16,
  depths: Object.freeze([2, 2]),
  heads: Object.freeze([1, 2]),
  windowSize: 4,
  mlpRatio: 4,
  numClasses: 10,
});

/** The Swin names the tools accept: the zoo's (swin-t, swin-s, swin-b) and the tests' reduced Swin. */
export const SWIN_MODEL_NAMES: readonly string[] = [...SWIN_ZOO_NAMES, SWIN_REDUCED.name];

export function isSwinModelName(name: string): boolean {
  return isSwinName(name) || name.toLowerCase() === SWIN_REDUCED.name;
}

/** The config of a Swin name (SWIN_MODEL_NAMES). */
export function swinModelConfig(name: string): SwinConfig {
  return name.toLowerCase() === SWIN_REDUCED.name ? SWIN_REDUCED : swinConfig(name);
}

/** The spread of the int8 relative-bias entries (about a fifth of the logit range). */
const BIAS_STD = 24;

function relativeBiasTable(window: number, heads: number, rng: Rng): Int8Array {
  return Int8Array.from({ length: (2 * window - 1) ** 2 * heads }, () => clamp(Math.round(rng.gauss() * BIAS_STD), -127, 127));
}

/** A scale source that fixes each scale from the data reaching it (one calibration image), in forward order. */
function calibratingSwinScales(model: QSwinModel): SwinScaleSource {
  return {
    requant(site, plan, z, channels) {
      let s: number;
      // logits: one common scale, the largest per-class scale, so the requant never overflows (as the ViT calibrator)
      if (site.stage === null && site.name === 'logits') s = typeof plan.sIn === 'number' ? plan.sIn : plan.sIn.reduce((a, b) => Math.max(a, b), 0);
      else s = symmetricScale(fl32(requantInputRange([z], plan.sIn, channels, MINMAX)), plan.bits);
      swinScaleSlot(model, site).set(s);
      return s;
    },
    residual(site, plan, main, skip) {
      let range = 0;
      for (let i = 0; i < main.length; i++) range = Math.max(range, Math.abs(main[i]! * plan.sMain + skip[i]! * plan.sSkip));
      const s = symmetricScale(fl32(range), plan.bits);
      swinScaleSlot(model, site).set(s);
      return s;
    },
  };
}

export interface SyntheticSwinOptions {
  numerics?: NumericsConfig;
}

/** Generate the whole Swin model for `config` from `seed`; the same arguments always give the same model. */
export function generateSyntheticSwin(config: SwinConfig, seed: number, opts: SyntheticSwinOptions = {}): QSwinModel {
  const cfg = opts.numerics ?? PYTORCH_NUMERICS;
  const shape = swinShape(config);
  const rng = (label: string): Rng => new Rng(seed, label);
  const stages: QSwinStage[] = shape.stages.map((sh, s) => {
    const c = sh.dim;
    const blocks: QSwinBlock[] = Array.from({ length: sh.depth }, (_, b) => {
      const at = `stage${s}.block${b}`;
      return {
        norm1: layerNormParams(c, rng(`${at}.norm1`)),
        qkv: quantizeLinear(3 * c, c, rng(`${at}.qkv`)),
        relativeBias: { table: relativeBiasTable(sh.window, sh.heads, rng(`${at}.relative_bias`)) },
        proj: quantizeLinear(c, c, rng(`${at}.proj`)),
        norm2: layerNormParams(c, rng(`${at}.norm2`)),
        fc1: quantizeLinear(sh.mlpDim, c, rng(`${at}.fc1`)),
        fc2: quantizeLinear(c, sh.mlpDim, rng(`${at}.fc2`)),
        scales: unsetBlockScales(),
      };
    });
    if (s === shape.stages.length - 1) return { blocks };
    const reduction = quantizeLinear(2 * c, 4 * c, rng(`stage${s}.merge.reduction`));
    reduction.bias.fill(0); // PatchMerging's reduction has no bias
    return {
      blocks,
      merge: { norm: layerNormParams(4 * c, rng(`stage${s}.merge.norm`)), reduction, scales: { normOut: Number.NaN, reductionOut: Number.NaN } },
    };
  });
  const model: QSwinModel = {
    family: 'swin',
    config,
    patchEmbed: quantizeLinear(config.embedDim, shape.patchVector, rng('patch_embed')),
    patchNorm: layerNormParams(config.embedDim, rng('patch_norm')),
    stages,
    norm: layerNormParams(shape.finalDim, rng('norm')),
    head: quantizeLinear(config.numClasses, shape.finalDim, rng('head')),
    scales: { input: fl32(INPUT_RANGE / 127), patch: Number.NaN, embed: Number.NaN, headIn: Number.NaN, logits: Number.NaN },
    provenance: { generator: 'ivit synthetic-swin', seed, numerics: cfg.flavour },
  };
  swinForward(model, syntheticImage(config, seed, 'calibration'), cfg, { scales: calibratingSwinScales(model) });
  return model;
}
