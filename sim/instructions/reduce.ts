/** reduce: the max or the sum of each row, one element per row. */
import type { InstructionBehaviour } from './behaviour.js';
import { operandAccess, sduFootprint } from '../footprint.js';
import { operandRef, readRows, writeRows } from '../exec/operands.js';
import { sduCost } from '../timing/units.js';

export const reduce: InstructionBehaviour<'reduce'> = {
  reportClass: 'reduce',
  footprint: (f) =>
    sduFootprint([operandAccess(operandRef(f, 's'), f.rows, f.cols, false, 'source')], operandAccess(operandRef(f, 'd'), f.rows, 1, true, 'destination'), []),
  // A reduction streams its row through the requant datapath's adder/comparator tree one beat per cycle: the
  // requant unit's timing (rtl-gen has no separate reduction unit).
  cost: (f, cfg) => sduCost('requant', f.rows, f.cols, cfg.sdu.lanes, false),
  execute(st, f) {
    const { rows, cols } = f;
    const src = readRows(st, operandRef(f, 's'), rows, cols);
    const out = new Float64Array(rows);
    const isMax = f.kind === 'max';
    for (let r = 0; r < rows; r++) {
      let v = isMax ? -Infinity : 0;
      for (let c = 0; c < cols; c++) {
        const x = src[r * cols + c]!;
        v = isMax ? Math.max(v, x) : v + x;
      }
      out[r] = v;
    }
    writeRows(st, operandRef(f, 'd'), rows, 1, out, 'reduce');
  },
};
