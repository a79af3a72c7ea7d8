/**
 * What each unit was doing over time: the busy and stall slices the Perfetto trace shows, and the same slices
 * binned into a fixed number of time bins for the HTML report (fraction of each bin a unit was busy or stalled,
 * and how much of it the array and the SDU were busy together).
 */
import type { SimRun, StallCause } from '../engine.js';
import { UNITS, type UnitName, perUnit } from '../../isa/table.js';

export interface UnitSlice {
  unit: UnitName;
  /** index into run.executed */
  index: number;
  kind: 'busy' | 'stall';
  start: number;
  end: number;
  /** for a stall: the cause with the most cycles while the instruction waited at its queue's head */
  cause?: StallCause;
}

/**
 * One busy slice per instruction and, before it, one stall slice when its unit sat idle with it at the head
 * (from its dispatch, or the unit's previous instruction's end, until it started), named by its main cause.
 */
export function unitSlices(run: SimRun): UnitSlice[] {
  const out: UnitSlice[] = [];
  const lastEnd = perUnit(0);
  run.executed.forEach((x, index) => {
    const since = Math.max(x.dispatch, lastEnd[x.unit]);
    lastEnd[x.unit] = x.end;
    const causes = Object.entries(x.stalls) as [StallCause, number][];
    if (x.start > since && causes.length > 0) {
      const cause = causes.sort((a, b) => b[1] - a[1])[0]![0];
      out.push({ unit: x.unit, index, kind: 'stall', start: since, end: x.start, cause });
    }
    out.push({ unit: x.unit, index, kind: 'busy', start: x.start, end: x.end });
  });
  return out;
}

export interface ActivityTimeline {
  /** cycles per bin (the last bin may reach past the end of the run; no bin starts past it) */
  binCycles: number;
  bins: number;
  /** per unit and bin: the fraction of the bin's cycles the unit was busy, and stalled */
  busy: Record<UnitName, number[]>;
  stall: Record<UnitName, number[]>;
  /** per bin: the fraction of cycles with the array (compute unit) and the SDU both busy, and the SDU busy alone */
  arrayAndSdu: number[];
  sduAlone: number[];
  arrayAlone: number[];
}

/** Adds the interval [lo, hi) to per-bin cycle counts. */
function addSpan(acc: Float64Array, lo: number, hi: number, binCycles: number): void {
  while (lo < hi) {
    const b = Math.floor(lo / binCycles);
    const edge = Math.min(hi, (b + 1) * binCycles);
    acc[b]! += edge - lo;
    lo = edge;
  }
}

/** Intersection of two sorted lists of disjoint intervals. */
function intersect(a: readonly [number, number][], b: readonly [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const lo = Math.max(a[i]![0], b[j]![0]);
    const hi = Math.min(a[i]![1], b[j]![1]);
    if (lo < hi) out.push([lo, hi]);
    if (a[i]![1] < b[j]![1]) i++;
    else j++;
  }
  return out;
}

export function activityTimeline(run: SimRun, bins = 240): ActivityTimeline {
  const total = Math.max(1, run.cycles);
  const binCycles = Math.ceil(total / Math.max(1, Math.min(bins, total)));
  const n = Math.ceil(total / binCycles); // at most `bins`, and no bin starts past the end
  const busy = Object.fromEntries(UNITS.map((u) => [u, new Float64Array(n)])) as Record<UnitName, Float64Array>;
  const stall = Object.fromEntries(UNITS.map((u) => [u, new Float64Array(n)])) as Record<UnitName, Float64Array>;
  const spans = Object.fromEntries(UNITS.map((u) => [u, [] as [number, number][]])) as Record<UnitName, [number, number][]>;
  for (const s of unitSlices(run)) {
    addSpan(s.kind === 'busy' ? busy[s.unit] : stall[s.unit], s.start, s.end, binCycles);
    if (s.kind === 'busy' && s.end > s.start) spans[s.unit].push([s.start, s.end]);
  }
  // each unit runs one instruction at a time, so its busy spans are disjoint; sorting makes them ordered
  const arr = spans.compute.sort((p, q) => p[0] - q[0]);
  const sdu = spans.sdu.sort((p, q) => p[0] - q[0]);
  const both = new Float64Array(n);
  for (const [lo, hi] of intersect(arr, sdu)) addSpan(both, lo, hi, binCycles);
  // four decimals: the report draws percentages, and report.json stays small
  const round = (f: number): number => Math.round(f * 1e4) / 1e4;
  const frac = (a: Float64Array): number[] => Array.from(a, (v) => round(v / binCycles));
  return {
    binCycles,
    bins: n,
    busy: Object.fromEntries(UNITS.map((u) => [u, frac(busy[u])])) as Record<UnitName, number[]>,
    stall: Object.fromEntries(UNITS.map((u) => [u, frac(stall[u])])) as Record<UnitName, number[]>,
    arrayAndSdu: frac(both),
    sduAlone: Array.from(busy.sdu, (v, i) => round((v - both[i]!) / binCycles)),
    arrayAlone: Array.from(busy.compute, (v, i) => round((v - both[i]!) / binCycles)),
  };
}
