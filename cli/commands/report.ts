/**
 * `ivit report <run dir | report.json | sweep.csv> [-o file.html]`: one self-contained HTML file of charts. A run's
 * report (what `ivit run --report DIR` writes) gives the per-layer, activity, roofline and overlap charts; a sweep
 * CSV (`ivit sweep -o sweep.csv`) gives latency against area with the Pareto front.
 */
import type { Command } from 'commander';
import { statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ReportInputError, readRunReport } from '../../report/run-file.js';
import { runReportHtml } from '../../report/run-report.js';
import { readSweepCsv, sweepReportHtml } from '../../report/sweep-report.js';
import { registerUserErrorClass } from '../errors.js';
import { checkOutputFile } from '../output-paths.js';

registerUserErrorClass(ReportInputError);

/** The file to read, and the default output beside it. */
function resolveInput(input: string): { file: string; kind: 'run' | 'sweep'; defaultOut: string } {
  let isDir = false;
  try {
    isDir = statSync(input).isDirectory();
  } catch (e) {
    throw new ReportInputError(`${input}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (isDir) return { file: join(input, 'report.json'), kind: 'run', defaultOut: join(input, 'report.html') };
  if (input.toLowerCase().endsWith('.csv')) return { file: input, kind: 'sweep', defaultOut: join(dirname(input), `${basename(input, '.csv')}.html`) };
  if (input.toLowerCase().endsWith('.json')) return { file: input, kind: 'run', defaultOut: join(dirname(input), `${basename(input, '.json')}.html`) };
  throw new ReportInputError(`${input}: give a run's report directory or report.json, or a sweep .csv`);
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description("one self-contained HTML file of charts from a run's report (ivit run --report DIR) or a sweep CSV (Pareto front of latency against area)")
    .argument('<input>', 'a report directory, its report.json, or a sweep .csv')
    .option('-o, --out <file>', 'the HTML file (default: report.html in the directory, or the input with .html)')
    .action((input: string, flags: { out?: string }) => {
      const { file, kind, defaultOut } = resolveInput(input);
      const out = flags.out ?? defaultOut;
      checkOutputFile(out);
      const html = kind === 'run' ? runReportHtml(readRunReport(file)) : sweepReportHtml(readSweepCsv(file), file);
      writeFileSync(out, html);
      process.stderr.write(`ivit report: wrote ${out} (${(html.length / 1024).toFixed(0)} KiB, self-contained)\n`);
    });
}
