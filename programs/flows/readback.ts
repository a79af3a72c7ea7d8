/** Reading a compiled program's tensors back from simulated DRAM, and comparing them with the golden model. */
import { tensorHash } from '../../verify/golden/tensor-hash.js';
import { DTYPE_BYTES } from '../graph/graph.js';
import type { TensorLocation } from '../compiler/compile.js';

export function readTensor(dram: Uint8Array, t: TensorLocation): Int32Array {
  const count = t.shape.reduce((a, b) => a * b, 1);
  const view = new DataView(dram.buffer, dram.byteOffset + t.addr, count * DTYPE_BYTES[t.dtype]);
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    out[i] = t.dtype === 'i8' ? view.getInt8(i) : t.dtype === 'i16' ? view.getInt16(2 * i, true) : view.getInt32(4 * i, true);
  }
  return out;
}

export interface LayerComparison {
  name: string;
  shape: readonly number[];
  golden: string;
  simulated: string;
  match: boolean;
}

/** Hash every tensor the program wrote and pair it with the golden model's hash of the same name. */
export function compareLayers(dram: Uint8Array, tensors: readonly TensorLocation[], golden: ReadonlyArray<{ name: string; hash: string }>): LayerComparison[] {
  const byName = new Map(golden.map((g) => [g.name, g.hash]));
  return tensors.map((t) => {
    const simulated = tensorHash(readTensor(dram, t), t.name);
    const g = byName.get(t.name) ?? '(missing)';
    return { name: t.name, shape: t.shape, golden: g, simulated, match: g === simulated };
  });
}
