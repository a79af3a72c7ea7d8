/** I-LayerNorm (numerics.md §5): integer mean, variance sum, 10-step Newton square root, reciprocal, bias. */
import { INT31_MAX, checkSigned, checkUnsigned, floorDiv, roundHalfEvenDiv, truncDiv } from '../intmath.js';
import type { NumericsConfig, SqrtRule } from '../numerics-config.js';
import { floorSqrt, newtonSqrt10 } from './isqrt.js';

export interface LayerNormParams {
  sqrt: SqrtRule;
  mean: 'half-even' | 'trunc';
  halve: 'floor' | 'trunc';
  inputBits: number; // 16-bit residual stream
  varianceBits: number;
  outputBits: number;
}

/** I-LayerNorm's parameters as a numerics preset declares them (the residual stream in, `lnOutputBits` out). */
export function iLayerNormParams(cfg: NumericsConfig): LayerNormParams {
  return {
    sqrt: cfg.sqrt,
    mean: cfg.lnMean,
    halve: cfg.lnHalve,
    inputBits: cfg.residualBits,
    varianceBits: cfg.lnVarianceBits,
    outputBits: cfg.lnOutputBits,
  };
}

export interface LayerNormResult {
  out: number[]; // z_i + B_i, scale fl32(S_n·γ_i) per channel
  mean: number;
  var: number; // V = Σ (x_i − μ)², the sum
  std: number;
  factor: number;
}

/** One token's C channels. `bias` is the integer bias B (zeros when omitted). */
export function layerNormRow(x: ArrayLike<number>, bias: ArrayLike<number> | undefined, p: LayerNormParams, site: string): LayerNormResult {
  const c = x.length;
  if (c === 0) throw new RangeError(`layernorm at ${site}: empty row`);
  if (bias && bias.length !== c) throw new RangeError(`layernorm at ${site}: ${bias.length} biases for ${c} channels`);
  let sum = 0;
  for (let i = 0; i < c; i++) sum += checkSigned(x[i]!, p.inputBits, 'layernorm input', site);
  const mean = p.mean === 'trunc' ? truncDiv(sum, c) : roundHalfEvenDiv(sum, c);
  let v = 0;
  const y = new Array<number>(c);
  for (let i = 0; i < c; i++) {
    const yi = x[i]! - mean;
    y[i] = yi;
    v += yi * yi; // each ≤ 2^34, C ≤ 2^18: the running sum stays below 2^53
  }
  checkUnsigned(v, p.varianceBits, 'layernorm variance', site);
  const std = p.sqrt === 'floor' ? Math.max(1, floorSqrt(v)) : newtonSqrt10(v);
  const factor = floorDiv(INT31_MAX, std);
  const out = new Array<number>(c);
  for (let i = 0; i < c; i++) {
    const prod = y[i]! * factor; // |y|·F < 2^48
    const z = p.halve === 'trunc' ? truncDiv(prod, 2) : floorDiv(prod, 2);
    out[i] = checkSigned(z + (bias ? bias[i]! : 0), p.outputBits, 'layernorm output', site);
  }
  return { out, mean, var: v, std, factor };
}
