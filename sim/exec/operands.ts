/** Reading and writing typed, strided rows of the scratchpad and the accumulator buffer. */
import type { MachineState } from '../state.js';
import { ExecError } from '../fault.js';
import { ELEM, ELEM_BITS } from '../../isa/table.js';

export interface OperandRef {
  space: number; // 0 spad, 1 acc
  addr: number;
  stride: number; // elements
  type: number; // 0 i8, 1 i16, 2 i32
}

export function operandRef(f: Readonly<Record<string, number>>, p: string): OperandRef {
  return { space: f[`${p}space`]!, addr: f[p]!, stride: f[`${p}stride`]!, type: f[`${p}type`]! };
}

/** rows × cols values of an operand, row-major, into a fresh Int32Array (every type fits). */
export function readRows(st: MachineState, o: OperandRef, rows: number, cols: number): Int32Array {
  const out = new Int32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const base = o.addr + r * o.stride * (o.space === 1 ? 1 : 1 << o.type);
    const at = r * cols;
    if (o.space === 1) {
      out.set(st.acc.subarray(base, base + cols), at);
    } else if (o.type === 0) {
      out.set(st.spadI8.subarray(base, base + cols), at);
    } else if (o.type === 1) {
      if (st.spadI16 && base % 2 === 0) out.set(st.spadI16.subarray(base / 2, base / 2 + cols), at);
      else for (let c = 0; c < cols; c++) out[at + c] = st.spadView.getInt16(base + 2 * c, true);
    } else {
      if (st.spadI32 && base % 4 === 0) out.set(st.spadI32.subarray(base / 4, base / 4 + cols), at);
      else for (let c = 0; c < cols; c++) out[at + c] = st.spadView.getInt32(base + 4 * c, true);
    }
  }
  return out;
}

/** Write rows × cols values; a value that does not fit the destination type is a fault, never a wrap. */
export function writeRows(st: MachineState, o: OperandRef, rows: number, cols: number, v: ArrayLike<number>, what: string): void {
  const bits = ELEM_BITS[o.type]!;
  const lo = -(2 ** (bits - 1));
  const hi = 2 ** (bits - 1) - 1;
  for (let i = 0; i < rows * cols; i++) {
    const x = v[i]!;
    if (!(x >= lo && x <= hi)) {
      throw new ExecError('value', `${what}: value ${x} (row ${Math.floor(i / cols)}, column ${i % cols}) does not fit the ${ELEM[o.type]} destination`);
    }
  }
  for (let r = 0; r < rows; r++) {
    const base = o.addr + r * o.stride * (o.space === 1 ? 1 : 1 << o.type);
    const at = r * cols;
    if (o.space === 1) {
      for (let c = 0; c < cols; c++) st.acc[base + c] = v[at + c]!;
    } else if (o.type === 0) {
      for (let c = 0; c < cols; c++) st.spadI8[base + c] = v[at + c]!;
    } else if (o.type === 1) {
      const a16 = st.spadI16;
      if (a16 && base % 2 === 0) for (let c = 0, w = base / 2; c < cols; c++) a16[w + c] = v[at + c]!;
      else for (let c = 0; c < cols; c++) st.spadView.setInt16(base + 2 * c, v[at + c]!, true);
    } else {
      const a32 = st.spadI32;
      if (a32 && base % 4 === 0) for (let c = 0, w = base / 4; c < cols; c++) a32[w + c] = v[at + c]!;
      else for (let c = 0; c < cols; c++) st.spadView.setInt32(base + 4 * c, v[at + c]!, true);
    }
  }
}
