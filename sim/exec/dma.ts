/** DMA values: 2-D strided copies between DRAM and the scratchpad or the accumulator buffer (little-endian words). */
import type { Fields } from '../../isa/table.js';
import type { MachineState } from '../state.js';

export function executeDma(st: MachineState, f: Fields<'load'> | Fields<'store'>, direction: 'load' | 'store'): void {
  const isLoad = direction === 'load';
  for (let r = 0; r < f.rows; r++) {
    const d = f.dram + r * f.dstride;
    const l = f.local + r * f.lstride;
    if (f.space === 'spad') {
      if (isLoad) st.spad.set(st.dram.subarray(d, d + f.bytes), l);
      else st.dram.set(st.spad.subarray(l, l + f.bytes), d);
    } else {
      const accBytes = new Uint8Array(st.acc.buffer, st.acc.byteOffset + 4 * l, f.bytes);
      if (isLoad) accBytes.set(st.dram.subarray(d, d + f.bytes));
      else st.dram.set(accBytes, d);
    }
  }
}
