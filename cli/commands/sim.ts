/** `ivit sim <program> [--config file] [--set key=value] [--report dir] [--trace file]`: run the simulator. */
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { DEFAULT_CONFIG, applyOverrides, loadConfigFile } from '../../sim/config.js';
import { reportJson, runProgram, writeReportDir, writeTrace } from '../../sim/run.js';
import { runReportHtml } from '../../report/run-report.js';
import { join } from 'node:path';
import { terminalSummary } from '../../sim/report/terminal.js';
import { UserError } from '../errors.js';
import { readProgramFile } from '../../isa/load.js';
import { checkOutputFile, ensureOutputDir } from '../output-paths.js';

interface SimFlags {
  config?: string;
  set: string[];
  report?: string;
  trace?: string;
  json?: boolean;
  timingOnly?: boolean;
  detailedArray?: boolean;
  rows?: string;
  cols?: string;
  dataflow?: string;
  arrayModel?: string;
  lanes?: string;
  clockMhz?: string;
  dump?: string[];
}

const collect = (v: string, acc: string[]): string[] => [...acc, v];

export function registerSim(program: Command): void {
  program
    .command('sim')
    .description('simulate a program (container or assembly) on the accelerator: cycles, utilisation, stalls, values')
    .argument('<program>', 'program container (.ivp) or assembly (.s)')
    .option('--config <file>', 'accelerator configuration JSON (defaults for missing keys)')
    .option('--set <key=value>', 'override one configuration key, e.g. dma.bytesPerCycle=64 (repeatable)', collect, [])
    .option('--rows <n>', 'array rows (same as --set array.rows=n)')
    .option('--cols <n>', 'array columns')
    .option('--dataflow <ws|os|is>', 'array dataflow (is: with --array-model scalesim only)')
    .option('--array-model <overlap|scalesim>', "array timing: overlap (this machine's overlapped folds, default) or scalesim (SCALE-Sim v2's count)")
    .option('--lanes <n>', 'SDU lanes')
    .option('--clock-mhz <f>', 'clock in MHz')
    .option('--report <dir>', 'write report.html (charts), COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv and report.json here')
    .option('--trace <file>', 'write a Chrome/Perfetto trace-event JSON')
    .option('--json', 'print the report as JSON instead of the summary')
    .option('--timing-only', 'skip the values (timing, address checks and faults still apply)')
    .option('--detailed-array', 'GEMM timing and values from the PE-by-PE array model (small shapes only)')
    .option('--dump <addr:bytes:file>', 'after the run, write DRAM bytes [addr, addr+bytes) to file (repeatable)', collect, [])
    .action((file: string, flags: SimFlags) => {
      if (flags.report) ensureOutputDir(flags.report);
      if (flags.trace) checkOutputFile(flags.trace);
      const named: [string | undefined, string][] = [
        [flags.rows, 'array.rows'],
        [flags.cols, 'array.cols'],
        [flags.dataflow, 'array.dataflow'],
        [flags.arrayModel, 'array.model'],
        [flags.lanes, 'sdu.lanes'],
        [flags.clockMhz, 'clockMHz'],
      ];
      const overrides = [...named.filter(([v]) => v !== undefined).map(([v, k]) => `${k}=${v}`), ...flags.set];
      const config = applyOverrides(flags.config ? loadConfigFile(flags.config) : DEFAULT_CONFIG, overrides);
      const image = readProgramFile(file);
      const opts = { config, timingOnly: flags.timingOnly ?? false, detailedArray: flags.detailedArray ?? false };
      const result = runProgram(image, opts);
      if (flags.report) {
        const data = reportJson(result, opts);
        writeReportDir(flags.report, result, opts, data);
        writeFileSync(join(flags.report, 'report.html'), runReportHtml(data));
      }
      if (flags.trace) writeTrace(flags.trace, result, image, opts);
      for (const d of flags.dump ?? []) {
        const m = /^(0x[0-9a-fA-F]+|\d+):(0x[0-9a-fA-F]+|\d+):(.+)$/.exec(d);
        if (!m) throw new UserError(`--dump "${d}" must look like addr:bytes:file`);
        if (!result.run.state) throw new UserError('--dump needs values; drop --timing-only');
        const addr = Number(m[1]);
        const len = Number(m[2]);
        if (addr + len > result.run.state.dram.length) throw new UserError(`--dump ${d}: past the end of the ${result.run.state.dram.length}-byte DRAM`);
        writeFileSync(m[3]!, result.run.state.dram.subarray(addr, addr + len));
      }
      process.stdout.write(flags.json ? `${JSON.stringify(result.report, null, 2)}\n` : terminalSummary(result.report));
    });
}
