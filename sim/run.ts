/** One call from a program image to a finished run with its report, and writers for the report files. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProgramImage } from '../isa/container.js';
import { simulate, type SimOptions, type SimRun } from './engine.js';
import { buildReport, type SimReport } from './report/stats.js';
import { scaleSimReportFiles } from './report/csv.js';
import { traceEvents } from './report/trace.js';
import { type ActivityTimeline, activityTimeline } from './report/activity.js';
import type { AcceleratorConfig } from './config.js';

export interface RunResult {
  run: SimRun;
  report: SimReport;
}

export function runProgram(image: ProgramImage, opts: SimOptions): RunResult {
  const run = simulate(image, opts);
  const report = buildReport(run, image, opts.config, { values: !opts.timingOnly, detailedArray: opts.detailedArray ?? false });
  return { run, report };
}

/** What report.json holds: the configuration, the report, and the units' activity over time (for the HTML report). */
export type ReportJson = SimReport & { config: AcceleratorConfig; activity: ActivityTimeline };

export function reportJson(result: RunResult, opts: SimOptions): ReportJson {
  return { config: opts.config, ...result.report, activity: activityTimeline(result.run) };
}

/**
 * SCALE-Sim's COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv and DETAILED_ACCESS_REPORT.csv, our SCALESIM_LAYERS.csv and
 * SDU_REPORT.csv beside them, and report.json (`data`: reportJson's, possibly with more fields) into `dir`.
 */
export function writeReportDir(dir: string, result: RunResult, opts: SimOptions, data: ReportJson = reportJson(result, opts)): string[] {
  mkdirSync(dir, { recursive: true });
  const files: [string, string][] = [...scaleSimReportFiles(result.run, result.report, opts.config), ['report.json', `${JSON.stringify(data, null, 2)}\n`]];
  for (const [name, text] of files) writeFileSync(join(dir, name), text);
  return files.map(([name]) => join(dir, name));
}

export function writeTrace(file: string, result: RunResult, image: ProgramImage, opts: SimOptions): void {
  writeFileSync(file, JSON.stringify(traceEvents(result.run, image, opts.config)));
}
