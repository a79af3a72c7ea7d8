/**
 * Shiftmax and ShiftGELU over many rows in tight loops. The shift-exp of every possible Δ = x − max is tabulated
 * once per (x0, n, flavour, input width) by calling the golden shiftExp, and the rest repeats the golden row ops'
 * formulas (numerics.md §3–§4) on typed arrays. Rows the table cannot cover (32-bit inputs, an exp value past its
 * width, a zero divisor) are handed to the golden row op itself, so errors are the golden ones. Property tests
 * compare both kernels with shiftmaxRow / shiftGeluRow on random rows and parameters.
 */
import type { Flavour } from '../../verify/golden/constants.js';
import { INT31_MAX } from '../../verify/golden/intmath.js';
import { EXP_SATURATION, shiftExp } from '../../verify/golden/ops/shift-exp.js';
import { shiftmaxRow } from '../../verify/golden/ops/shiftmax.js';
import { type ShiftGeluParams, geluExpCap, shiftGeluRow } from '../../verify/golden/ops/shiftgelu.js';

interface ExpTableKey {
  x0: number;
  n: number;
  flavour: Flavour;
  inputBits: number;
  cap: number;
}

const TABLES = new Map<string, Float64Array>();

/** E(Δ) for Δ = −(2^inputBits − 1) .. 0, at index Δ + 2^inputBits − 1. */
function expTable(k: ExpTableKey): Float64Array {
  const key = `${k.x0}/${k.n}/${k.flavour}/${k.inputBits}/${k.cap}`;
  let t = TABLES.get(key);
  if (!t) {
    const span = 2 ** k.inputBits - 1;
    t = new Float64Array(span + 1);
    for (let i = 0; i <= span; i++) t[i] = shiftExp(i - span, k.x0, k.n, k.flavour, k.cap).e;
    if (TABLES.size > 64) TABLES.clear();
    TABLES.set(key, t);
  }
  return t;
}

export interface ExpRowsParams {
  x0: number;
  n: number;
  k: number;
  flavour: Flavour;
  inputBits: number;
}

/** Shiftmax of each row of a row-major block (out may be the same length as src). */
export function shiftmaxRows(src: Int32Array, rows: number, cols: number, p: ExpRowsParams & { expBits: number }, site: string, out: Float64Array): void {
  if (p.inputBits > 16) return slowShiftmax(src, rows, cols, p, site, out);
  const table = expTable({ x0: p.x0, n: p.n, flavour: p.flavour, inputBits: p.inputBits, cap: Infinity });
  const span = 2 ** p.inputBits - 1;
  const expMax = 2 ** p.expBits - 1;
  const invDiv = 2 ** -(32 - p.k); // exact: dividing by 2^(32−k) is multiplying by this
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) if (src[base + j]! > max) max = src[base + j]!;
    let sum = 0;
    let ok = true;
    for (let j = 0; j < cols; j++) {
      const e = table[src[base + j]! - max + span]!;
      if (e > expMax) ok = false;
      sum += e;
    }
    if (!ok || sum === 0) {
      out.set(shiftmaxRow(src.subarray(base, base + cols), p, `${site} row ${r}`).out, base);
      continue;
    }
    if (sum > INT31_MAX) sum = INT31_MAX;
    const factor = Math.floor(INT31_MAX / sum); // both positive and below 2^31: the float quotient floors exactly
    for (let j = 0; j < cols; j++) out[base + j] = Math.floor(table[src[base + j]! - max + span]! * factor * invDiv);
  }
}

function slowShiftmax(src: Int32Array, rows: number, cols: number, p: ExpRowsParams & { expBits: number }, site: string, out: Float64Array): void {
  for (let r = 0; r < rows; r++) out.set(shiftmaxRow(src.subarray(r * cols, (r + 1) * cols), p, `${site} row ${r}`).out, r * cols);
}

/** ShiftGELU of each row: x·σ with σ = (E·⌊(2^31−1)/min(E + E_M, 2^31−1)⌋) >> (32 − k), E per the σ rule. */
export function shiftGeluRows(src: Int32Array, rows: number, cols: number, p: ShiftGeluParams, site: string, out: Float64Array): void {
  const slow = (r: number): void => {
    out.set(shiftGeluRow(src.subarray(r * cols, (r + 1) * cols), p, `${site} row ${r}`).out, r * cols);
  };
  if (p.inputBits > 16) {
    for (let r = 0; r < rows; r++) slow(r);
    return;
  }
  const table = expTable({ x0: p.x0, n: p.n, flavour: p.flavour, inputBits: p.inputBits, cap: geluExpCap(p.sigmaRule) });
  const span = 2 ** p.inputBits - 1;
  const invDiv = 2 ** -(32 - p.k);
  // under the reference rule E_j must fit its declared width; a row holding a wider one takes the golden path
  const expLimit = p.sigmaRule === 'reference' ? 2 ** p.expBits - 1 : Infinity;
  // σ(Δ) = ⌊E·⌊(2^31−1)/min(E + E_M, 2^31−1)⌋ · 2^−(32−k)⌋: E·⌊…⌋ < 2^53 and the power of two is exact
  const sigmaOf = (e: number, eM: number): number => Math.floor(e * Math.floor(INT31_MAX / (e + eM > INT31_MAX ? INT31_MAX : e + eM)) * invDiv);
  const sigma = new Float64Array(span + 1); // σ of each Δ = x − max the current row spans
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let max = -Infinity;
    let min = Infinity;
    for (let j = 0; j < cols; j++) {
      const x = src[base + j]!;
      if (x > max) max = x;
      if (x < min) min = x;
    }
    const eM = shiftExp(-max, p.x0, p.n, p.flavour, EXP_SATURATION).e;
    let special = false;
    for (let j = 0; j < cols; j++) {
      const e = table[src[base + j]! - max + span]!;
      if (e + eM === 0 || e > expLimit) special = true;
    }
    if (special) {
      slow(r); // a zero divisor or an overflow: the golden op raises its own error
      continue;
    }
    if (max - min < cols) {
      // σ depends on Δ alone within a row: one division per Δ the row spans rather than one per element
      for (let i = min - max + span; i <= span; i++) sigma[i] = sigmaOf(table[i]!, eM);
      for (let j = 0; j < cols; j++) {
        const x = src[base + j]!;
        out[base + j] = x * sigma[x - max + span]! + 0; // + 0: 0, not −0, like shiftGeluRow
      }
    } else {
      for (let j = 0; j < cols; j++) {
        const x = src[base + j]!;
        out[base + j] = x * sigmaOf(table[x - max + span]!, eM) + 0;
      }
    }
  }
}
