/** shiftmax: I-ViT's Shiftmax of each row (numerics.md §3). */
import { ELEM_BITS } from '../../isa/table.js';
import type { InstructionBehaviour } from './behaviour.js';
import { operandAccess, sduFootprint } from '../footprint.js';
import { operandRef, readRows, writeRows } from '../exec/operands.js';
import { shiftmaxRows } from '../exec/fast-exp.js';
import { sduCost } from '../timing/units.js';

export const shiftmax: InstructionBehaviour<'shiftmax'> = {
  reportClass: 'shiftmax',
  footprint: (f) =>
    sduFootprint(
      [operandAccess(operandRef(f, 's'), f.rows, f.cols, false, 'source')],
      operandAccess(operandRef(f, 'd'), f.rows, f.cols, true, 'destination'),
      [],
    ),
  cost: (f, cfg) => sduCost('shiftmax', f.rows, f.cols, cfg.sdu.lanes, false, cfg.sdu.form),
  execute(st, f, ctx) {
    const srcRef = operandRef(f, 's');
    const src = readRows(st, srcRef, f.rows, f.cols);
    const out = new Float64Array(f.rows * f.cols);
    const p = { x0: f.x0, n: f.n, k: f.k, flavour: ctx.numerics.flavour, inputBits: ELEM_BITS[srcRef.type], expBits: ctx.numerics.expBits };
    shiftmaxRows(src, f.rows, f.cols, p, ctx.site, out);
    writeRows(st, operandRef(f, 'd'), f.rows, f.cols, out, 'shiftmax');
  },
};
