/**
 * What the SDU instructions share: requant tables, (m int32, c int32) pairs in the scratchpad, and the requant
 * of a block of values (the block kernel of fast-requant.ts, checked against the golden op by property tests).
 */
import type { MachineState } from '../state.js';
import { ExecError } from '../fault.js';
import type { EnumValue } from '../../isa/table.js';
import type { NumericsConfig } from '../../verify/golden/numerics-config.js';
import type { Dyadic } from '../../verify/golden/constants.js';
import { requantBlock } from './fast-requant.js';

/** Read `count` dyadic pairs at `addr`. */
export function readDyadics(st: MachineState, addr: number, count: number): Dyadic[] {
  const out: Dyadic[] = [];
  for (let i = 0; i < count; i++) {
    const m = st.spadView.getInt32(addr + 8 * i, true);
    const c = st.spadView.getInt32(addr + 8 * i + 4, true);
    if (c < -62 || c > 126)
      throw new ExecError('value', `requant table entry ${i} at spad 0x${(addr + 8 * i).toString(16)} has shift c = ${c}, outside -62..126`);
    out.push({ m, c });
  }
  return out;
}

/** Requantise a block of values with one (m, c) pair or one per column. */
export function requantOut(
  v: ArrayLike<number>,
  rows: number,
  cols: number,
  table: readonly Dyadic[],
  perChannel: boolean,
  bits: number,
  n: NumericsConfig,
): Float64Array {
  const out = new Float64Array(rows * cols);
  requantBlock(v, rows, cols, table, perChannel, bits, n.requantTie, out);
  return out;
}

/** Entries a requant table of this mode holds for rows of `cols` columns (0 for none). */
export function tableEntries(mode: EnumValue<'qmode'>, cols: number): number {
  return mode === 'channel' ? cols : mode === 'tensor' ? 1 : 0;
}

export function readTable(st: MachineState, addr: number, mode: EnumValue<'qmode'>, cols: number): Dyadic[] {
  return readDyadics(st, addr, tableEntries(mode, cols));
}

/** An optional fused requant on the way out of an SDU op (shiftgelu, layernorm). */
export function fusedRequant(
  st: MachineState,
  out: Float64Array,
  rows: number,
  cols: number,
  mode: EnumValue<'qmode'>,
  qtab: number,
  bits: number,
  n: NumericsConfig,
): Float64Array {
  if (mode === 'none') return out;
  return requantOut(out, rows, cols, readTable(st, qtab, mode, cols), mode === 'channel', bits, n);
}
