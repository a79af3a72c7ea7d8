/**
 * Post-training quantisation of parameters as I-ViT's QuantLinear / QuantConv2d / QuantAct do it
 * (numerics.md §1): per-output-channel symmetric int8 weights, int32 biases at S_in·S_w[c], and a
 * parameter tensor (the position embedding) at its own symmetric scale.
 */
import { quantizeSymmetric, roundHalfEven, symmetricScale } from '../golden/constants.js';
import { clamp, fl32 } from '../golden/intmath.js';

/**
 * How a weight becomes an integer. 'quantact': RNE of the float32 product w · fl32(1/S) (the reference,
 * for float32 weights). 'float64-product': RNE of the double product, for weights drawn as doubles (the
 * seeded synthetic models were generated this way; committed vectors pin them).
 */
export type WeightProduct = 'quantact' | 'float64-product';

export interface QuantisedWeights {
  weight: Int8Array;
  weightScale: Float32Array;
}

/**
 * Per-output-channel `bits`-bit weights (held in int8) of a row-major [outF × inF] float matrix: S_w[c] = r_c / (2^(b−1) − 1)
 * with r_c = max|w_c|, or what `channelRange` picks from the channel's values (a clipped range for low-bit weights).
 */
export function quantiseWeightsPerChannel(
  w: ArrayLike<number>,
  outF: number,
  inF: number,
  product: WeightProduct = 'quantact',
  bits = 8,
  channelRange?: (values: Float32Array) => number,
): QuantisedWeights {
  if (w.length !== outF * inF) throw new RangeError(`weights hold ${w.length} values, expected ${outF}×${inF}`);
  const weight = new Int8Array(outF * inF);
  const weightScale = new Float32Array(outF);
  for (let o = 0; o < outF; o++) {
    let maxAbs = 0;
    for (let i = o * inF; i < (o + 1) * inF; i++) maxAbs = Math.max(maxAbs, Math.abs(w[i]!));
    const range = channelRange ? channelRange(Float32Array.from({ length: inF }, (_, i) => w[o * inF + i]!)) : maxAbs;
    const s = symmetricScale(fl32(range), bits);
    const inv = fl32(1 / s);
    const lim = 2 ** (bits - 1);
    for (let i = o * inF; i < (o + 1) * inF; i++) {
      weight[i] = product === 'quantact' ? quantizeSymmetric(w[i]!, inv, bits) : clamp(roundHalfEven(w[i]! * inv), -lim, lim - 1);
    }
    weightScale[o] = s;
  }
  return { weight, weightScale };
}

/** int32 biases at S_b[c] = fl32(S_in · S_w[c]): clamp(RNE(fl32(b · fl32(1/S_b))), −2^31, 2^31 − 1). */
export function quantiseBias(bias: ArrayLike<number>, sIn: number, weightScale: Float32Array): Int32Array {
  const out = new Int32Array(bias.length);
  for (let c = 0; c < bias.length; c++) out[c] = quantizeSymmetric(bias[c]!, fl32(1 / fl32(sIn * weightScale[c]!)), 32);
  return out;
}

/** A parameter tensor at its own symmetric `bits` scale (QuantAct on a parameter, e.g. qact_pos). */
export function quantiseTensor(x: ArrayLike<number>, bits: number): { values: Int32Array; scale: number } {
  let maxAbs = 0;
  for (let i = 0; i < x.length; i++) maxAbs = Math.max(maxAbs, Math.abs(x[i]!));
  const scale = symmetricScale(fl32(maxAbs), bits);
  const inv = fl32(1 / scale);
  return { values: Int32Array.from({ length: x.length }, (_, i) => quantizeSymmetric(x[i]!, inv, bits)), scale };
}

/**
 * The class token at the patch scale, as the residual QuantAct (qact1) reads it: RNE(fl32(cls / S_P)),
 * a float32 division. The reference does not clamp it; int16 holds the golden model's tokens, so values
 * beyond it are clamped (as TVM's qnn.quantize does) and counted.
 */
export function quantiseAtScale(x: ArrayLike<number>, scale: number, bits: number): { values: Int32Array; clamped: number } {
  const lim = 2 ** (bits - 1);
  let clamped = 0;
  const values = Int32Array.from({ length: x.length }, (_, i) => {
    const q = roundHalfEven(fl32(x[i]! / scale));
    if (q < -lim || q > lim - 1) clamped++;
    return clamp(q, -lim, lim - 1);
  });
  return { values, clamped };
}
