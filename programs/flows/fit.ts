/**
 * `ivit fit`: the smallest SDU lanes, scratchpad and accumulator with which a model reaches a MAC-utilisation
 * target on a given array. Every candidate is compiled and simulated for timing (sweep points on worker threads).
 *
 * Utilisation is not monotone in the resources (a larger scratchpad gives the plan wider weight tiles, which can
 * delay the SDU), so the search does not assume it. First it climbs: from the given machine, one resource at a time
 * (lanes, scratchpad, accumulator), it takes the candidate with the highest utilisation, until a round changes
 * nothing. If that best machine misses the target, the result says what limits it. Otherwise it shrinks: one
 * resource at a time, the smallest candidate that still meets the target with the others at their values so far.
 * The machine returned is one that was simulated as it stands, so its figures are measured, not inferred.
 */
import { type AcceleratorConfig, applyOverrides } from '../../sim/config.js';
import type { SweepRow } from './sweep-point.js';

export type FitResource = 'lanes' | 'scratchpad' | 'accumulator';

/** The configuration key each resource sets, and how a value of it reads. */
export const FIT_RESOURCES: Readonly<Record<FitResource, { key: string; unit: string; show: (v: number) => string }>> = {
  lanes: { key: 'sdu.lanes', unit: 'lanes', show: (v) => `${v} lanes` },
  scratchpad: { key: 'scratchpad.bytes', unit: 'bytes', show: (v) => `${binary(v)}B scratchpad` },
  accumulator: { key: 'accumulator.words', unit: 'words', show: (v) => `${binary(v)} accumulator words` },
};

const ORDER: readonly FitResource[] = ['lanes', 'scratchpad', 'accumulator'];

/** 65536 → "64 Ki", 1048576 → "1 Mi", 1000 → "1000 " (exact powers only, so nothing is rounded away). */
function binary(v: number): string {
  if (v >= 1 << 20 && v % (1 << 20) === 0) return `${v / (1 << 20)} Mi`;
  if (v >= 1 << 10 && v % (1 << 10) === 0) return `${v / (1 << 10)} Ki`;
  return `${v} `;
}

/** The defaults: powers of two from a small machine to the largest the configuration allows. */
export const DEFAULT_CANDIDATES: Readonly<Record<FitResource, readonly number[]>> = {
  lanes: [4, 8, 16, 32, 64, 128, 256],
  scratchpad: [1, 2, 4, 8, 16, 32, 64].map((k) => k << 18), // 256 KiB … 16 MiB
  accumulator: [1, 2, 4, 8, 16, 32, 64].map((k) => k << 14), // 16 Ki … 1 Mi words
};

export interface FitQuery {
  /** the machine: array shape, dataflow, DMA; its lanes, scratchpad and accumulator are what the search sets */
  base: AcceleratorConfig;
  /** MAC utilisation to reach, as a fraction of ideal MAC cycles (0.9) */
  target: number;
  /** also require SDU exposed ≤ this fraction of the run (the issue's 5%), when given */
  maxSduExposed?: number;
  candidates: Readonly<Record<FitResource, readonly number[]>>;
}

/** Simulate these machines; rows come back in the same order (programs/flows/sweep-run.ts in the CLI). */
export type Evaluate = (configs: readonly AcceleratorConfig[]) => Promise<SweepRow[]>;

export interface FitTrial {
  value: number;
  row: SweepRow;
  meets: boolean;
}

export interface FitStep {
  resource: FitResource;
  trials: FitTrial[];
  chosen: number;
  reason: string;
}

export interface FitResult {
  reached: boolean;
  /** the machine chosen (reached), or the best one found (not reached) */
  config: AcceleratorConfig;
  row: SweepRow;
  /** the machine with the highest utilisation the climb found */
  best: { config: AcceleratorConfig; row: SweepRow };
  /** the shrinking steps, one per resource (none when the target is out of reach) */
  steps: FitStep[];
  /** what keeps the target out of reach, by how much (only when not reached) */
  limit?: string;
  simulated: number;
}

export class FitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FitError';
  }
}

