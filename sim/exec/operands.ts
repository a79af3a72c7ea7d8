/** Reading and writing typed, strided rows of the scratchpad and the accumulator buffer. */
import type { MachineState } from '../state.js';
import { ExecError } from '../fault.js';
import { ELEM_BITS, ELEM_BYTES, type EnumValue, type OperandFields, type UntypedFields } from '../../isa/table.js';

export interface OperandRef {
  space: EnumValue<'space'>;
  addr: number;
  /** elements between row starts */
  stride: number;
  type: EnumValue<'elem'>;
}

/** Field names of a typed operand, built once per prefix (no string building per instruction). */
const OPERAND_KEYS = new Map<string, { space: string; stride: string; type: string }>();
function operandKeys(p: string): { space: string; stride: string; type: string } {
  let k = OPERAND_KEYS.get(p);
  if (!k) {
    k = { space: `${p}space`, stride: `${p}stride`, type: `${p}type` };
    OPERAND_KEYS.set(p, k);
  }
  return k;
}

export function operandRef<P extends string>(fields: OperandFields<P>, p: P): OperandRef {
  const f = fields as unknown as UntypedFields; // the four keys exist by OperandFields<P>
  const k = operandKeys(p);
  return { space: f[k.space] as EnumValue<'space'>, addr: f[p] as number, stride: f[k.stride] as number, type: f[k.type] as EnumValue<'elem'> };
}

/** Units per element in the operand's address space: the accumulator is word addressed. */
export function elementUnits(o: OperandRef): number {
  return o.space === 'acc' ? 1 : ELEM_BYTES[o.type];
}

/** rows × cols values of an operand, row-major, into a fresh Int32Array (every type fits). */
export function readRows(st: MachineState, o: OperandRef, rows: number, cols: number): Int32Array {
  const out = new Int32Array(rows * cols);
  const unit = elementUnits(o);
  for (let r = 0; r < rows; r++) {
    const base = o.addr + r * o.stride * unit;
    const at = r * cols;
    if (o.space === 'acc') {
      out.set(st.acc.subarray(base, base + cols), at);
    } else if (o.type === 'i8') {
      out.set(st.spadI8.subarray(base, base + cols), at);
    } else if (o.type === 'i16') {
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
  const bits = ELEM_BITS[o.type];
  const lo = -(2 ** (bits - 1));
  const hi = 2 ** (bits - 1) - 1;
  const bad = (i: number): never => {
    throw new ExecError('value', `${what}: value ${v[i]} (row ${Math.floor(i / cols)}, column ${i % cols}) does not fit the ${o.type} destination`);
  };
  // One pass: check and store each value (a fault ends the run, so a partly written block is never a result).
  const aligned16 = st.spadI16 !== undefined && o.addr % 2 === 0;
  const aligned32 = st.spadI32 !== undefined && o.addr % 4 === 0;
  const unit = elementUnits(o);
  for (let r = 0; r < rows; r++) {
    const base = o.addr + r * o.stride * unit;
    const at = r * cols;
    if (o.space === 'acc') {
      const acc = st.acc;
      for (let c = 0; c < cols; c++) {
        const x = v[at + c]!;
        if (!(x >= lo && x <= hi)) bad(at + c);
        acc[base + c] = x;
      }
    } else if (o.type === 'i8') {
      const s8 = st.spadI8;
      for (let c = 0; c < cols; c++) {
        const x = v[at + c]!;
        if (!(x >= lo && x <= hi)) bad(at + c);
        s8[base + c] = x;
      }
    } else if (o.type === 'i16' && aligned16) {
      const s16 = st.spadI16!;
      for (let c = 0, w = base / 2; c < cols; c++) {
        const x = v[at + c]!;
        if (!(x >= lo && x <= hi)) bad(at + c);
        s16[w + c] = x;
      }
    } else if (o.type === 'i32' && aligned32) {
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
        if (o.type === 'i16') st.spadView.setInt16(base + 2 * c, x, true);
        else st.spadView.setInt32(base + 4 * c, x, true);
      }
    }
  }
}
