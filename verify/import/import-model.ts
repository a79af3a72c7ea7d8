/**
 * Post-training quantisation of a FloatVit into a QuantModel (I-ViT's QuantAct calibration, numerics.md
 * §1): int8 weights per output channel and the position embedding at its own 16-bit scale up front; then
 * the calibration images run through the golden forward pass in lockstep, each activation scale fixed from
 * the whole batch as its site is reached, each bias quantised at S_in·S_w as its input scale is fixed, the
 * class token at the patch scale once that is known. Every integer constant then derives from the scales
 * exactly as for any model file (deriveModelConstants, checked when the file is written and read). FQ-ViT's PTS
 * scales come from the LayerNorm inputs of the same pass (ptsCalibrator).
 */
import { symmetricScale } from '../golden/constants.js';
import { fl32 } from '../golden/intmath.js';
import { FQVIT_NUMERICS, type NumericsConfig, PYTORCH_NUMERICS } from '../golden/numerics-config.js';
import { isIsvitNumerics, sulqInputFracBits } from '../golden/isvit.js';
import { WEIGHT_PERCENTILES, mseSymmetricRange } from './isvit-calibration.js';
import type { BatchObserver } from './pts-calibration.js';
import { deriveModelConstants } from '../golden/model-constants.js';
import type { BlockScales, Preprocess, QLinear, QuantModel } from '../golden/qmodel.js';
import { forwardInLockstep } from '../golden/vit-forward.js';
import { vitShape } from '../golden/zoo.js';
import { normalisePixels, quantiseInput } from '../data/preprocess.js';
import { type RangeObserver, calibratingResolver, valueRange } from './calibrate.js';
import { ptsCalibrator } from './pts-calibration.js';
import type { FloatLayerNorm, FloatLinear, FloatVit } from './float-model.js';
import { quantiseAtScale, quantiseBias, quantiseTensor, quantiseWeightsPerChannel } from './quantise.js';

export interface CalibrationResult {
  model: QuantModel;
  /** class-token values beyond int16 at the patch scale, clamped */
  clampedClassToken: number;
  millis: number;
}

const UNSET = Number.NaN;

function unsetBlockScales(): BlockScales {
  return { a1: UNSET, qkv: UNSET, logit: UNSET, av: UNSET, proj: UNSET, res1: UNSET, a2: UNSET, gelu: UNSET, h: UNSET, fc2: UNSET, res2: UNSET };
}

/** Weights quantised now (low-bit ones with the least-squared-error clipped range); the bias waits for the input scale. */
function weightsOnly(l: FloatLinear, bits = 8): QLinear {
  const range = bits < 8 ? (v: Float32Array) => mseSymmetricRange(v, bits, WEIGHT_PERCENTILES) : undefined;
  return {
    outFeatures: l.outFeatures,
    inFeatures: l.inFeatures,
    ...quantiseWeightsPerChannel(l.weight, l.outFeatures, l.inFeatures, 'quantact', bits, range),
    bias: new Int32Array(l.outFeatures),
  };
}

export interface CalibrateOptions {
  /**
   * the chain calibrated: the I-ViT one (default; the model also gets FQ-ViT's fields) or an isvit preset (low-bit
   * block weights and inputs, SULQ's η; the caller folds SOS into `fm` first: verify/import/isvit-import.ts)
   */
  numerics?: NumericsConfig;
  /** sees every named tensor of the calibrating pass */
  observe?: BatchObserver;
}

const affine = (ln: FloatLayerNorm): { gamma: Float32Array; beta: Float32Array } => ({ gamma: Float32Array.from(ln.gamma), beta: Float32Array.from(ln.beta) });

/**
 * Quantise `fm`, calibrating on `pixels` (channel-major 8-bit images) preprocessed with `preprocess`.
 * The observer decides each activation range (min/max or a percentile of |x|), the input's included.
 */