function checkQuery(q: FitQuery): void {
  if (!(q.target > 0 && q.target <= 1)) throw new FitError(`target must be a fraction in (0, 1], got ${q.target}`);
  if (q.maxSduExposed !== undefined && !(q.maxSduExposed >= 0 && q.maxSduExposed <= 1))
    throw new FitError(`SDU exposed limit must be a fraction in [0, 1], got ${q.maxSduExposed}`);
  for (const r of ORDER) {
    const list = q.candidates[r];
    if (list.length === 0) throw new FitError(`no candidates for ${r}`);
    for (const v of list) if (!Number.isSafeInteger(v) || v < 1) throw new FitError(`${r} candidate ${v} must be a positive integer`);
  }
}

export function meetsTarget(row: SweepRow, q: Pick<FitQuery, 'target' | 'maxSduExposed'>): boolean {
  if (row.error !== undefined || row.macUtilisation === undefined) return false;
  if (row.macUtilisation < q.target) return false;
  return q.maxSduExposed === undefined || (row.sduExposedFraction ?? 1) <= q.maxSduExposed;
}

const pct = (f: number | undefined): string => (f === undefined ? '—' : `${(100 * f).toFixed(1)}%`);

function withResources(base: AcceleratorConfig, values: Record<FitResource, number>): AcceleratorConfig {
  return applyOverrides(
    base,
    ORDER.map((r) => `${FIT_RESOURCES[r].key}=${values[r]}`),
  );
}

/** Why the best machine misses: the SDU when it is exposed past the limit, else the array's plan. */
function limitOf(row: SweepRow, q: FitQuery, at3: Record<FitResource, number>): string {
  const at = ORDER.map((r) => FIT_RESOURCES[r].show(at3[r])).join(', ');
  if (row.error !== undefined) return `no machine tried runs (${at}: ${row.error})`;
  const util = row.macUtilisation ?? 0;
  const exposed = row.sduExposedFraction ?? 0;
  const short = `${pct(util)} of ideal MAC cycles against ${pct(q.target)} (${(100 * (q.target - util)).toFixed(1)} points short)`;
  if (q.maxSduExposed !== undefined && exposed > q.maxSduExposed && util >= q.target)
    return `SDU: exposed ${pct(exposed)} of the run with ${at}, above the ${pct(q.maxSduExposed)} limit`;
  if (exposed > 0.05) return `SDU: ${short} with ${at}; the SDU is exposed ${pct(exposed)} of the run`;
  return `array and plan: ${short} with ${at}; the SDU is exposed only ${pct(exposed)}, so more lanes or memory do not help (DMA at ${row.dmaBytesPerCycle} B/cycle)`;
}

const score = (row: SweepRow): number => (row.error !== undefined || row.macUtilisation === undefined ? -1 : row.macUtilisation);

