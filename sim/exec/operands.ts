/** Reading and writing typed, strided rows of the scratchpad and the accumulator buffer. */
import type { MachineState } from '../state.js';
import { ExecError } from '../fault.js';
import { ELEM, ELEM_BITS } from '../../isa/table.js';
import { operandKeys } from '../footprint.js';

export interface OperandRef {
  space: number; // 0 spad, 1 acc
  addr: number;
  stride: number; // elements
  type: number; // 0 i8, 1 i16, 2 i32
}

export function operandRef(f: Readonly<Record<string, number>>, p: string): OperandRef {
  const k = operandKeys(p);
  return { space: f[k.space]!, addr: f[p]!, stride: f[k.stride]!, type: f[k.type]! };
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
  const bad = (i: number): never => {
    throw new ExecError('value', `${what}: value ${v[i]} (row ${Math.floor(i / cols)}, column ${i % cols}) does not fit the ${ELEM[o.type]} destination`);
  };
  // One pass: check and store each value (a fault ends the run, so a partly written block is never a result).
  const aligned16 = st.spadI16 !== undefined && o.addr % 2 === 0;
  const aligned32 = st.spadI32 !== undefined && o.addr % 4 === 0;
  for (let r = 0; r < rows; r++) {
    const base = o.addr + r * o.stride * (o.space === 1 ? 1 : 1 << o.type);
    const at = r * cols;
    if (o.space === 1) {
      const acc = st.acc;
      for (let c = 0; c < cols; c++) {
        const x = v[at + c]!;
        if (!(x >= lo && x <= hi)) bad(at + c);
        acc[base + c] = x;
      }
    } else if (o.type === 0) {
      const s8 = st.spadI8;
      for (let c = 0; c < cols; c++) {
        const x = v[at + c]!;
        if (!(x >= lo && x <= hi)) bad(at + c);
        s8[base + c] = x;
      }
    } else if (o.type === 1 && aligned16) {
      const s16 = st.spadI16!;
      for (let c = 0, w = base / 2; c < cols; c++) {
        const x = v[at + c]!;
        if (!(x >= lo && x <= hi)) bad(at + c);
        s16[w + c] = x;
      }
    } else if (o.type === 2 && aligned32) {
      const s32 = st.spadI32!;
      for (let c = 0, w = base / 4; c < cols; c++) {
        const x = v[at + c]!;
        if (!(x >= lo && x <= hi)) bad(at + c);
        s32[w + c] = x;
      }
    } else {
      for (let c = 0; c < cols; c++) {
        const x = v[at + c]!;
        if (!(x >= lo && x <= hi)) bad(at + c);
        if (o.type === 1) st.spadView.setInt16(base + 2 * c, x, true);
        else st.spadView.setInt32(base + 4 * c, x, true);
      }
    }
  }
}
