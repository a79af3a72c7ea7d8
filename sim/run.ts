/** One call from a program image to a finished run with its report, and writers for the report files. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProgramImage } from '../isa/container.js';
import { simulate, type SimOptions, type SimRun } from './engine.js';
import { buildReport, type SimReport } from './report/stats.js';
import { bandwidthReportCsv, computeReportCsv } from './report/csv.js';
import { traceEvents } from './report/trace.js';

export interface RunResult {
  run: SimRun;
  report: SimReport;
}

export function runProgram(image: ProgramImage, opts: SimOptions): RunResult {
  const run = simulate(image, opts);
  const report = buildReport(run, image, opts.config, { values: !opts.timingOnly, detailedArray: opts.detailedArray ?? false });
  return { run, report };
}

/** COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv and report.json into `dir`. */
export function writeReportDir(dir: string, result: RunResult, opts: SimOptions): string[] {
  mkdirSync(dir, { recursive: true });
  const files: [string, string][] = [
    ['COMPUTE_REPORT.csv', computeReportCsv(result.report, opts.config)],
    ['BANDWIDTH_REPORT.csv', bandwidthReportCsv(result.report)],
    ['report.json', `${JSON.stringify({ config: opts.config, ...result.report }, null, 2)}\n`],
  ];
  for (const [name, text] of files) writeFileSync(join(dir, name), text);
  return files.map(([name]) => join(dir, name));
}

export function writeTrace(file: string, result: RunResult, image: ProgramImage, opts: SimOptions): void {
  writeFileSync(file, JSON.stringify(traceEvents(result.run, image, opts.config)));
}