export async function fitResources(q: FitQuery, evaluate: Evaluate): Promise<FitResult> {
  checkQuery(q);
  const baseValues: Record<FitResource, number> = { lanes: q.base.sdu.lanes, scratchpad: q.base.scratchpad.bytes, accumulator: q.base.accumulator.words };
  // the given machine's own values are candidates too, so the climb starts from a point on the grid
  const sorted = Object.fromEntries(ORDER.map((r) => [r, [...new Set([...q.candidates[r], baseValues[r]])].sort((a, b) => a - b)])) as Record<
    FitResource,
    number[]
  >;
  const cache = new Map<string, { config: AcceleratorConfig; row: SweepRow }>();
  const keyOf = (v: Record<FitResource, number>): string => ORDER.map((r) => v[r]).join(',');
  /** the points of these value sets, simulating only those not seen before */
  const points = async (sets: Array<Record<FitResource, number>>): Promise<Array<{ config: AcceleratorConfig; row: SweepRow }>> => {
    const fresh = [...new Map(sets.filter((v) => !cache.has(keyOf(v))).map((v) => [keyOf(v), v])).values()];
    const configs = fresh.map((v) => withResources(q.base, v));
    const rows = configs.length ? await evaluate(configs) : [];
    if (rows.length !== configs.length) throw new FitError(`the evaluator returned ${rows.length} rows for ${configs.length} machines`);
    fresh.forEach((v, i) => cache.set(keyOf(v), { config: configs[i]!, row: rows[i]! }));
    return sets.map((v) => cache.get(keyOf(v))!);
  };
  const along = (values: Record<FitResource, number>, resource: FitResource, list: readonly number[]): Array<Record<FitResource, number>> =>
    list.map((v) => ({ ...values, [resource]: v }));

  // climb to the highest utilisation (ties: the smaller machine)
  const values = { ...baseValues };
  let [best] = await points([values]);
  for (let round = 0, changed = true; changed && round < 4; round++) {
    changed = false;
    for (const resource of ORDER) {
      const tried = await points(along(values, resource, sorted[resource]));
      const top = tried.reduce((a, b, i) => (score(b.row) > score(tried[a]!.row) ? i : a), 0);
      if (sorted[resource][top] !== values[resource] && score(tried[top]!.row) > score(best!.row)) {
        values[resource] = sorted[resource][top]!;
        best = tried[top]!;
        changed = true;
      }
    }
  }
  const bestPoint = best!;
  if (!meetsTarget(bestPoint.row, q))
    return {
      reached: false,
      config: bestPoint.config,
      row: bestPoint.row,
      best: bestPoint,
      steps: [],
      limit: limitOf(bestPoint.row, q, values),
      simulated: cache.size,
    };

  // shrink each resource to its smallest candidate that keeps the target
  let chosen = bestPoint;
  const steps: FitStep[] = [];
  for (const resource of ORDER) {
    const smaller = sorted[resource].filter((v) => v < values[resource]);
    const tried = await points(along(values, resource, smaller));
    const trials: FitTrial[] = smaller.map((value, i) => ({ value, row: tried[i]!.row, meets: meetsTarget(tried[i]!.row, q) }));
    const first = trials.findIndex((t) => t.meets);
    const show = FIT_RESOURCES[resource].show;
    let reason: string;
    if (first < 0) {
      const below = trials[trials.length - 1];
      reason = below
        ? `${show(values[resource])}: ${show(below.value)} gives ${below.row.error ? `an error: ${below.row.error}` : pct(below.row.macUtilisation)}`
        : `${show(values[resource])}: the smallest candidate`;
    } else {
      const t = trials[first]!;
      values[resource] = t.value;
      chosen = tried[first]!;
      const below = first > 0 ? trials[first - 1]! : undefined;
      reason = below
        ? `${show(t.value)} (${pct(t.row.macUtilisation)}); ${show(below.value)} gives ${below.row.error ? `an error: ${below.row.error}` : pct(below.row.macUtilisation)}`
        : `${show(t.value)} (${pct(t.row.macUtilisation)}): the smallest candidate`;
    }
    steps.push({ resource, trials, chosen: values[resource], reason });
  }
  return { reached: true, config: chosen.config, row: chosen.row, best: bestPoint, steps, simulated: cache.size };
}

/** The result as the terminal shows it. */
export function fitText(model: string, q: FitQuery, r: FitResult): string {
  const a = q.base.array;
  const want = `${pct(q.target)} of ideal MAC cycles${q.maxSduExposed !== undefined ? ` with SDU exposed ≤ ${pct(q.maxSduExposed)}` : ''}`;
  const L = [`ivit fit: ${model} on ${a.rows}×${a.cols} ${a.dataflow.toUpperCase()}, target ${want}`];
  if (!r.reached) {
    L.push(`  not reachable: ${r.limit}`);
  } else {
    for (const s of r.steps) L.push(`  ${s.resource.padEnd(12)} ${s.reason}`);
    const c = r.config;
    L.push(
      `  chosen: ${c.sdu.lanes} SDU lanes, scratchpad ${c.scratchpad.bytes} bytes, accumulator ${c.accumulator.words} words: ` +
        `${pct(r.row.macUtilisation)} of ideal MAC cycles, SDU exposed ${pct(r.row.sduExposedFraction)}, ${r.row.cycles} cycles`,
    );
  }
  L.push(`  ${r.simulated} machines compiled and simulated`);
  return L.join('\n') + '\n';
}
