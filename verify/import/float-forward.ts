/**
 * The float ViT forward pass of a FloatVit, in float64: the reference the importers are checked against
 * (PyTorch's logits for state dicts, the ONNX graph's own output for ONNX files). It follows torchvision's
 * VisionTransformer: conv patches, class token first, position embedding added to every token, pre-norm
 * blocks with exact-erf GELU, final LayerNorm, the head on the class token.
 */
import type { FloatLayerNorm, FloatLinear, FloatVit } from './float-model.js';
import { vitShape } from '../golden/zoo.js';

/** erf to about 1e-15 (Maclaurin series near 0, a continued fraction of erfc beyond). */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // Σ (−1)^n x^(2n+1) / (n! (2n+1)), converges fast for |x| < 2.5
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 60; n++) {
      term *= (-ax * ax) / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  if (ax > 6) return Math.sign(x);
  // erfc(x) = exp(−x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))) (Lentz-free backward evaluation)
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (ax + f);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  return Math.sign(x) * (1 - erfc);
}

function linearRows(x: Float64Array, rows: number, l: FloatLinear): Float64Array {
  const out = new Float64Array(rows * l.outFeatures);
  const n = l.inFeatures;
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < l.outFeatures; o++) {
      let acc = l.bias[o]!;
      const wo = o * n;
      const xr = r * n;
      for (let i = 0; i < n; i++) acc += x[xr + i]! * l.weight[wo + i]!;
      out[r * l.outFeatures + o] = acc;
    }
  }
  return out;
}

function layerNormRows(x: Float64Array, rows: number, ln: FloatLayerNorm): Float64Array {
  const c = ln.gamma.length;
  const out = new Float64Array(rows * c);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let i = 0; i < c; i++) mean += x[r * c + i]!;
    mean /= c;
    let v = 0;
    for (let i = 0; i < c; i++) v += (x[r * c + i]! - mean) ** 2;
    const inv = 1 / Math.sqrt(v / c + ln.eps);
    for (let i = 0; i < c; i++) out[r * c + i] = (x[r * c + i]! - mean) * inv * ln.gamma[i]! + ln.beta[i]!;
  }
  return out;
}

/** The logits of one normalised float image [channels × H × W]. */
export function floatForward(m: FloatVit, image: ArrayLike<number>): Float64Array {
  const c = m.config;
  const { tokens: n, headDim: d, patchVector } = vitShape(c);
  const C = c.embedDim;
  const side = c.imageSize / c.patchSize;
  const P = c.patchSize;
  const patches = new Float64Array((n - 1) * patchVector);
  let o = 0;
  for (let py = 0; py < side; py++) {
    for (let px = 0; px < side; px++) {
      for (let ch = 0; ch < c.inChannels; ch++) {
        for (let ky = 0; ky < P; ky++) {
          for (let kx = 0; kx < P; kx++) patches[o++] = image[ch * c.imageSize * c.imageSize + (py * P + ky) * c.imageSize + px * P + kx]!;
        }
      }
    }
  }
  const emb = linearRows(patches, n - 1, m.patch);
  let x = new Float64Array(n * C);
  x.set(m.cls, 0);
  x.set(emb, C);
  for (let i = 0; i < x.length; i++) x[i] = x[i]! + m.pos[i]!;

  const scale = 1 / Math.sqrt(d);
  for (const blk of m.blocks) {
    const qkv = linearRows(layerNormRows(x, n, blk.norm1), n, blk.qkv);
    const av = new Float64Array(n * C);
    const row = new Float64Array(n);
    for (let h = 0; h < c.heads; h++) {
      for (let t = 0; t < n; t++) {
        let max = -Infinity;
        for (let u = 0; u < n; u++) {
          let s = 0;
          for (let j = 0; j < d; j++) s += qkv[t * 3 * C + h * d + j]! * qkv[u * 3 * C + C + h * d + j]!;
          row[u] = s * scale;
          max = Math.max(max, row[u]!);
        }
        let sum = 0;
        for (let u = 0; u < n; u++) {
          row[u] = Math.exp(row[u]! - max);
          sum += row[u]!;
        }
        for (let j = 0; j < d; j++) {
          let acc = 0;
          for (let u = 0; u < n; u++) acc += row[u]! * qkv[u * 3 * C + 2 * C + h * d + j]!;
          av[t * C + h * d + j] = acc / sum;
        }
      }
    }
    const proj = linearRows(av, n, blk.proj);
    const res1 = x.map((v, i) => v + proj[i]!);
    const hidden = linearRows(layerNormRows(res1, n, blk.norm2), n, blk.fc1);
    for (let i = 0; i < hidden.length; i++) hidden[i] = 0.5 * hidden[i]! * (1 + erf(hidden[i]! / Math.SQRT2));
    const f2 = linearRows(hidden, n, blk.fc2);
    x = res1.map((v, i) => v + f2[i]!);
  }
  const cls = layerNormRows(x.subarray(0, C), 1, m.norm);
  return linearRows(cls, 1, m.head);
}
