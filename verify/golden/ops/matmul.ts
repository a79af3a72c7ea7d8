/** Integer matrix product with an int32 accumulator (bias added in the accumulator). */
import { checkSigned } from '../intmath.js';
import { gemmInt16Int8Wasm, gemmInt8Wasm } from './gemm-wasm.js';

export type IntVector = Int8Array | Int16Array | Int32Array | Float64Array | number[];

function checkShapes(a: IntVector, b: IntVector, rows: number, cols: number, depth: number, accBits: number, site: string): void {
  if (a.length !== rows * depth) throw new RangeError(`matmul at ${site}: A has ${a.length} elements, expected ${rows}×${depth}`);
  if (b.length !== cols * depth) throw new RangeError(`matmul at ${site}: B has ${b.length} elements, expected ${cols}×${depth}`);
  if (accBits > 32) throw new RangeError(`matmul at ${site}: accumulators are held in int32, ${accBits} bits requested`);
}

/**
 * C[i][j] = bias[j] + Σ_k A[i][k] · B[j][k] for A [rows × depth] and B [cols × depth] (B holds the weights
 * as stored, [out × in], or the transposed right operand). Every accumulator is checked against accBits.
 * Partial sums stay exact: |A·B| terms are below 2^31 and depth below 2^21 keeps every sum below 2^53.
 */
export function matmulABt(
  a: IntVector,
  b: IntVector,
  rows: number,
  cols: number,
  depth: number,
  bias: IntVector | undefined,
  accBits: number,
  site: string,
  out: Int32Array = new Int32Array(rows * cols),
): Int32Array {
  checkShapes(a, b, rows, cols, depth, accBits, site);
  if (a instanceof Int8Array && b instanceof Int8Array) {
    if (gemmInt8Wasm(a, b, rows, cols, depth, out)) return addBiasChecked(out, rows, cols, bias, accBits, site);
    return matmulInt8(a, b, rows, cols, depth, bias, accBits, site, out);
  }
  if (a instanceof Int16Array && b instanceof Int8Array && gemmInt16Int8Wasm(a, b, rows, cols, depth, out)) {
    return addBiasChecked(out, rows, cols, bias, accBits, site);
  }
  const lim = 2 ** (accBits - 1);
  for (let i = 0; i < rows; i++) {
    const aOff = i * depth;
    for (let j = 0; j < cols; j++) {
      const bOff = j * depth;
      let acc = bias ? bias[j]! : 0;
      for (let k = 0; k < depth; k++) acc += a[aOff + k]! * b[bOff + k]!;
      if (acc >= lim || acc < -lim) checkSigned(acc, accBits, 'matmul accumulator', `${site} [row ${i}, col ${j}]`);
      out[i * cols + j] = acc;
    }
  }
  return out;
}

/** Add the bias to raw products and check every accumulator against its width. */
function addBiasChecked(out: Int32Array, rows: number, cols: number, bias: IntVector | undefined, accBits: number, site: string): Int32Array {
  const lim = 2 ** (accBits - 1);
  for (let i = 0, idx = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++, idx++) {
      const v = out[idx]! + (bias ? bias[j]! : 0);
      if (v >= lim || v < -lim) checkSigned(v, accBits, 'matmul accumulator', `${site} [row ${i}, col ${j}]`);
      out[idx] = v;
    }
  }
  return out;
}

/** The int8 × int8 JavaScript kernel (used where WebAssembly SIMD is not): monomorphic, four output columns per pass so each A element is loaded once. */
export function matmulInt8(
  a: Int8Array,
  b: Int8Array,
  rows: number,
  cols: number,
  depth: number,
  bias: IntVector | undefined,
  accBits: number,
  site: string,
  out: Int32Array,
): Int32Array {
  const lim = 2 ** (accBits - 1);
  const cols4 = cols - (cols % 4);
  const store = (i: number, j: number, acc: number): void => {
    const v = acc + (bias ? bias[j]! : 0);
    if (v >= lim || v < -lim) checkSigned(v, accBits, 'matmul accumulator', `${site} [row ${i}, col ${j}]`);
    out[i * cols + j] = v;
  };
  const rows2 = rows - (rows % 2);
  // Two rows × four columns per pass: 6 loads feed 8 multiply-adds.
  for (let i = 0; i < rows2; i += 2) {
    const a0 = i * depth;
    const a1 = a0 + depth;
    for (let j = 0; j < cols4; j += 4) {
      const b0 = j * depth;
      const b1 = b0 + depth;
      const b2 = b1 + depth;
      const b3 = b2 + depth;
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0,
        t0 = 0,
        t1 = 0,
        t2 = 0,
        t3 = 0;
      for (let k = 0; k < depth; k++) {
        const x = a[a0 + k]!;
        const y = a[a1 + k]!;
        const w0 = b[b0 + k]!,
          w1 = b[b1 + k]!,
          w2 = b[b2 + k]!,
          w3 = b[b3 + k]!;
        s0 += x * w0;
        s1 += x * w1;
        s2 += x * w2;
        s3 += x * w3;
        t0 += y * w0;
        t1 += y * w1;
        t2 += y * w2;
        t3 += y * w3;
      }
      store(i, j, s0);
      store(i, j + 1, s1);
      store(i, j + 2, s2);
      store(i, j + 3, s3);
      store(i + 1, j, t0);
      store(i + 1, j + 1, t1);
      store(i + 1, j + 2, t2);
      store(i + 1, j + 3, t3);
    }
    for (let j = cols4; j < cols; j++) {
      const bOff = j * depth;
      let s = 0,
        t = 0;
      for (let k = 0; k < depth; k++) {
        s += a[a0 + k]! * b[bOff + k]!;
        t += a[a1 + k]! * b[bOff + k]!;
      }
      store(i, j, s);
      store(i + 1, j, t);
    }
  }
  for (let i = rows2; i < rows; i++) {
    const aOff = i * depth;
    for (let j = 0; j < cols4; j += 4) {
      const b0 = j * depth;
      const b1 = b0 + depth;
      const b2 = b1 + depth;
      const b3 = b2 + depth;
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0;
      for (let k = 0; k < depth; k++) {
        const x = a[aOff + k]!;
        s0 += x * b[b0 + k]!;
        s1 += x * b[b1 + k]!;
        s2 += x * b[b2 + k]!;
        s3 += x * b[b3 + k]!;
      }
      store(i, j, s0);
      store(i, j + 1, s1);
      store(i, j + 2, s2);
      store(i, j + 3, s3);
    }
    for (let j = cols4; j < cols; j++) {
      const bOff = j * depth;
      let s = 0;
      for (let k = 0; k < depth; k++) s += a[aOff + k]! * b[bOff + k]!;
      store(i, j, s);
    }
  }
  return out;
}
