/**
 * report.json as `ivit run --report` and `ivit sim --report` write it, and reading it back with a clear error
 * naming the file and the missing or malformed field.
 */
import { readFileSync } from 'node:fs';
import type { AcceleratorConfig } from '../sim/config.js';
import type { SimReport } from '../sim/report/stats.js';
import type { ActivityTimeline } from '../sim/report/activity.js';
import type { CompilerReport } from '../programs/flows/op-report.js';

export interface RunReportFile extends SimReport {
  config: AcceleratorConfig;
  /** the units' activity over time, binned (sim/report/activity.ts) */
  activity: ActivityTimeline;
  /** present when `ivit run` wrote the file: the model, the bit-exact verdict and the compiler's tables */
  model?: string;
  bitExact?: boolean | null;
  compiler?: Omit<CompilerReport, 'layers'>;
}

export class ReportInputError extends Error {}

function need(ok: boolean, file: string, what: string): void {
  if (!ok) throw new ReportInputError(`${file}: not a run report (${what}); ivit run --report DIR or ivit sim --report DIR writes one`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseRunReport(text: string, file: string): RunReportFile {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ReportInputError(`${file}: not JSON (${(e as Error).message})`);
  }
  need(isObject(v), file, 'the top level is not an object');
  const o = v as Record<string, unknown>;
  for (const k of ['totalCycles', 'timeMs', 'macs', 'peUtilisation'] as const) need(typeof o[k] === 'number', file, `"${k}" is not a number`);
  for (const k of ['machine', 'config', 'units', 'sdu', 'dma', 'stalls', 'activity'] as const) need(isObject(o[k]), file, `"${k}" is missing`);
  need(Array.isArray(o.regions), file, '"regions" is not a list');
  const cfg = o.config as Record<string, unknown>;
  need(isObject(cfg.array) && isObject(cfg.dma) && isObject(cfg.sdu), file, '"config" has no array, dma or sdu');
  const a = o.activity as Record<string, unknown>;
  need(typeof a.binCycles === 'number' && isObject(a.busy) && Array.isArray(a.arrayAndSdu), file, '"activity" is incomplete');
  return v as RunReportFile;
}

/** A report input's text, or the user's one-line error naming the file and why it cannot be read. */
export function readReportInput(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new ReportInputError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

export function readRunReport(file: string): RunReportFile {
  return parseRunReport(readReportInput(file), file);
}
