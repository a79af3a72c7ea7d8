/**
 * Latency and initiation interval of each generated shift/divide-unit (SDU) datapath: the one set of
 * figures that the RTL generator's descriptors report, its test benches measure, and the simulator's
 * SDU timing model reads. Owned by rtl-gen: when a generator's pipeline changes, this file changes with it.
 */

export type SduUnitKind = 'shiftmax' | 'shiftgelu' | 'layernorm' | 'requant';

export interface SduUnitTiming {
  /** cycles from the first element of a row entering to the last result leaving */
  latency: number;
  /** cycles between the starts of two successive rows (the row's issue cost) */
  initiationInterval: number;
}

export interface SduTimingQuery {
  unit: SduUnitKind;
  /** elements per row (tokens for Shiftmax, hidden features for ShiftGELU, channels for LayerNorm) */
  rowLength: number;
  /** parallel lanes */
  lanes: number;
}

const ceilDiv = (a: number, b: number): number => Math.ceil(a / b);

/** Radix-2 sequential divider: one quotient bit per cycle plus a load and a done cycle. */
export function sequentialDividerCycles(quotientBits: number): number {
  return quotientBits + 2;
}

/**
 * Timing of one row through one unit. The figures model the generated pipelines (see docs/rtl.md):
 * passes over the row at `lanes` elements per cycle, plus the sequential divides that cannot overlap.
 */
export function sduRowTiming(q: SduTimingQuery): SduUnitTiming {
  const beats = ceilDiv(q.rowLength, q.lanes);
  switch (q.unit) {
    case 'requant':
      return { latency: beats + 4, initiationInterval: beats };
    case 'shiftmax': {
      // pass 1: max; pass 2: exp + sum; one 31-bit reciprocal; pass 3: normalise
      const div = sequentialDividerCycles(31);
      return { latency: 3 * beats + div + 6, initiationInterval: 3 * beats + div };
    }
    case 'shiftgelu':
      // pass 1: max; pass 2: per-element exp, pipelined exact divide, σ, x·σ
      return { latency: 2 * beats + 40, initiationInterval: 2 * beats };
    case 'layernorm': {
      // pass 1: sum; pass 2: variance; 10 Newton steps of a 48/28 divide; reciprocal; pass 3: scale + bias
      const sqrt = 10 * sequentialDividerCycles(33);
      const recip = sequentialDividerCycles(31);
      return { latency: 3 * beats + sqrt + recip + 6, initiationInterval: 3 * beats + sqrt + recip };
    }
  }
}
