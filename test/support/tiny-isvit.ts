/** The tiny model imported for the isvit presets (test/golden/isvit.test.ts, test/torch-vectors/isvit-reference.test.ts). */
import type { NumericsConfig } from '../../verify/golden/numerics-config.js';
import type { QLinear, QuantModel } from '../../verify/golden/qmodel.js';
import { Rng } from '../../verify/model/prng.js';
import type { FloatLinear, FloatVit } from '../../verify/import/float-model.js';
import { MINMAX } from '../../verify/import/calibrate.js';
import { calibrateIsvit } from '../../verify/import/isvit-import.js';
import { tinyVitModel } from './tiny-vit.js';

export const PRE = { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] };

/** A quantised model as a float checkpoint: every integer tensor times its scale. */
export function floatOf(m: QuantModel): FloatVit {
  const lin = (l: QLinear, sIn: number): FloatLinear => ({
    outFeatures: l.outFeatures,
    inFeatures: l.inFeatures,
    weight: Float32Array.from(l.weight, (w, i) => w * l.weightScale[Math.floor(i / l.inFeatures)]!),
    bias: Float32Array.from(l.bias, (b, o) => b * sIn * l.weightScale[o]!),
  });
  const ln = (x: { gamma: Float32Array; beta: Float32Array }) => ({ gamma: x.gamma, beta: x.beta, eps: 1e-6 });
  return {
    config: m.config,
    patch: lin(m.patch, m.scales.input),
    cls: Float32Array.from(m.cls, (v) => v * m.scales.patch),
    pos: Float32Array.from(m.pos, (v) => v * m.scales.pos),
    blocks: m.blocks.map((b) => ({
      norm1: ln(b.norm1),
      qkv: lin(b.qkv, b.scales.a1),
      proj: lin(b.proj, b.scales.av),
      norm2: ln(b.norm2),
      fc1: lin(b.fc1, b.scales.a2),
      fc2: lin(b.fc2, b.scales.h),
    })),
    norm: ln(m.norm),
    head: lin(m.head, m.scales.headIn),
  };
}

/** Seeded 8-bit 32×32×3 pictures. */
export function tinyPixels(count: number, seed: number): Uint8Array[] {
  const rng = new Rng(seed, 'isvit-test-images');
  return Array.from({ length: count }, () => Uint8Array.from({ length: 3 * 32 * 32 }, () => Math.floor(rng.uniform() * 256)));
}

/** tinyVitModel(11) dequantised, then imported for `cfg` (calibrated on 6 seeded pictures). */
export function tinyIsvitModel(cfg: NumericsConfig): QuantModel {
  return calibrateIsvit(floatOf(tinyVitModel(11).model), tinyPixels(6, 1), PRE, MINMAX, {}, cfg).model;
}
