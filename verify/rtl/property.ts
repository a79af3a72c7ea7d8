/**
 * fast-check over co-simulation. Spawning a simulator per drawn case would be slow, so all drawn rows go
 * through one simulation; only if one mismatches does fast-check take over, re-simulating single rows
 * while it shrinks the failure to a minimal case, which the thrown error prints.
 */
import fc from 'fast-check';
import { type CosimResult, type UnitAdapter, cosimulate, formatMismatch } from './cosim.js';
import type { SimBuild } from './simulate.js';

export interface PropertyRun {
  vectors: number;
  rows: number;
  result: CosimResult;
}

export function assertRowsMatchGolden<Row>(
  adapter: UnitAdapter<Row>,
  build: SimBuild,
  rowArb: fc.Arbitrary<Row>,
  opts: { numRuns: number; seed: number; extraRows?: Row[] },
): PropertyRun {
  const rows = [...(opts.extraRows ?? []), ...fc.sample(rowArb, { numRuns: opts.numRuns, seed: opts.seed })];
  const result = cosimulate(adapter, build, rows);
  if (result.mismatches.length === 0) return { vectors: result.vectors, rows: rows.length, result };
  const first = result.mismatches[0]!;
  const failing = rows[first.row];
  const summary = `${result.mismatches.length} mismatching values; first: ${formatMismatch(adapter, rows, first)}`;
  if (failing === undefined) throw new Error(summary);
  // Shrink: a single row is re-simulated per candidate.
  fc.assert(
    fc.property(rowArb, (row) => {
      const r = cosimulate(adapter, build, [row]);
      if (r.mismatches.length > 0) throw new Error(formatMismatch(adapter, [row], r.mismatches[0]!));
    }),
    { examples: [[failing]], numRuns: 1, seed: opts.seed, includeErrorInReport: true },
  );
  // the failure did not reproduce on its own: it depends on the row order (state leaking between rows)
  throw new Error(`${summary} (only in sequence with the rows before it)`);
}
