/** Integer matrix product with an int32 accumulator (bias added in the accumulator). */
import { checkSigned } from '../intmath.js';

export type IntVector = Int8Array | Int16Array | Int32Array | Float64Array | number[];

/**
 * C[i][j] = bias[j] + Σ_k A[i][k] · B[j][k] for A [rows × depth] and B [cols × depth] (B holds the weights
 * as stored, [out × in], or the transposed right operand). Every accumulator is checked against accBits.
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
  if (a.length !== rows * depth) throw new RangeError(`matmul at ${site}: A has ${a.length} elements, expected ${rows}×${depth}`);
  if (b.length !== cols * depth) throw new RangeError(`matmul at ${site}: B has ${b.length} elements, expected ${cols}×${depth}`);
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
