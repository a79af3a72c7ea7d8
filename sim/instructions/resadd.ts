/** resadd: the residual add, each branch requantised on its own and only the sum clamped. */
import { ELEM_BITS } from '../../isa/table.js';
import type { InstructionBehaviour } from './behaviour.js';
import { operandAccess, sduFootprint, tableAccess } from '../footprint.js';
import { operandRef, readRows, writeRows } from '../exec/operands.js';
import { readTable, resaddInPlace, tableEntries } from '../exec/sdu.js';
import { residualBlock } from '../exec/fast-requant.js';
import { sduCost } from '../timing/units.js';

export const resadd: InstructionBehaviour<'resadd'> = {
  reportClass: 'resadd',
  footprint: (f) =>
    sduFootprint(
      [operandAccess(operandRef(f, 'x'), f.rows, f.cols, false, 'x'), operandAccess(operandRef(f, 'y'), f.rows, f.cols, false, 'y')],
      operandAccess(operandRef(f, 'd'), f.rows, f.cols, true, 'destination'),
      [tableAccess(f.qx, tableEntries(f.qxmode, f.cols), 'x requant table'), tableAccess(f.qy, tableEntries(f.qymode, f.cols), 'y requant table')],
    ),
  // The residual add runs on the requant datapath: its two branch multipliers take one beat per cycle side by
  // side, so a row costs what a requant row costs (rtl-gen has no separate residual unit).
  cost: (f, cfg) => sduCost('requant', f.rows, f.cols, cfg.sdu.lanes, false),
  execute(st, f, ctx) {
    const { rows, cols } = f;
    const dst = operandRef(f, 'd');
    if (resaddInPlace(st, operandRef(f, 'x'), f.qx, f.qxmode, operandRef(f, 'y'), f.qy, f.qymode, dst, rows, cols, ctx.numerics)) return;
    const x = readRows(st, operandRef(f, 'x'), rows, cols);
    const y = readRows(st, operandRef(f, 'y'), rows, cols);
    const tx = readTable(st, f.qx, f.qxmode, cols);
    const ty = readTable(st, f.qy, f.qymode, cols);
    const out = new Float64Array(rows * cols);
    residualBlock(x, tx, f.qxmode === 'channel', y, ty, f.qymode === 'channel', rows, cols, ELEM_BITS[dst.type], ctx.numerics.requantTie, out);
    writeRows(st, dst, rows, cols, out, 'resadd');
  },
};
