/**
 * `ivit import --numerics isvit-w4a4|isvit-w3a3`: I&S-ViT's PTQ of a float checkpoint (docs/numerics.md "I&S-ViT
 * low-bit presets"). Two calibration passes over the same images:
 *  1. the I-ViT chain (8-bit), keeping each block LayerNorm's int16 input; the real post-LayerNorm activations are
 *     that input's float LayerNorm with the float affine, and their channel-wise low-bit scales give the SOS factors;
 *  2. the SOS-reparameterised float model, quantised for the preset: low-bit weights, low-bit layer-wise inputs,
 *     SULQ's η and range per block, every other scale as I-ViT's calibration sets it.
 * No reconstruction (the published block-wise optimisation) is run: this is PTQ alone.
 */
import type { NumericsConfig } from '../golden/numerics-config.js';
import type { Preprocess, QuantModel } from '../golden/qmodel.js';
import type { RangeObserver } from './calibrate.js';
import type { FloatVit } from './float-model.js';
import { type CalibrationResult, calibrate } from './import-model.js';
import { floatLayerNormRows, reparameteriseSos, sosFactors } from './isvit-calibration.js';

interface LayerNormInput {
  prefix: string;
  block: number;
  norm: 'norm1' | 'norm2';
  /** the observed tensor that is the LayerNorm's input */
  tensor: string;
  rows: Int16Array[];
}

function residualScale(model: QuantModel, tensor: string): number {
  if (tensor === 'embed') return model.scales.embed;
  const m = /^block(\d+)\.(res1|res2)$/.exec(tensor)!;
  return model.blocks[Number(m[1])]!.scales[m[2] as 'res1' | 'res2'];
}

export function calibrateIsvit(
  fm: FloatVit,
  pixels: readonly Uint8Array[],
  preprocess: Preprocess,
  obs: RangeObserver,
  provenance: QuantModel['provenance'],
  cfg: NumericsConfig,
): CalibrationResult {
  const t0 = performance.now();
  const sites: LayerNormInput[] = fm.blocks.flatMap((_, b) => [
    { prefix: `blocks.${b}.norm1`, block: b, norm: 'norm1' as const, tensor: b === 0 ? 'embed' : `block${b - 1}.res2`, rows: [] },
    { prefix: `blocks.${b}.norm2`, block: b, norm: 'norm2' as const, tensor: `block${b}.res1`, rows: [] },
  ]);
  const byTensor = new Map(sites.map((s) => [s.tensor, s]));
  const first = calibrate(fm, pixels, preprocess, obs, provenance, undefined, {
    observe: (image, name, data) => {
      const s = byTensor.get(name);
      if (s) s.rows[image] = Int16Array.from(data);
    },
  });
  const sos = new Map<string, Float32Array>();
  for (const s of sites) {
    const scale = residualScale(first.model, s.tensor);
    const ln = fm.blocks[s.block]![s.norm];
    const real = s.rows.map((x) => floatLayerNormRows(x, scale, ln));
    sos.set(s.prefix, sosFactors(real, fm.config.embedDim, cfg.lowBit.inputBits));
  }
  const r = calibrate(reparameteriseSos(fm, sos), pixels, preprocess, obs, provenance, undefined, { numerics: cfg });
  r.model.isvit!.sos = Object.fromEntries(sos);
  return { ...r, millis: performance.now() - t0 };
}
