/**
 * PTQ calibration of I&S-ViT's low-bit presets (docs/numerics.md "I&S-ViT low-bit presets"; docs/model-format.md
 * "isvit"), following the semantics of zysxmu/IaS-ViT (quant/quantizer.py, test_quant.py) with this project's
 * symmetric quantisers:
 *  - a low-bit range is the one, among percentiles of |x|, with the least squared quantisation error at the width
 *    (the published UniformQuantizer searches percentiles by MSE too, asymmetrically);
 *  - SULQ's η is the one of the published list with the least squared error on the calibration batch's attention
 *    (the published LogSqrt2Quantizer search, on the calibration grid), with pMin, pMax the batch's extremes;
 *  - SOS: channel-wise scales s_c of each post-LayerNorm activation, then r_c = s_c / mean(s), divided out of the
 *    LayerNorm's γ and β and multiplied into the next layer's weight columns, so a layer-wise scale mean(s) quantises
 *    every channel as s_c did (test_quant.py's reparameterisation; the zero points are 0 here).
 */
import { symmetricScale } from '../golden/constants.js';
import { fl32 } from '../golden/intmath.js';
import { sulqConstants } from '../golden/ops/sulq.js';
import type { SulqCalibration } from '../golden/qmodel.js';
import type { FloatLayerNorm, FloatLinear, FloatVit } from './float-model.js';

/** The percentiles of |x| a low-bit range is picked from (the published activation list, and the maximum). */
export const LOW_BIT_PERCENTILES: readonly number[] = [99, 99.9, 99.99, 99.999, 100];
/** The published weight list (per channel). */
export const WEIGHT_PERCENTILES: readonly number[] = [97, 98, 99, 99.5, 99.95, 99.97, 99.99, 99.995, 99.999, 100];
/** The published η candidates (LogSqrt2Quantizer.init_quantization_scale). */
export const SULQ_ETAS: readonly number[] = [0.001, 0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.1, 0.2, 0.5, 1.0];

/** Squared error of symmetric `bits` quantisation of |x| values at range r (scale r / (2^(b−1) − 1)). */
function symmetricError(abs: Float64Array, r: number, bits: number): number {
  const s = symmetricScale(fl32(r), bits);
  const hi = 2 ** (bits - 1) - 1;
  let e = 0;
  for (let i = 0; i < abs.length; i++) {
    const a = abs[i]!;
    const q = Math.min(Math.round(a / s), hi) * s; // |x| is quantised towards the positive end, which is the narrower side
    e += (a - q) * (a - q);
  }
  return e;
}

/** The range among `percentiles` of |x| with the least squared error at `bits` (0 for an all-zero tensor). */
export function mseSymmetricRange(values: ArrayLike<number>, bits: number, percentiles: readonly number[] = LOW_BIT_PERCENTILES): number {
  const abs = Float64Array.from(values, (v) => Math.abs(v));
  if (abs.length === 0) return 0;
  const sorted = Float64Array.from(abs).sort();
  let best = 0;
  let bestErr = Infinity;
  for (const p of percentiles) {
    const r = sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
    if (!(r > 0)) continue;
    const e = symmetricError(abs, r, bits);
    if (e < bestErr) {
      bestErr = e;
      best = r;
    }
  }
  return best;
}

/**
 * SULQ's calibration of one block from the Shiftmax outputs P (integers on 2^−f) of every calibration image: the
 * range [min P, max P] and the η whose calibration-grid quantiser has the least Σ (P − P̂)² (first on ties).
 */
