/** DMA values: 2-D strided copies between DRAM and the scratchpad or the accumulator buffer (little-endian words). */
import type { Fields } from '../../isa/table.js';
import type { MachineState } from '../state.js';

/** Rows up to this many bytes are copied byte by byte: cheaper than two subarrays per row. */
const SHORT_ROW = 64;

export function executeDma(st: MachineState, f: Fields<'load'> | Fields<'store'>, direction: 'load' | 'store'): void {
  const isLoad = direction === 'load';
  const local = f.space === 'spad' ? st.spad : new Uint8Array(st.acc.buffer, st.acc.byteOffset, st.acc.byteLength);
  const lBase = f.space === 'spad' ? f.local : 4 * f.local; // the accumulator is word addressed
  const lStride = f.space === 'spad' ? f.lstride : 4 * f.lstride;
  const [src, srcBase, srcStride, dst, dstBase, dstStride] = isLoad
    ? [st.dram, f.dram, f.dstride, local, lBase, lStride]
    : [local, lBase, lStride, st.dram, f.dram, f.dstride];
  const bytes = f.bytes;
  if (srcStride === bytes && dstStride === bytes) {
    // both sides contiguous: one block
    dst.set(src.subarray(srcBase, srcBase + f.rows * bytes), dstBase);
    return;
  }
  for (let r = 0; r < f.rows; r++) {
    const s = srcBase + r * srcStride;
    const d = dstBase + r * dstStride;
    if (bytes <= SHORT_ROW) for (let b = 0; b < bytes; b++) dst[d + b] = src[s + b]!;
    else dst.set(src.subarray(s, s + bytes), d);
  }
}
