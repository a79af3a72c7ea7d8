/**
 * 8-bit pixels to the model's int8 input, as the model was trained and calibrated (docs/model-format.md,
 * `preprocess`): per channel x = (pixel/255 − mean[c]) / std[c], every step in float32 (mean and std rounded
 * to float32 first, as numpy's float32 arithmetic in verify/train/fashion_data.py does), then QuantAct's
 * int8 quantisation with the input scale: clamp(RNE(fl32(x · fl32(1/S))), −128, 127).
 */
import { quantizeSymmetric } from '../golden/constants.js';
import { fl32 } from '../golden/intmath.js';
import type { Preprocess } from '../golden/qmodel.js';

export type { Preprocess };

function checkShape(pixels: Uint8Array, channels: number, size: number, preprocess: Preprocess): void {
  if (pixels.length !== channels * size * size) {
    throw new RangeError(`${pixels.length} pixels, expected ${channels}×${size}×${size} (channel-major)`);
  }
  if (preprocess.mean.length !== channels || preprocess.std.length !== channels) {
    throw new RangeError(`preprocess has ${preprocess.mean.length} means and ${preprocess.std.length} stds for ${channels} channels`);
  }
}

/** The normalised float32 image [channels × size × size] of channel-major 8-bit pixels. */
export function normalisePixels(pixels: Uint8Array, channels: number, size: number, preprocess: Preprocess): Float32Array {
  checkShape(pixels, channels, size, preprocess);
  const out = new Float32Array(pixels.length);
  const plane = size * size;
  for (let c = 0; c < channels; c++) {
    const mean = fl32(preprocess.mean[c]!);
    const std = fl32(preprocess.std[c]!);
    for (let i = c * plane; i < (c + 1) * plane; i++) out[i] = fl32(fl32(fl32(pixels[i]! / 255) - mean) / std);
  }
  return out;
}

/** The model input (qact_input's int8 output) of channel-major 8-bit pixels [channels × size × size]. */
export function quantiseInput(pixels: Uint8Array, channels: number, size: number, preprocess: Preprocess, inputScale: number): Int8Array {
  const x = normalisePixels(pixels, channels, size, preprocess);
  const inv = fl32(1 / inputScale);
  const out = new Int8Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = quantizeSymmetric(x[i]!, inv, 8);
  return out;
}
