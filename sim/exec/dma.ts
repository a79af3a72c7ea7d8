/** DMA values: 2-D strided copies between DRAM and the scratchpad or the accumulator buffer (little-endian words). */
import type { Instruction } from '../../isa/encoding.js';
import type { MachineState } from '../state.js';

export function executeDma(st: MachineState, ins: Instruction): void {
  const f = ins.fields;
  const isLoad = ins.spec.mnemonic === 'load';
  const rows = f.rows!;
  const bytes = f.bytes!;
  for (let r = 0; r < rows; r++) {
    const d = f.dram! + r * f.dstride!;
    if (f.space === 0) {
      const l = f.local! + r * f.lstride!;
      if (isLoad) st.spad.set(st.dram.subarray(d, d + bytes), l);
      else st.dram.set(st.spad.subarray(l, l + bytes), d);
    } else {
      const w = f.local! + r * f.lstride!;
      const accBytes = new Uint8Array(st.acc.buffer, st.acc.byteOffset + 4 * w, bytes);
      if (isLoad) accBytes.set(st.dram.subarray(d, d + bytes));
      else st.dram.set(accBytes, d);
    }
  }
}
