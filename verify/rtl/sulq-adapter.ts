/**
 * The I&S-ViT SULQ decode lane's co-simulation adapter: each case is one beat (P, V); the expected code, shift
 * and V << shift come from the golden op (verify/golden/ops/sulq.ts): the code as sulqRow gives it, the shift
 * from the same constants' decode table.
 */
import type { GeneratedUnit } from '../../rtl-gen/design.js';
import type { UnitAdapter } from './cosim.js';
import { type SulqLaneParams, sulqLaneWidths } from '../../rtl-gen/units/sulq-lane.js';
import { sulqParams, sulqRow } from '../golden/ops/sulq.js';

export interface SulqLaneCase {
  p: number;
  v: number;
}

export function sulqLaneAdapter(u: GeneratedUnit, lane: SulqLaneParams): UnitAdapter<SulqLaneCase[]> {
  const k = sulqLaneWidths(lane).constants;
  if (u.params.h !== k.eta || u.params.levels !== k.levels) throw new RangeError(`sulq-lane: unit ${u.top} was not generated with these constants`);
  const q = sulqParams(k);
  const big = BigInt;
  return {
    unit: u,
    beats: (row) => row.map((c) => [[big(c.p)], [big(c.v)]]),
    expected: (row) => {
      const codes = sulqRow(
        row.map((c) => c.p),
        q,
        'rtl cosim',
      );
      return row.map((c, j) => {
        const s = k.shifts[codes[j]!]!;
        return [[big(codes[j]!)], [big(s)], [big(c.v) << big(s)]];
      });
    },
    describe: (row) => row.map((c) => `(P ${c.p}, V ${c.v})`).join(' '),
  };
}
