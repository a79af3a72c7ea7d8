/** `ivit eval`: accuracy of a quantised model on a data set in FP32, fake-quant float32 and integer arithmetic. */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import chalk from 'chalk';
import { UserError, registerUserErrorClass } from '../errors.js';
import { RunProgress, machineFromFlags, machineOptions, type MachineFlags } from './run.js';
import './image-option.js'; // registers the data-set and picture errors as user errors
import { PYTORCH_NUMERICS } from '../../verify/golden/numerics-config.js';
import { isZooName } from '../../verify/model/model-source.js';
import { readModel } from '../../verify/model/qmodel-file.js';
import { EvalInputError, evalVerified, evaluate } from '../../verify/eval/evaluate.js';
import { defaultWorkers } from '../../verify/eval/golden-pool.js';
import { evalReportText } from '../../verify/eval/report-text.js';
import { TorchEvalError } from '../../verify/eval/torch-columns.js';
import { checkOutputFile } from '../output-paths.js';

registerUserErrorClass(EvalInputError);
registerUserErrorClass(TorchEvalError);

interface EvalFlags extends MachineFlags {
  model: string;
  data: string;
  limit?: string;
  workers?: string;
  float?: string;
  json?: boolean;
  jsonOut?: string;
  simSample?: string;
}

function positive(v: string | undefined, flag: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v))) throw new UserError(`${flag} must be an integer ≥ ${min}, got "${v}"`);
  return Number(v);
}

export function registerEval(program: Command): void {
  machineOptions(
    program
      .command('eval')
      .description('top-1 of a quantised model on a data set: FP32 (PyTorch), fake-quant float32, integer golden; int64 reference = golden on every image')
      .requiredOption('--model <file>', 'a quantised model file with preprocess metadata (ivit import writes one)')
      .requiredOption('--data <name>', 'data set: fashion-mnist (its 10k test images)')
      .option('--limit <n>', 'only the first n test images')
      .option('--workers <n>', 'golden-model worker threads (default: the number of cores)')
      .option('--float <file>', "the float checkpoint for the FP32 column (default: the model's provenance.checkpoint)")
      .option('--sim-sample <k>', 'also run k images end to end on the simulator, checked bit-exact against the golden model')
      .option('--json', 'print one JSON object')
      .option('--json-out <file>', 'also write the JSON object to a file (the text report still prints)'),
  ).action(async (flags: EvalFlags) => {
    if (flags.jsonOut) checkOutputFile(flags.jsonOut);
    if (isZooName(flags.model)) throw new UserError(`--model ${flags.model}: ivit eval needs a quantised model file (a zoo model has no trained weights)`);
    const limit = positive(flags.limit, '--limit', 1);
    const workers = positive(flags.workers, '--workers', 1) ?? defaultWorkers();
    const simSample = positive(flags.simSample, '--sim-sample', 0);
    const accelerator = machineFromFlags(flags);
    const model = readModel(flags.model);
    const bar = new RunProgress(5 + (simSample ? 1 : 0)); // inputs, golden, FP32, fake-quant, int64[, simulator]
    const report = await evaluate({
      modelPath: flags.model,
      model,
      numerics: PYTORCH_NUMERICS,
      data: flags.data,
      workers,
      accelerator,
      ...(limit !== undefined ? { limit } : {}),
      ...(flags.float !== undefined ? { floatCheckpoint: flags.float } : {}),
      ...(simSample ? { simSample } : {}),
      onPhase: (p) => bar.step(p),
      onProgress: (done, total) => bar.progress(done, total),
    }).finally(() => bar.finish());
    if (flags.jsonOut) writeFileSync(flags.jsonOut, `${JSON.stringify(report, null, 1)}\n`);
    if (flags.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else process.stdout.write(evalReportText(report));
    if (!evalVerified(report)) {
      process.stderr.write(chalk.red('ivit eval: a verification failed (PyTorch int64 ≠ golden, or a simulated image not bit-exact)\n'));
      process.exitCode = 1;
    }
  });
}
