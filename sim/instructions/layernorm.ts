/** layernorm: I-LayerNorm of each row (numerics.md §5), optionally requantised. */
import { ELEM_BITS } from '../../isa/table.js';
import type { InstructionBehaviour } from './behaviour.js';
import { type Access, operandAccess, sduFootprint, tableAccess } from '../footprint.js';
import { operandRef, readRows } from '../exec/operands.js';
import { tableEntries, writeResults } from '../exec/sdu.js';
import { layerNormRows } from '../exec/fast-layernorm.js';
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
    const p = { sqrt: n.sqrt, mean: n.lnMean, halve: n.lnHalve, inputBits: ELEM_BITS[srcRef.type], varianceBits: n.lnVarianceBits, outputBits: n.lnOutputBits };
    const out = new Float64Array(rows * cols);
    layerNormRows(src, rows, cols, bias, p, ctx.site, out);
    writeResults(st, out, dst, rows, cols, f.qmode, f.qtab, n, 'layernorm');
  },
};
