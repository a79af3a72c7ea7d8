/** `ivit eval`: accuracy of a quantised model on a data set in FP32, fake-quant float32 and integer arithmetic. */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import chalk from 'chalk';
import { UserError, registerUserErrorClass } from '../errors.js';
import { machineFromFlags, machineOptions, type MachineFlags } from './run.js';
import './image-option.js'; // registers the data-set and picture errors as user errors
import { NUMERICS_PRESETS } from '../../verify/golden/numerics-config.js';
import { numericsOf } from '../../sim/config.js';
import { isZooName } from '../../verify/model/model-source.js';
import { readModel } from '../../verify/model/qmodel-file.js';
import { EvalInputError, type EvalReport, evalVerified, evaluate } from '../../verify/eval/evaluate.js';
import { EvalMergeError, mergeEvalReports } from '../../verify/eval/merge.js';
import { defaultWorkers } from '../../verify/eval/golden-pool.js';
import { evalReportText } from '../../verify/eval/report-text.js';
import { TorchEvalError } from '../../verify/eval/torch-columns.js';
import { checkOutputFile } from '../output-paths.js';
import { CommandProgress } from '../progress.js';
import { SHARD_HELP, parseShard } from '../shard-option.js';

registerUserErrorClass(EvalInputError);
registerUserErrorClass(EvalMergeError);
registerUserErrorClass(TorchEvalError);

interface EvalFlags extends MachineFlags {
  model?: string;
  data?: string;
  shard?: string;
  limit?: string;
  workers?: string;
  float?: string;
  json?: boolean;
  jsonOut?: string;
  simSample?: string;
  numerics?: string;
}

function positive(v: string | undefined, flag: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v))) throw new UserError(`${flag} must be an integer ≥ ${min}, got "${v}"`);
  return Number(v);
}

/** The verdict every eval run and merge ends with: the text (or JSON) report, exit 1 when a verification failed. */
function finish(report: EvalReport, flags: { json?: boolean; jsonOut?: string }): void {
  if (flags.jsonOut) writeFileSync(flags.jsonOut, `${JSON.stringify(report, null, 1)}\n`);
  if (flags.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else process.stdout.write(evalReportText(report));
  if (!evalVerified(report)) {
    process.stderr.write(chalk.red('ivit eval: a verification failed (PyTorch int64 ≠ golden, or a simulated image not bit-exact)\n'));
    process.exitCode = 1;
  }
}

export function registerEval(program: Command): void {
  program.enablePositionalOptions(); // `ivit eval merge --json-out x` reaches merge's own options
  const evalCmd = machineOptions(
    program
      .command('eval')
      .description('top-1 of a quantised model on a data set: FP32 (PyTorch), fake-quant float32, integer golden; int64 reference = golden on every image')
      .enablePositionalOptions()
      .option('--model <file>', 'a quantised model file with preprocess metadata (ivit import writes one; required)')
      .option('--data <name>', 'data set: fashion-mnist (its 10k test images; required)')
      .option('--limit <n>', 'only the first n test images')
      .option('--workers <n>', 'golden-model worker threads (default: the number of cores)')
      .option('--float <file>', "the float checkpoint for the FP32 column (default: the model's provenance.checkpoint)")
      .option(
        '--numerics <preset>',
        `numerics of the golden model, the PyTorch int64 column and the simulator sample: ${Object.keys(NUMERICS_PRESETS).join(' | ')} (= --set numerics.preset=…; fqvit needs the model file's FQ-ViT fields)`,
      )
      .option('--sim-sample <k>', 'also run k images end to end on the simulator, checked bit-exact against the golden model')
      .option('--json', 'print one JSON object')
      .option('--json-out <file>', 'also write the JSON object to a file (the text report still prints)')
      .option('--shard <I/N>', `${SHARD_HELP} (the images: the first --limit, cut in N contiguous blocks)`),
  ).action(async (flags: EvalFlags) => {
    if (flags.model === undefined) throw new UserError("required option '--model <file>' not specified");
    if (flags.data === undefined) throw new UserError("required option '--data <name>' not specified");
    if (flags.jsonOut) checkOutputFile(flags.jsonOut);
    const shard = parseShard(flags.shard);
    if (isZooName(flags.model)) throw new UserError(`--model ${flags.model}: ivit eval needs a quantised model file (a zoo model has no trained weights)`);
    const limit = positive(flags.limit, '--limit', 1);
    const workers = positive(flags.workers, '--workers', 1) ?? defaultWorkers();
    const simSample = positive(flags.simSample, '--sim-sample', 0);
    if (flags.numerics !== undefined && !(flags.numerics in NUMERICS_PRESETS))
      throw new UserError(`--numerics must be one of ${Object.keys(NUMERICS_PRESETS).join(', ')}, got "${flags.numerics}"`);
    // --numerics is numerics.preset; a --set after it may still change the preset's sqrt, geluSigma or one unit (numerics.attention=ibert)
    const accelerator = machineFromFlags({ ...flags, set: [...(flags.numerics !== undefined ? [`numerics.preset=${flags.numerics}`] : []), ...flags.set] });
    const model = readModel(flags.model);
    const bar = new CommandProgress('ivit eval', 5 + (simSample ? 1 : 0)); // inputs, golden, FP32, fake-quant, int64[, simulator]
    if (shard) bar.note(`shard ${shard.index}/${shard.of} of the images`);
    const report = await evaluate({
      modelPath: flags.model,
      model,
      preset: accelerator.numerics.preset,
      numerics: numericsOf(accelerator),
      data: flags.data,
      workers,
      accelerator,
      ...(limit !== undefined ? { limit } : {}),
      ...(flags.float !== undefined ? { floatCheckpoint: flags.float } : {}),
      ...(simSample ? { simSample } : {}),
      ...(shard ? { shard } : {}),
      onPhase: (p) => bar.step(p),
      onProgress: (done, total) => bar.progress(done, total),
    }).finally(() => bar.finish());
    finish(report, flags);
  });
  evalCmd
    .command('merge')
    .description(
      'join the --json-out reports of `ivit eval --shard I/N` runs into the report of the whole evaluation (refuses missing, overlapping or foreign shards)',
    )
    .requiredOption('-o, --out <file>', 'the merged JSON report (the format of --json-out)')
    .option('--json', 'print the merged JSON object instead of the text report')
    .argument('<shards...>', 'the shard reports, any order')
    .action((files: string[], opts: { out: string; json?: boolean }) => {
      checkOutputFile(opts.out);
      const reports = files.map((name) => {
        let text: string;
        try {
          text = readFileSync(name, 'utf8');
        } catch (e) {
          throw new UserError(`${name}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
        }
        try {
          return { name, report: JSON.parse(text) as EvalReport };
        } catch {
          throw new UserError(`${name}: not JSON (give the files ivit eval --shard I/N --json-out wrote)`);
        }
      });
      finish(mergeEvalReports(reports), { jsonOut: opts.out, ...(opts.json ? { json: true } : {}) });
    });
}
