/** shiftgelu: I-ViT's ShiftGELU of each row (numerics.md §4), optionally requantised on the way out. */
import { ELEM_BITS } from '../../isa/table.js';
import type { InstructionBehaviour } from './behaviour.js';
import { operandAccess, sduFootprint, tableAccess } from '../footprint.js';
import { operandRef, readRows } from '../exec/operands.js';
import { tableEntries, writeResults } from '../exec/sdu.js';
import { shiftGeluRows } from '../exec/fast-exp.js';
import { shiftGeluParams } from '../../verify/golden/ops/shiftgelu.js';
import { sduCost } from '../timing/units.js';

export const shiftgelu: InstructionBehaviour<'shiftgelu'> = {
  reportClass: 'shiftgelu',
  footprint: (f) =>
    sduFootprint(
      [operandAccess(operandRef(f, 's'), f.rows, f.cols, false, 'source')],
      operandAccess(operandRef(f, 'd'), f.rows, f.cols, true, 'destination'),
      f.qmode === 'none' ? [] : [tableAccess(f.qtab, tableEntries(f.qmode, f.cols), 'fused requant table')],
    ),
  cost: (f, cfg) => sduCost('shiftgelu', f.rows, f.cols, cfg.sdu.lanes, f.qmode !== 'none'),
  execute(st, f, ctx) {
    const srcRef = operandRef(f, 's');
    const dst = operandRef(f, 'd');
    const src = readRows(st, srcRef, f.rows, f.cols);
    const p = { ...shiftGeluParams(ctx.numerics, f.x0, ELEM_BITS[srcRef.type]), n: f.n, k: f.k };
    const out = new Float64Array(f.rows * f.cols);
    shiftGeluRows(src, f.rows, f.cols, p, ctx.site, out);
    writeResults(st, out, dst, f.rows, f.cols, f.qmode, f.qtab, ctx.numerics, 'shiftgelu');
  },
};
