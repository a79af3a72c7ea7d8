/**
 * The golden pieces of I&S-ViT's low-bit presets (docs/numerics.md "I&S-ViT low-bit presets"): the SULQ constants of a
 * block from the model file's calibration, the low-bit checks of a model against its preset, and SULQ attention
 * (codes of every row, attention·V of every head) in a form fast enough for 10,000 images and exactly equal to
 * ops/sulq.ts's sulqAttnV (test/golden/isvit.test.ts).
 */
import { NumericsInputError, checkSigned } from './intmath.js';
import type { NumericsConfig } from './numerics-config.js';
import { type SulqConstants, sulqConstants, sulqParams, sulqRow } from './ops/sulq.js';
import type { IsvitFields, QLinear, QuantModel } from './qmodel.js';

/** f of SULQ's input: Shiftmax writes P at 2^−(k−1). */
export function sulqInputFracBits(cfg: NumericsConfig): number {
  return cfg.softmax.k - 1;
}

/** Does this preset run I&S-ViT's low-bit layers (SULQ attention or narrower block linears)? */
export function isIsvitNumerics(cfg: NumericsConfig): boolean {
  return cfg.attention === 'sulq' || cfg.lowBit.weightBits < cfg.weightBits || cfg.lowBit.inputBits < cfg.activationBits;
}

/** The model's I&S-ViT fields, refused in one line when absent or made for other widths than the preset's. */
export function isvitFieldsOf(model: QuantModel, cfg: NumericsConfig): IsvitFields {
  const f = model.isvit;
  if (!f) {
    throw new NumericsInputError(
      'the model carries no I&S-ViT fields (isvit metadata: η, SOS factors, low-bit weights), which the isvit presets need; make them with ivit import --numerics isvit-w4a4|isvit-w3a3',
    );
  }
  const want = { weightBits: cfg.lowBit.weightBits, inputBits: cfg.lowBit.inputBits, sulqBits: cfg.sulq.bits, inputFracBits: sulqInputFracBits(cfg) };
  for (const key of Object.keys(want) as Array<keyof typeof want>) {
    if (f[key] !== want[key])
      throw new NumericsInputError(`the model's isvit.${key} is ${f[key]}, the preset's is ${want[key]}: import the model for this preset`);
  }
  if (f.sulq.length !== model.blocks.length)
    throw new NumericsInputError(`the model's isvit.sulq has ${f.sulq.length} blocks, the model ${model.blocks.length}`);
  return f;
}

/** The block linear layers the low-bit widths apply to. */
export function lowBitLayers(model: QuantModel): Array<{ name: string; layer: QLinear }> {
  return model.blocks.flatMap((b, i) => (['qkv', 'proj', 'fc1', 'fc2'] as const).map((n) => ({ name: `block${i}.${n}`, layer: b[n] })));
}

/** Every weight of qkv, proj, fc1, fc2 fits lowBit.weightBits (held in int8 for the array). */
export function checkLowBitWeights(model: QuantModel, cfg: NumericsConfig): void {
  for (const { name, layer } of lowBitLayers(model)) {
    for (let i = 0; i < layer.weight.length; i++) checkSigned(layer.weight[i]!, cfg.lowBit.weightBits, 'low-bit weight', name);
  }
}

/** SULQ's constants of block b: η and the calibrated range from the model file, b and the grid from the preset. */
export function sulqBlockConstants(model: QuantModel, cfg: NumericsConfig, b: number): SulqConstants {
  const s = isvitFieldsOf(model, cfg).sulq[b]!;
  return sulqConstants(s.eta, cfg.sulq.bits, sulqInputFracBits(cfg), cfg.sulq.grid, { pMin: s.pMin, pMax: s.pMax });
}

/** SULQ codes of every row of P [rows × n] (scale 2^−f), with sulqRow's width checks. */
export function sulqCodes(p: ArrayLike<number>, rows: number, n: number, k: SulqConstants, site: string): Uint8Array {
  const q = sulqParams(k);
  const out = new Uint8Array(rows * n);
  const row = new Array<number>(n);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < n; j++) row[j] = p[r * n + j]!;
    out.set(sulqRow(row, q, `${site} [row ${r}]`), r * n);
  }
  return out;
}

export interface SulqAttentionWidths {
  vBits: number;
  vSumBits: number;
  accBits: number;
}

/**
 * attention·V of one head: out[t, j] = Σ_i V[i, j]·2^shifts[code[t, i]] − H·Σ_i V[i, j], int [n × d] at S_V·2^−f.
 * Each term is below 2^(vBits + f + 1) and n < 2^20, so the float64 sums are exact; every sum is width-checked
 * as sulqAttnV checks it (ΣV once per column: every query row shares it).
 */
export function sulqHeadAttnV(codes: Uint8Array, v: Int8Array, n: number, d: number, k: SulqConstants, w: SulqAttentionWidths, site: string): Int32Array {
  if (w.vBits + k.inputFracBits + 1 + Math.ceil(Math.log2(n + 1)) > 53) throw new NumericsInputError(`SULQ attention·V at ${site}: sums could pass 2^53`);
  if (w.accBits > 32) throw new NumericsInputError(`SULQ accBits = ${w.accBits}: the golden forward pass holds attention·V in int32`);
  const weight = k.shifts.map((s) => 2 ** s);
  const vSum = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) vSum[j] += v[i * d + j]!;
  const correction = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    checkSigned(vSum[j]!, w.vSumBits, 'SULQ column sum ΣV', site);
    correction[j] = checkSigned(k.eta * vSum[j]!, w.accBits, 'SULQ correction H·ΣV', site);
  }
  const out = new Int32Array(n * d);
  const acc = new Float64Array(d);
  for (let t = 0; t < n; t++) {
    acc.fill(0);
    for (let i = 0; i < n; i++) {
      const c = codes[t * n + i]!;
      if (c > k.levels) throw new NumericsInputError(`SULQ code ${c} at ${site} is outside 0…${k.levels}`);
      const m = weight[c]!;
      for (let j = 0; j < d; j++) acc[j] += v[i * d + j]! * m;
    }
    for (let j = 0; j < d; j++) {
      checkSigned(acc[j]!, w.accBits, 'SULQ shift-add', site);
      out[t * d + j] = checkSigned(acc[j]! - correction[j]!, w.accBits, 'SULQ attention·V', site);
    }
  }
  return out;
}
