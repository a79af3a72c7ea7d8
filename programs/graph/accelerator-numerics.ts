/**
 * The numerics the accelerator can run. The golden model also evaluates I-BERT's softmax and GELU (the ablation's
 * baselines, verify/golden/ops/ibert.ts), but no SDU lane or instruction implements them yet: a graph or program
 * under those units would silently run Shiftmax / ShiftGELU instead, so building or compiling one is refused.
 */
import { NumericsInputError } from '../../verify/golden/intmath.js';
import type { NumericsConfig } from '../../verify/golden/numerics-config.js';

/** Throws one line naming the unit the accelerator lacks; returns the config unchanged otherwise. */
export function requireAcceleratorNumerics(numerics: NumericsConfig): NumericsConfig {
  const missing = [
    ...(numerics.attention === 'ibert' ? ['numerics.attention = ibert (I-BERT softmax)'] : []),
    ...(numerics.geluUnit === 'ibert' ? ['numerics.geluUnit = ibert (I-BERT GELU)'] : []),
  ];
  if (numerics.attention === 'sulq' || numerics.lowBit.weightBits < 8 || numerics.lowBit.inputBits < 8) {
    throw new NumericsInputError('the isvit presets (SULQ attention·V, low-bit block layers) run on the golden model only: the simulator has no SULQ mode yet');
  }
  if (missing.length > 0) {
    throw new NumericsInputError(`${missing.join(' and ')}: the accelerator has no I-BERT unit yet (golden model only: ivit op ibert-softmax / ibert-gelu)`);
  }
  return numerics;
}
