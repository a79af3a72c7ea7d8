/**
 * SDU values. I-LayerNorm calls the golden row op (verify/golden/ops) row by row; requant, residual add, Shiftmax and
 * ShiftGELU run block kernels (fast-requant.ts, fast-exp.ts) built from the golden primitives and checked against
 * the golden row ops by property tests. Requant tables are (m int32, c int32) pairs in the scratchpad.
 */
import type { Instruction } from '../../isa/encoding.js';
import type { MachineState } from '../state.js';
import { ExecError } from '../fault.js';
import { ELEM_BITS } from '../../isa/table.js';
import type { NumericsConfig } from '../../verify/golden/numerics-config.js';
import type { Dyadic } from '../../verify/golden/constants.js';
import { requantBlock, residualBlock } from './fast-requant.js';
import { shiftGeluRows, shiftmaxRows } from './fast-exp.js';
import { layerNormRow } from '../../verify/golden/ops/layernorm.js';
import { operandRef, readRows, writeRows } from './operands.js';

/** Read `count` dyadic pairs at `addr`. */
export function readDyadics(st: MachineState, addr: number, count: number): Dyadic[] {
  const out: Dyadic[] = [];
  for (let i = 0; i < count; i++) {
    const m = st.spadView.getInt32(addr + 8 * i, true);
    const c = st.spadView.getInt32(addr + 8 * i + 4, true);
    if (c < -62 || c > 126) throw new ExecError('value', `requant table entry ${i} at spad 0x${(addr + 8 * i).toString(16)} has shift c = ${c}, outside -62..126`);
    out.push({ m, c });
  }
  return out;
}

function requantOut(v: ArrayLike<number>, rows: number, cols: number, table: readonly Dyadic[], perChannel: boolean, bits: number, n: NumericsConfig): Float64Array {
  const out = new Float64Array(rows * cols);
  requantBlock(v, rows, cols, table, perChannel, bits, n.requantTie, out);
  return out;
}

function tableFor(st: MachineState, addr: number, perChannel: boolean, cols: number): Dyadic[] {
  return readDyadics(st, addr, perChannel ? cols : 1);
}

export function executeSdu(st: MachineState, ins: Instruction, n: NumericsConfig, site: string): void {
  const f = ins.fields;
  const rows = f.rows!;
  const cols = f.cols!;
  const dst = operandRef(f, 'd');
  const dstBits = ELEM_BITS[dst.type]!;
  switch (ins.spec.mnemonic) {
    case 'requant': {
      const src = readRows(st, operandRef(f, 's'), rows, cols);
      const table = tableFor(st, f.qtab!, f.qmode === 1, cols);
      writeRows(st, dst, rows, cols, requantOut(src, rows, cols, table, f.qmode === 1, dstBits, n), 'requant');
      return;
    }
    case 'resadd': {
      const x = readRows(st, operandRef(f, 'x'), rows, cols);
      const y = readRows(st, operandRef(f, 'y'), rows, cols);
      const tx = tableFor(st, f.qx!, f.qxmode === 1, cols);
      const ty = tableFor(st, f.qy!, f.qymode === 1, cols);
      const out = new Float64Array(rows * cols);
      residualBlock(x, tx, f.qxmode === 1, y, ty, f.qymode === 1, rows, cols, dstBits, n.requantTie, out);
      writeRows(st, dst, rows, cols, out, 'resadd');
      return;
    }
    case 'shiftmax': {
      const srcRef = operandRef(f, 's');
      const src = readRows(st, srcRef, rows, cols);
      const out = new Float64Array(rows * cols);
      const p = { x0: f.x0!, n: f.n!, k: f.k!, flavour: n.flavour, inputBits: ELEM_BITS[srcRef.type]!, expBits: n.expBits };
      shiftmaxRows(src, rows, cols, p, site, out);
      writeRows(st, dst, rows, cols, out, 'shiftmax');
      return;
    }
    case 'shiftgelu': {
      const srcRef = operandRef(f, 's');
      const src = readRows(st, srcRef, rows, cols);
      let out: Float64Array = new Float64Array(rows * cols);
      const p = { x0: f.x0!, n: f.n!, k: f.k!, flavour: n.flavour, inputBits: ELEM_BITS[srcRef.type]! };
      shiftGeluRows(src, rows, cols, p, site, out);
      if (f.qmode !== 0) out = requantOut(out, rows, cols, tableFor(st, f.qtab!, f.qmode === 2, cols), f.qmode === 2, dstBits, n);
      writeRows(st, dst, rows, cols, out, 'shiftgelu');
      return;
    }
    case 'layernorm': {
      const srcRef = operandRef(f, 's');
      const src = readRows(st, srcRef, rows, cols);
      const bias = f.bmode === 1 ? new Int32Array(st.spad.slice(f.btab!, f.btab! + 4 * cols).buffer) : undefined;
      let out: Float64Array = new Float64Array(rows * cols);
      const p = { sqrt: n.sqrt, mean: n.lnMean, halve: n.lnHalve, inputBits: ELEM_BITS[srcRef.type]!, varianceBits: n.lnVarianceBits, outputBits: n.lnOutputBits };
      for (let r = 0; r < rows; r++) out.set(layerNormRow(src.subarray(r * cols, (r + 1) * cols), bias, p, `${site} row ${r}`).out, r * cols);
      if (f.qmode !== 0) out = requantOut(out, rows, cols, tableFor(st, f.qtab!, f.qmode === 2, cols), f.qmode === 2, dstBits, n);
      writeRows(st, dst, rows, cols, out, 'layernorm');
      return;
    }
    case 'reduce': {
      const src = readRows(st, operandRef(f, 's'), rows, cols);
      const out = new Float64Array(rows);
      for (let r = 0; r < rows; r++) {
        let v = f.kind === 0 ? -Infinity : 0;
        for (let c = 0; c < cols; c++) {
          const x = src[r * cols + c]!;
          v = f.kind === 0 ? Math.max(v, x) : v + x;
        }
        out[r] = v;
      }
      writeRows(st, dst, rows, 1, out, 'reduce');
      return;
    }
    default:
      throw new ExecError('value', `${ins.spec.mnemonic} is not an SDU instruction`);
  }
}
