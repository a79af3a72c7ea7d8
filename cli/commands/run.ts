/**
 * `ivit run --model <zoo name | model file>`: compile the model to the ISA, simulate it, check every layer
 * bit for bit against the golden model, print the report. Shared machine flags for compile and sweep too.
 */
import type { Command } from 'commander';
import chalk from 'chalk';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AcceleratorConfig, DEFAULT_CONFIG, applyOverrides, loadConfigFile } from '../../sim/config.js';
import { reportJson, writeReportDir, writeTrace } from '../../sim/run.js';
import { runReportHtml } from '../../report/run-report.js';
import { terminalSummary } from '../../sim/report/terminal.js';
import { arrayModelTotals, arrayModelsText } from '../../sim/array-models.js';
import { loadModel } from '../../verify/model/model-source.js';
import { runEndToEnd } from '../../programs/flows/end-to-end.js';
import { CompileError } from '../../programs/compiler/errors.js';
import { compilerReport, compilerReportCsv, compilerReportText } from '../../programs/flows/op-report.js';
import { UserError, registerUserErrorClass } from '../errors.js';
import { NUMERICS_PRESETS } from '../../verify/golden/numerics-config.js';
import { parseSeed } from './golden.js';
import { IMAGE_OPTION_HELP, inputImage } from './image-option.js';
import { checkOutputFile, ensureOutputDir } from '../output-paths.js';

registerUserErrorClass(CompileError);

export interface MachineFlags {
  config?: string;
  set: string[];
  rows?: string;
  cols?: string;
  dataflow?: string;
  arrayModel?: string;
  lanes?: string;
  bandwidth?: string;
  numerics?: string;
}

export const collect = (v: string, acc: string[]): string[] => [...acc, v];

/** The machine options every command that targets the accelerator takes. */
export function machineOptions(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'accelerator configuration JSON (defaults for missing keys)')
    .option('--set <key=value>', 'override one configuration key, e.g. dma.bytesPerCycle=64 (repeatable)', collect, [])
    .option('--rows <n>', 'array rows')
    .option('--cols <n>', 'array columns')
    .option('--dataflow <ws|os|is>', 'array dataflow (is: with --array-model scalesim only)')
    .option('--array-model <overlap|scalesim>', "array timing: overlap (this machine's overlapped folds, default) or scalesim (SCALE-Sim v2's count)")
    .option('--lanes <n>', 'SDU lanes')
    .option('--bandwidth <bytes>', 'DMA bytes per cycle')
    .option(
      '--numerics <preset>',
      `numerics preset: ${Object.keys(NUMERICS_PRESETS).join(' | ')} (= --set numerics.preset=…; fqvit needs the model's FQ-ViT fields)`,
    );
}

export function machineFromFlags(f: MachineFlags): AcceleratorConfig {
  const named: [string | undefined, string][] = [
    [f.rows, 'array.rows'],
    [f.cols, 'array.cols'],
    [f.dataflow, 'array.dataflow'],
    [f.arrayModel, 'array.model'],
    [f.lanes, 'sdu.lanes'],
    [f.bandwidth, 'dma.bytesPerCycle'],
  ];
  // --numerics first: a --set after it may still change the preset's sqrt or geluSigma
  if (f.numerics !== undefined) {
    if (!(f.numerics in NUMERICS_PRESETS)) throw new UserError(`--numerics must be one of ${Object.keys(NUMERICS_PRESETS).join(', ')}, got "${f.numerics}"`);
    named.unshift([f.numerics, 'numerics.preset']);
  }
  const overrides = [...named.filter(([v]) => v !== undefined).map(([v, k]) => `${k}=${v}`), ...f.set];
  return applyOverrides(f.config ? loadConfigFile(f.config) : DEFAULT_CONFIG, overrides);
}

/**
 * A progress bar on one line of stderr when it is a terminal: the phase, how far it is (instructions
 * simulated, golden layers evaluated) and the time so far. Redrawn at most every 100 ms.
 */
export class RunProgress {
  private readonly t0 = performance.now();
  private phaseIndex = -1;
  private label = '';
  private lastDraw = 0;
  constructor(
    private readonly phases: number,
    private readonly enabled = process.stderr.isTTY === true,
  ) {}

  step(label: string): void {
    this.phaseIndex++;
    this.label = label;
    this.draw(0, 0, true);
  }

  progress(done: number, total: number): void {
    this.draw(done, total, false);
  }

