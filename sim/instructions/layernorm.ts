/** layernorm: I-LayerNorm of each row (numerics.md §5), the golden row op row by row, optionally requantised. */
import { ELEM_BITS } from '../../isa/table.js';
import { layerNormRow } from '../../verify/golden/ops/layernorm.js';
import type { InstructionBehaviour } from './behaviour.js';
import { type Access, operandAccess, sduFootprint, tableAccess } from '../footprint.js';
import { operandRef, readRows, writeRows } from '../exec/operands.js';
import { fusedRequant, tableEntries } from '../exec/sdu.js';
import { sduCost } from '../timing/units.js';

export const layernorm: InstructionBehaviour<'layernorm'> = {
  reportClass: 'layernorm',
  footprint(f) {
    const tables: Access[] = [];
    if (f.qmode !== 'none') tables.push(tableAccess(f.qtab, tableEntries(f.qmode, f.cols), 'fused requant table'));
    if (f.bmode === 'table') tables.push({ space: 'spad', lo: f.btab, hi: f.btab + 4 * f.cols, write: false, what: 'bias table' });
    return sduFootprint(
      [operandAccess(operandRef(f, 's'), f.rows, f.cols, false, 'source')],
      operandAccess(operandRef(f, 'd'), f.rows, f.cols, true, 'destination'),
      tables,
    );
  },
  cost: (f, cfg) => sduCost('layernorm', f.rows, f.cols, cfg.sdu.lanes, f.qmode !== 'none'),
  execute(st, f, ctx) {
    const { rows, cols } = f;
    const n = ctx.numerics;
    const srcRef = operandRef(f, 's');
    const dst = operandRef(f, 'd');
    const src = readRows(st, srcRef, rows, cols);
    const bias = f.bmode === 'table' ? new Int32Array(st.spad.slice(f.btab, f.btab + 4 * cols).buffer) : undefined;
    const out = new Float64Array(rows * cols);
    const p = { sqrt: n.sqrt, mean: n.lnMean, halve: n.lnHalve, inputBits: ELEM_BITS[srcRef.type], varianceBits: n.lnVarianceBits, outputBits: n.lnOutputBits };
    for (let r = 0; r < rows; r++) out.set(layerNormRow(src.subarray(r * cols, (r + 1) * cols), bias, p, `${ctx.site} row ${r}`).out, r * cols);
    writeRows(st, dst, rows, cols, fusedRequant(st, out, rows, cols, f.qmode, f.qtab, ELEM_BITS[dst.type], n), 'layernorm');
  },
};