export function sulqSearch(ps: ReadonlyArray<ArrayLike<number>>, bits: number, inputFracBits: number): SulqCalibration {
  const top = 2 ** inputFracBits;
  const hist = new Float64Array(top + 1);
  let pMin = top;
  let pMax = 0;
  for (const p of ps) {
    for (let i = 0; i < p.length; i++) {
      const v = p[i]!;
      hist[v]!++;
      if (v < pMin) pMin = v;
      if (v > pMax) pMax = v;
    }
  }
  if (pMin >= pMax) pMax = Math.min(top, pMin + 1); // a constant map still needs a range
  if (pMin >= pMax) pMin = pMax - 1;
  let best: SulqCalibration | undefined;
  let bestErr = Infinity;
  for (const eta of SULQ_ETAS) {
    const e32 = fl32(eta); // torch.tensor(cur_bias) holds it in float32
    const k = sulqConstants(e32, bits, inputFracBits, 'calibration', { pMin, pMax });
    const level = k.shifts.map((s) => 2 ** s - k.eta);
    let err = 0;
    let code = 0;
    for (let v = 0; v <= top; v++) {
      while (code < k.levels && v >= k.thresholds[code]!) code++;
      if (hist[v]! > 0) err += hist[v]! * (v - level[code]!) ** 2;
    }
    if (err < bestErr) {
      bestErr = err;
      best = { eta: e32, pMin, pMax };
    }
  }
  return best!;
}

/** SOS factors of one post-LayerNorm site from its real activations [rows × C]: r_c = s_c / mean(s). */
export function sosFactors(values: ReadonlyArray<Float64Array>, channels: number, bits: number): Float32Array {
  const s = new Float64Array(channels);
  const rows = values.reduce((a, x) => a + x.length / channels, 0);
  const col = new Float64Array(rows);
  for (let c = 0; c < channels; c++) {
    let o = 0;
    for (const x of values) for (let i = c; i < x.length; i += channels) col[o++] = x[i]!;
    s[c] = Math.max(mseSymmetricRange(col, bits), 1e-8); // a dead channel keeps a tiny positive scale
  }
  const mean = s.reduce((a, v) => a + v, 0) / channels;
  return Float32Array.from(s, (v) => v / mean);
}

/** Float64 LayerNorm of int16 rows at `scale` with the float affine: the real post-LayerNorm activations. */
export function floatLayerNormRows(x: ArrayLike<number>, scale: number, ln: FloatLayerNorm): Float64Array {
  const c = ln.gamma.length;
  const out = new Float64Array(x.length);
  for (let t = 0; t < x.length; t += c) {
    let mean = 0;
    for (let i = 0; i < c; i++) mean += x[t + i]! * scale;
    mean /= c;
    let v = 0;
    for (let i = 0; i < c; i++) v += (x[t + i]! * scale - mean) ** 2;
    const inv = 1 / Math.sqrt(v / c + ln.eps);
    for (let i = 0; i < c; i++) out[t + i] = (x[t + i]! * scale - mean) * inv * ln.gamma[i]! + ln.beta[i]!;
  }
  return out;
}

/** Fold SOS factors r into a LayerNorm (γ/r, β/r) and the linear layer it feeds (W[:, c]·r_c): a new float pair. */
export function foldSos(ln: FloatLayerNorm, next: FloatLinear, r: Float32Array): { ln: FloatLayerNorm; next: FloatLinear } {
  const weight = Float32Array.from(next.weight, (w, i) => w * r[i % next.inFeatures]!);
  return {
    ln: { ...ln, gamma: Float32Array.from(ln.gamma, (g, c) => g / r[c]!), beta: Float32Array.from(ln.beta, (b, c) => b / r[c]!) },
    next: { ...next, weight },
  };
}

/** A copy of `fm` with every block's norm1→qkv and norm2→fc1 reparameterised by its SOS factors. */
export function reparameteriseSos(fm: FloatVit, sos: ReadonlyMap<string, Float32Array>): FloatVit {
  return {
    ...fm,
    blocks: fm.blocks.map((b, i) => {
      const a = foldSos(b.norm1, b.qkv, sos.get(`blocks.${i}.norm1`)!);
      const m = foldSos(b.norm2, b.fc1, sos.get(`blocks.${i}.norm2`)!);
      return { ...b, norm1: a.ln, qkv: a.next, norm2: m.ln, fc1: m.next };
    }),
  };
}