  private draw(done: number, total: number, force: boolean): void {
    if (!this.enabled) return;
    const now = performance.now();
    // throttled, except the last step of a phase, which is always drawn (the bar ends at n/n)
    if (!force && done < total && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const width = 30;
    const within = total > 0 ? done / total : 0;
    const filled = Math.min(width, Math.round((width * (this.phaseIndex + within)) / this.phases));
    const count = total > 0 ? ` ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')}` : '';
    const secs = ((now - this.t0) / 1000).toFixed(1);
    process.stderr.write(`\r\x1b[K${chalk.cyan(`[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`)} ${this.label}${count} (${secs} s)`);
  }

  finish(): void {
    if (this.enabled) process.stderr.write('\r\x1b[K');
  }
}

interface RunFlags extends MachineFlags {
  model: string;
  seed: string;
  image?: string;
  report?: string;
  trace?: string;
  timingOnly?: boolean;
  layers?: boolean;
  json?: boolean;
}

export function registerRun(program: Command): void {
  machineOptions(
    program
      .command('run')
      .description('compile a model to the ISA, simulate it, check every layer bit-exact against the golden model, print the report')
      .requiredOption('--model <name|file>', 'a zoo model (vit-s-16, vit-b-16, deit-t, deit-s, deit-b) or a quantised model file')
      .option('--seed <n>', 'seed of the synthetic weights and input image', '1')
      .option('--image <input>', IMAGE_OPTION_HELP)
      .option('--report <dir>', 'write report.html (charts), COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv, OPERATOR_REPORT.csv, LAYER_REPORT.csv, report.json here')
      .option('--trace <file>', 'write a Chrome/Perfetto trace-event JSON')
      .option('--timing-only', 'simulate timing only (no values, no bit-exact check)')
      .option('--layers', 'print the per-layer table and every layer hash')
      .option('--json', 'print one JSON object'),
  ).action((flags: RunFlags) => {
    if (flags.report) ensureOutputDir(flags.report);
    if (flags.trace) checkOutputFile(flags.trace);
    const config = machineFromFlags(flags);
    const seed = parseSeed(flags.seed);
    const progress = new RunProgress(flags.timingOnly ? 3 : 4);
    progress.step('loading the model');
    const { model, source } = loadModel(flags.model, seed);
    const image = inputImage(flags.image, model, seed);
    const e = runEndToEnd(model, image, config, {
      timingOnly: flags.timingOnly ?? false,
      onPhase: (p) => progress.step(p),
      onProgress: (done, total) => progress.progress(done, total),
    });
    progress.finish();
    const cr = compilerReport(e.compiled, e.result.run, e.compiled.config);
    const opts = { config: e.compiled.config, timingOnly: flags.timingOnly ?? false };
    const arrayModels = arrayModelTotals(e.compiled.image, e.compiled.config, e.result.report.totalCycles);
    if (flags.report) {
      const { layers: _layers, ...compiler } = cr; // per-layer rows: LAYER_REPORT.csv
      const data = { ...reportJson(e.result, opts), arrayModels, model: model.config.name, bitExact: e.check?.bitExact ?? null, compiler };
      writeReportDir(flags.report, e.result, opts, data);
      writeFileSync(join(flags.report, 'report.html'), runReportHtml(data));
      const csv = compilerReportCsv(cr);
      writeFileSync(join(flags.report, 'OPERATOR_REPORT.csv'), csv.operators);
      writeFileSync(join(flags.report, 'LAYER_REPORT.csv'), csv.layers);
      writeFileSync(join(flags.report, 'run.json'), `${JSON.stringify(summaryJson(), null, 2)}\n`);
      process.stderr.write(`ivit run: wrote the report to ${flags.report}/ (report.html: the charts; report.json, run.json and the CSVs)\n`);
    }
    if (flags.trace) writeTrace(flags.trace, e.result, e.compiled.image, opts);
    function summaryJson(): Record<string, unknown> {
      return {
        model: model.config.name,
        source,
        seed,
        machine: e.result.report.machine,
        bitExact: e.check?.bitExact ?? null,
        logitsMatch: e.check?.logitsMatch ?? null,
        argmax: e.check?.argmax ?? null,
        mismatchedLayers: e.check?.layers.filter((l) => !l.match).map((l) => l.name) ?? null,
        cycles: e.result.report.totalCycles,
        arrayModels,
        ms: e.result.report.timeMs,
        instructions: e.result.report.instructions,
        macUtilisation: cr.macUtilisation,
        peUtilisation: cr.peUtilisation,
        sduExposedFraction: cr.sduExposedFraction,
        operators: cr.operators,
        wallMs: e.millis,
        notes: e.compiled.notes,
        ...(flags.layers ? { layers: cr.layers, layerHashes: e.check?.layers } : {}),
      };
    }
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(summaryJson())}\n`);
    } else {
      const out: string[] = [];
      out.push(
        chalk.bold(`ivit run: ${source}`) +
          `  [${model.config.depth} blocks, width ${model.config.embedDim}, ${model.config.heads} heads, ${e.compiled.image.words.length / 32} instructions, row tile ${e.compiled.plan.rowTile}${e.compiled.pipelined ? '' : ', unpipelined'}]`,
      );
      for (const n of e.compiled.notes) out.push(chalk.yellow(`  note: ${n}`));
      if (e.check) {
        const bad = e.check.layers.filter((l) => !l.match);
        out.push(
          e.check.bitExact
            ? chalk.green.bold(
                `  BIT-EXACT: logits and all ${e.check.layers.length} layer hashes equal the golden model's (argmax ${e.check.argmax}, checksum ${e.check.golden.checksum})`,
              )
            : chalk.red.bold(
                `  MISMATCH: ${bad.length} of ${e.check.layers.length} layers differ (first: ${bad[0]?.name ?? 'logits'}); logits ${e.check.logitsMatch ? 'equal' : 'differ'}`,
              ),
        );
        if (flags.layers)
          for (const l of e.check.layers)
            out.push(
              `    ${l.match ? chalk.green('=') : chalk.red('≠')} ${l.name.padEnd(22)} [${l.shape.join('×')}] ${l.simulated}${l.match ? '' : ` (golden ${l.golden})`}`,
            );
      } else out.push('  timing only: values were not computed, nothing was checked');
      out.push(terminalSummary(e.result.report).trimEnd());
      out.push(arrayModelsText(arrayModels));
      out.push(chalk.bold('  compiler report'));
      out.push(compilerReportText(cr, { layers: flags.layers ?? false }).trimEnd());
      const m = e.millis;
      out.push(
        `  wall: compile ${(m.compile / 1000).toFixed(2)} s, simulate ${(m.simulate / 1000).toFixed(2)} s${e.check ? `, golden ${(m.golden / 1000).toFixed(2)} s` : ''}`,
      );
      process.stdout.write(`${out.join('\n')}\n`);
    }
    if (e.check && !e.check.bitExact) process.exitCode = 1;
  });
}
