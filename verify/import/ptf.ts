/**
 * FQ-ViT's Power-of-Two Factor calibration for a PTS LayerNorm input (`PtfObserver` in megvii-research/FQ-ViT
 * observer/ptf.py), symmetric as this accelerator's activations are (docs/numerics.md "FQ-ViT"): one layer-wise
 * s8 = max|x| / 127, the base s = s8 / 2^3, and per channel the α_c ∈ {0 … 3} whose scale s·2^α_c gives the
 * smallest squared quantisation error over the calibration values (the first, i.e. smallest, α on a tie).
 */
import { roundHalfEven, symmetricScale } from '../golden/constants.js';
import { clamp, fl32, pow2 } from '../golden/intmath.js';
import { PTS_ALPHA_MAX } from '../golden/ops/pts-layernorm.js';

export interface PtfCalibration {
  /** the base scale s (float32): channel c has scale s·2^alpha[c] */
  scale: number;
  alpha: Uint8Array;
}

/** x: calibration values row-major [rows × channels] (real values, not integers). */
export function ptfCalibrate(x: ArrayLike<number>, channels: number, bits = 8): PtfCalibration {
  if (channels <= 0 || x.length % channels !== 0) throw new RangeError(`ptf: ${x.length} values for ${channels} channels`);
  let maxAbs = 0;
  for (let i = 0; i < x.length; i++) maxAbs = Math.max(maxAbs, Math.abs(x[i]!));
  const s8 = symmetricScale(fl32(maxAbs), bits);
  const scale = fl32(s8 / pow2(PTS_ALPHA_MAX));
  const qmax = pow2(bits - 1) - 1;
  const alpha = new Uint8Array(channels);
  for (let c = 0; c < channels; c++) {
    let best = Infinity;
    for (let a = 0; a <= PTS_ALPHA_MAX; a++) {
      const sc = scale * pow2(a);
      let err = 0;
      for (let i = c; i < x.length; i += channels) {
        const d = x[i]! - clamp(roundHalfEven(x[i]! / sc), -qmax, qmax) * sc;
        err += d * d;
      }
      if (err < best) {
        best = err;
        alpha[c] = a;
      }
    }
  }
  return { scale, alpha };
}
