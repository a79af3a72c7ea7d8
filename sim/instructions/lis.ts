/** lis: FQ-ViT's Log-Int-Softmax of each row, to b-bit codes (−1 where the probability is 0). */
import { ELEM_BITS } from '../../isa/table.js';
import type { InstructionBehaviour } from './behaviour.js';
import { operandAccess, sduFootprint } from '../footprint.js';
import { operandRef, readRows, writeRows } from '../exec/operands.js';
import { lisRow } from '../../verify/golden/ops/lis.js';
import { lisCost } from '../timing/units.js';

/** The code the array's shift mode reads for a probability of 0. */
export const LIS_MASKED_CODE = -1;

export const lis: InstructionBehaviour<'lis'> = {
  reportClass: 'lis',
  footprint: (f) =>
    sduFootprint(
      [operandAccess(operandRef(f, 's'), f.rows, f.cols, false, 'source')],
      operandAccess(operandRef(f, 'd'), f.rows, f.cols, true, 'destination'),
      [],
    ),
  cost: (f, cfg) => lisCost(f.rows, f.cols, cfg.sdu.lanes),
  execute(st, f, ctx) {
    const srcRef = operandRef(f, 's');
    const src = readRows(st, srcRef, f.rows, f.cols);
    const n = ctx.numerics.lis;
    const p = { x0: f.x0, b: f.pb, c: f.pc, bits: f.bits, inputBits: ELEM_BITS[srcRef.type], polyBits: n.polyBits, sumBits: n.sumBits };
    const out = new Float64Array(f.rows * f.cols);
    for (let r = 0; r < f.rows; r++) {
      const row = lisRow(src.subarray(r * f.cols, (r + 1) * f.cols), p, `${ctx.site} row ${r}`);
      for (let j = 0; j < f.cols; j++) out[r * f.cols + j] = row.masked[j] ? LIS_MASKED_CODE : row.codes[j]!;
    }
    writeRows(st, operandRef(f, 'd'), f.rows, f.cols, out, 'lis');
  },
};
