/** layernorm: I-LayerNorm of each row (numerics.md §5), optionally requantised; or FQ-ViT's PTS LayerNorm. */
import { ELEM_BITS, type Fields } from '../../isa/table.js';
import type { InstructionBehaviour } from './behaviour.js';
import { type Access, operandAccess, sduFootprint, tableAccess } from '../footprint.js';
import { operandRef, readRows, writeRows } from '../exec/operands.js';
import { tableEntries, writeResults } from '../exec/sdu.js';
import { layerNormRows } from '../exec/fast-layernorm.js';
import { ptsLayerNormCost, sduCost } from '../timing/units.js';
import { numericsOf } from '../config.js';
import type { MachineState } from '../state.js';
import type { ExecContext } from './behaviour.js';
import { ptsLayerNormRow } from '../../verify/golden/ops/pts-layernorm.js';

/** Bytes of one column's (M_c, N_c, B_c) entry in a PTS table. */
export const PTS_ENTRY_BYTES = 12;

function executePts(st: MachineState, f: Fields<'layernorm'>, ctx: ExecContext): void {
  const { rows, cols } = f;
  const srcRef = operandRef(f, 's');
  const src = readRows(st, srcRef, rows, cols);
  const alpha = st.spadI8.slice(f.atab, f.atab + cols);
  const tab = new DataView(st.spad.buffer, st.spad.byteOffset + f.ptab, PTS_ENTRY_BYTES * cols);
  const m: number[] = [];
  const n: number[] = [];
  const b: number[] = [];
  for (let c = 0; c < cols; c++) {
    m.push(tab.getInt32(PTS_ENTRY_BYTES * c, true));
    n.push(tab.getInt32(PTS_ENTRY_BYTES * c + 4, true));
    b.push(tab.getInt32(PTS_ENTRY_BYTES * c + 8, true));
  }
  const dst = operandRef(f, 'd');
  const p = { sqrt: ctx.numerics.pts.sqrt, inputBits: ELEM_BITS[srcRef.type], varianceBits: ctx.numerics.pts.varianceBits, outputBits: ELEM_BITS[dst.type] };
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    out.set(ptsLayerNormRow(src.subarray(r * cols, (r + 1) * cols), { alpha, m, n, b }, p, `${ctx.site} row ${r}`).out, r * cols);
  }
  writeRows(st, dst, rows, cols, out, 'layernorm (pts)');
}

export const layernorm: InstructionBehaviour<'layernorm'> = {
  reportClass: 'layernorm',
  footprint(f) {
    const tables: Access[] = [];
    if (f.qmode !== 'none') tables.push(tableAccess(f.qtab, tableEntries(f.qmode, f.cols), 'fused requant table'));
    if (f.bmode === 'table') tables.push({ space: 'spad', lo: f.btab, hi: f.btab + 4 * f.cols, write: false, what: 'bias table' });
    if (f.lnmode === 'pts') {
      tables.push({ space: 'spad', lo: f.atab, hi: f.atab + f.cols, write: false, what: 'α table' });
      tables.push({ space: 'spad', lo: f.ptab, hi: f.ptab + PTS_ENTRY_BYTES * f.cols, write: false, what: '(M, N, B) table' });
    }
    return sduFootprint(
      [operandAccess(operandRef(f, 's'), f.rows, f.cols, false, 'source')],
      operandAccess(operandRef(f, 'd'), f.rows, f.cols, true, 'destination'),
      tables,
    );
  },
  cost: (f, cfg) =>
    f.lnmode === 'pts'
      ? ptsLayerNormCost(f.rows, f.cols, cfg.sdu.lanes, numericsOf(cfg).pts.sqrt)
      : sduCost('layernorm', f.rows, f.cols, cfg.sdu.lanes, f.qmode !== 'none', cfg.sdu.form),
  execute(st, f, ctx) {
    if (f.lnmode === 'pts') return executePts(st, f, ctx);
    const { rows, cols } = f;
    const n = ctx.numerics;
    const srcRef = operandRef(f, 's');
    const dst = operandRef(f, 'd');
    const src = readRows(st, srcRef, rows, cols);
    const bias = f.bmode === 'table' ? new Int32Array(st.spad.slice(f.btab, f.btab + 4 * cols).buffer) : undefined;
    const p = { sqrt: n.sqrt, mean: n.lnMean, halve: n.lnHalve, inputBits: ELEM_BITS[srcRef.type], varianceBits: n.lnVarianceBits, outputBits: n.lnOutputBits };
    const out = new Float64Array(rows * cols);
    layerNormRows(src, rows, cols, bias, p, ctx.site, out);
    writeResults(st, out, dst, rows, cols, f.qmode, f.qtab, n, 'layernorm');
  },
};
