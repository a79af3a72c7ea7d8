/** requant: dyadic requantisation of a block, one (m, c) pair or one per column. */
import { ELEM_BITS } from '../../isa/table.js';
import type { InstructionBehaviour } from './behaviour.js';
import { operandAccess, sduFootprint, tableAccess } from '../footprint.js';
import { operandRef, readRows, writeRows } from '../exec/operands.js';
import { readTable, requantInPlace, requantOut, tableEntries } from '../exec/sdu.js';
import { sduCost } from '../timing/units.js';

export const requant: InstructionBehaviour<'requant'> = {
  reportClass: 'requant',
  footprint: (f) =>
    sduFootprint([operandAccess(operandRef(f, 's'), f.rows, f.cols, false, 'source')], operandAccess(operandRef(f, 'd'), f.rows, f.cols, true, 'destination'), [
      tableAccess(f.qtab, tableEntries(f.qmode, f.cols), 'requant table'),
    ]),
  cost: (f, cfg) => sduCost('requant', f.rows, f.cols, cfg.sdu.lanes, false),
  execute(st, f, ctx) {
    const dst = operandRef(f, 'd');
    if (requantInPlace(st, operandRef(f, 's'), dst, f.rows, f.cols, f.qtab, f.qmode, ctx.numerics)) return;
    const src = readRows(st, operandRef(f, 's'), f.rows, f.cols);
    const table = readTable(st, f.qtab, f.qmode, f.cols);
    writeRows(st, dst, f.rows, f.cols, requantOut(src, f.rows, f.cols, table, f.qmode === 'channel', ELEM_BITS[dst.type], ctx.numerics), 'requant');
  },
};
