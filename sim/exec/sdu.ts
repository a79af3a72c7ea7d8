/**
 * What the SDU instructions share: requant tables, (m int32, c int32) pairs in the scratchpad, and the requant
 * of a block of values (the block kernel of fast-requant.ts, checked against the golden op by property tests).
 */
import type { MachineState } from '../state.js';
import { ExecError } from '../fault.js';
import { ELEM_BITS, ELEM_BYTES, type EnumValue } from '../../isa/table.js';
import { type OperandRef, writeRows } from './operands.js';
import type { NumericsConfig } from '../../verify/golden/numerics-config.js';
import type { Dyadic } from '../../verify/golden/constants.js';
import { requantBlock } from './fast-requant.js';

function checkShift(c: number, i: number, at: number): void {
  if (c < -62 || c > 126) throw new ExecError('value', `requant table entry ${i} at spad 0x${at.toString(16)} has shift c = ${c}, outside -62..126`);
}

/** Read `count` dyadic pairs at `addr`. */
export function readDyadics(st: MachineState, addr: number, count: number): Dyadic[] {
  const out: Dyadic[] = [];
  for (let i = 0; i < count; i++) {
    const m = st.spadView.getInt32(addr + 8 * i, true);
    const c = st.spadView.getInt32(addr + 8 * i + 4, true);
    checkShift(c, i, addr + 8 * i);
    out.push({ m, c });
  }
  return out;
}

/**
 * Check a table as readDyadics does, without reading it out: true when every shift is in 0..62, the range of
 * the in-place kernels' exact i64 rounding (the rest take the JavaScript path).
 */
function shiftsInKernelRange(st: MachineState, addr: number, count: number): boolean {
  let inRange = true;
  for (let i = 0; i < count; i++) {
    const c = st.spadView.getInt32(addr + 8 * i + 4, true);
    checkShift(c, i, addr + 8 * i);
    if (c < 0 || c > 62) inRange = false;
  }
  return inRange;
}

/** An operand as the in-place kernels address it: byte offset, bytes between row starts, bytes per element. */
interface PlacedOperand {
  at: number;
  row: number;
  width: number;
  end: number; // one past its last byte
}

function placed(st: MachineState, o: OperandRef, rows: number, cols: number): PlacedOperand {
  const acc = o.space === 'acc';
  const width = acc ? 4 : ELEM_BYTES[o.type];
  const at = acc ? st.accBase + 4 * o.addr : o.addr;
  const row = width * o.stride;
  return { at, row, width, end: at + Math.max(0, rows - 1) * row + cols * width };
}

/**
 * Element by element in place gives what reading the whole source first gives unless the source and the
 * destination overlap differently: allowed are disjoint ranges, or the very same layout with rows that do not
 * overlap one another.
 */
function safeInPlace(s: PlacedOperand, d: PlacedOperand, rows: number, cols: number): boolean {
  if (s.end <= d.at || d.end <= s.at) return true;
  return s.at === d.at && s.row === d.row && s.width === d.width && (rows === 1 || s.row >= cols * s.width);
}

const tieCode = (n: NumericsConfig): number => (n.requantTie === 'half-up' ? 1 : 0);
const tableStep = (mode: EnumValue<'qmode'>): number => (mode === 'channel' ? 8 : 0);

/** requant in place by the kernels; false when they are absent or the operands need the JavaScript path. */
export function requantInPlace(
  st: MachineState,
  src: OperandRef,
  dst: OperandRef,
  rows: number,
  cols: number,
  qtab: number,
  mode: EnumValue<'qmode'>,
  n: NumericsConfig,
): boolean {
  const k = st.kernels;
  if (!k || mode === 'none') return false;
  if (!shiftsInKernelRange(st, qtab, tableEntries(mode, cols))) return false;
  const s = placed(st, src, rows, cols);
  const d = placed(st, dst, rows, cols);
  if (!safeInPlace(s, d, rows, cols)) return false;
  k.requant(s.at, s.row, s.width, d.at, d.row, d.width, rows, cols, qtab, tableStep(mode), ELEM_BITS[dst.type], tieCode(n));
  return true;
}

/** resadd in place by the kernels; false when they are absent or the operands need the JavaScript path. */
export function resaddInPlace(
  st: MachineState,
  x: OperandRef,
  qx: number,
  xMode: EnumValue<'qmode'>,
  y: OperandRef,
  qy: number,
  yMode: EnumValue<'qmode'>,
  dst: OperandRef,
  rows: number,
  cols: number,
  n: NumericsConfig,
): boolean {
  const k = st.kernels;
  if (!k || xMode === 'none' || yMode === 'none') return false;
  const xIn = shiftsInKernelRange(st, qx, tableEntries(xMode, cols));
  if (!shiftsInKernelRange(st, qy, tableEntries(yMode, cols)) || !xIn) return false;
  const px = placed(st, x, rows, cols);
  const py = placed(st, y, rows, cols);
  const d = placed(st, dst, rows, cols);
  if (!safeInPlace(px, d, rows, cols) || !safeInPlace(py, d, rows, cols)) return false;
  k.resadd(
    px.at,
    px.row,
    px.width,
    qx,
    tableStep(xMode),
    py.at,
    py.row,
    py.width,
    qy,
    tableStep(yMode),
    d.at,
    d.row,
    d.width,
    rows,
    cols,
    ELEM_BITS[dst.type],
    tieCode(n),
  );
  return true;
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

/**
 * Values into a workspace int32 block for the in-place kernels, or null when one does not fit int32 (the golden
 * ops bound their outputs by their declared widths, which may be wider; the JavaScript path takes those).
 */
function stagedInt32(st: MachineState, v: Float64Array): Int32Array | null {
  const at = st.workspace(4 * v.length);
  const w = new Int32Array(st.spad.buffer, at, v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (!(x >= -2147483648 && x <= 2147483647)) return null;
    w[i] = x;
  }
  return w;
}

/**
 * An SDU op's results into the destination: through the fused requant when the op has one (in place by the
 * kernels where they can), else as they are, checked against the destination type.
 */
export function writeResults(
  st: MachineState,
  results: Float64Array,
  dst: OperandRef,
  rows: number,
  cols: number,
  mode: EnumValue<'qmode'>,
  qtab: number,
  n: NumericsConfig,
  what: string,
): void {
  if (mode === 'none') return writeRows(st, dst, rows, cols, results, what);
  const bits = ELEM_BITS[dst.type];
  const k = st.kernels;
  const staged = k && shiftsInKernelRange(st, qtab, tableEntries(mode, cols)) ? stagedInt32(st, results) : null;
  if (k && staged) {
    const d = placed(st, dst, rows, cols);
    k.requant(staged.byteOffset, 4 * cols, 4, d.at, d.row, d.width, rows, cols, qtab, tableStep(mode), bits, tieCode(n));
    return;
  }
  writeRows(st, dst, rows, cols, requantOut(results, rows, cols, readTable(st, qtab, mode, cols), mode === 'channel', bits, n), what);
}