export function calibrate(
  fm: FloatVit,
  pixels: readonly Uint8Array[],
  preprocess: Preprocess,
  obs: RangeObserver,
  provenance: QuantModel['provenance'],
  /** the LIS code width the model file's FQ-ViT fields carry */
  lisBits: number = FQVIT_NUMERICS.lis.bits,
  opts: CalibrateOptions = {},
): CalibrationResult {
  const t0 = performance.now();
  const cfg = opts.numerics ?? PYTORCH_NUMERICS;
  const isvit = isIsvitNumerics(cfg);
  const low = cfg.lowBit.weightBits;
  const c = fm.config;
  vitShape(c);
  const normalised = pixels.map((p) => normalisePixels(p, c.inChannels, c.imageSize, preprocess));
  const sInput = symmetricScale(fl32(valueRange(normalised, obs)), cfg.activationBits);
  const images = pixels.map((p) => quantiseInput(p, c.inChannels, c.imageSize, preprocess, sInput));

  const pos = quantiseTensor(fm.pos, cfg.residualBits);
  const model: QuantModel = {
    config: { ...c },
    patch: weightsOnly(fm.patch),
    cls: new Int16Array(c.embedDim),
    pos: Int16Array.from(pos.values),
    blocks: fm.blocks.map((b) => ({
      norm1: affine(b.norm1),
      qkv: weightsOnly(b.qkv, low),
      proj: weightsOnly(b.proj, low),
      norm2: affine(b.norm2),
      fc1: weightsOnly(b.fc1, low),
      fc2: weightsOnly(b.fc2, low),
      scales: unsetBlockScales(),
    })),
    norm: affine(fm.norm),
    head: weightsOnly(fm.head),
    scales: { input: sInput, patch: UNSET, pos: pos.scale, embed: UNSET, headIn: UNSET, logits: UNSET },
    preprocess,
    provenance,
  };
  // each quantised layer's float bias, to quantise once the layer's input scale is known
  const floatBias = new Map<QLinear, Float32Array>([
    [model.patch, fm.patch.bias],
    [model.head, fm.head.bias],
  ]);
  model.blocks.forEach((b, i) => {
    const f = fm.blocks[i]!;
    floatBias.set(b.qkv, f.qkv.bias).set(b.proj, f.proj.bias).set(b.fc1, f.fc1.bias).set(b.fc2, f.fc2.bias);
  });
  const setBias = (layer: QLinear, sIn: number): void => {
    layer.bias = quantiseBias(floatBias.get(layer)!, sIn, layer.weightScale);
  };
  setBias(model.patch, sInput);
  let clampedClassToken = 0;
  const hooks = {
    patchScale: (m: QuantModel) => {
      const q = quantiseAtScale(fm.cls, m.scales.patch, cfg.residualBits);
      m.cls = Int16Array.from(q.values);
      clampedClassToken = q.clamped;
    },
    linearInput: setBias,
  };
  if (isvit) {
    // η and the range per block are written as each block's attention is reached (calibratingResolver.sulq)
    const sulq = model.blocks.map(() => ({ eta: UNSET, pMin: 0, pMax: 0 }));
    model.isvit = { weightBits: low, inputBits: cfg.lowBit.inputBits, sulqBits: cfg.sulq.bits, inputFracBits: sulqInputFracBits(cfg), sulq, sos: {} };
    forwardInLockstep(model, images, cfg, calibratingResolver(model, cfg, hooks, obs), opts.observe);
    deriveModelConstants(model, cfg); // throws if a scale gives no valid constant
    return { model, clampedClassToken, millis: performance.now() - t0 };
  }
  const pts = ptsCalibrator(model); // FQ-ViT's fields, from the LayerNorm inputs of the same pass
  const observe: BatchObserver = (i, n, d, s) => {
    pts.observe(i, n, d, s);
    opts.observe?.(i, n, d, s);
  };
  forwardInLockstep(model, images, cfg, calibratingResolver(model, cfg, hooks, obs), observe);
  pts.finish(lisBits);
  deriveModelConstants(model, cfg); // throws if a scale gives no valid constant
  deriveModelConstants(model, FQVIT_NUMERICS);
  return { model, clampedClassToken, millis: performance.now() - t0 };
}
