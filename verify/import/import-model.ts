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
import { FQVIT_NUMERICS, PYTORCH_NUMERICS } from '../golden/numerics-config.js';
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

/** Weights quantised now; the bias waits for the input scale (calibration fills it). */
function weightsOnly(l: FloatLinear): QLinear {
  return {
    outFeatures: l.outFeatures,
    inFeatures: l.inFeatures,
    ...quantiseWeightsPerChannel(l.weight, l.outFeatures, l.inFeatures),
    bias: new Int32Array(l.outFeatures),
  };
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
): CalibrationResult {
  const t0 = performance.now();
  const cfg = PYTORCH_NUMERICS;
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
      qkv: weightsOnly(b.qkv),
      proj: weightsOnly(b.proj),
      norm2: affine(b.norm2),
      fc1: weightsOnly(b.fc1),
      fc2: weightsOnly(b.fc2),
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
  const pts = ptsCalibrator(model); // FQ-ViT's fields, from the LayerNorm inputs of the same pass
  forwardInLockstep(model, images, cfg, calibratingResolver(model, cfg, hooks, obs), pts.observe);
  pts.finish(lisBits);
  deriveModelConstants(model, cfg); // throws if a scale gives no valid constant
  deriveModelConstants(model, FQVIT_NUMERICS);
  return { model, clampedClassToken, millis: performance.now() - t0 };
}
