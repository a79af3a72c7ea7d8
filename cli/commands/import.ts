/**
 * `ivit import`: a float ViT/DeiT checkpoint (safetensors state dict in torchvision or timm naming, or an
 * ONNX export) in, a calibrated quantised model file out (docs/import.md). Nothing is written unless the
 * whole import succeeds: the file goes to a temporary name beside the output and is renamed at the end.
 */
import type { Command } from 'commander';
import chalk from 'chalk';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { UserError, registerUserErrorClass } from '../errors.js';
import { IdxError } from '../../verify/data/idx.js';
import { CheckpointError } from '../../verify/import/float-model.js';
import { CHECKPOINT_FORMATS, type CheckpointFormat, readCheckpoint } from '../../verify/import/checkpoint.js';
import { calibrationImages } from '../../verify/import/calibration-data.js';
import { type RangeObserver, MINMAX } from '../../verify/import/calibrate.js';
import { calibrate } from '../../verify/import/import-model.js';
import { calibrateIsvit } from '../../verify/import/isvit-import.js';
import { NUMERICS_PRESETS } from '../../verify/golden/numerics-config.js';
import { decodeModel, encodeModel } from '../../verify/model/qmodel-file.js';
import type { Preprocess } from '../../verify/golden/qmodel.js';
import { vitShape } from '../../verify/golden/zoo.js';
import { checkOutputFile } from '../output-paths.js';

registerUserErrorClass(CheckpointError);
registerUserErrorClass(IdxError);

/** The default calibration set: 512 images take ~10 s on the 6-block Fashion-MNIST ViT (docs/import.md). */
export const DEFAULT_CALIBRATION_IMAGES = 512;

function positiveInt(flag: string, v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1 || !Number.isSafeInteger(Number(v))) throw new UserError(`${flag} must be a positive integer, got "${v}"`);
  return Number(v);
}

function numberList(flag: string, v: string, channels: number, positive: boolean): number[] {
  const xs = v.split(',').map((s) => Number(s.trim()));
  if (xs.some((x) => !Number.isFinite(x) || (positive && !(x > 0))) || !(xs.length === 1 || xs.length === channels)) {
    throw new UserError(`${flag} must be 1 or ${channels} comma-separated ${positive ? 'positive ' : ''}numbers (one per input channel), got "${v}"`);
  }
  return xs.length === channels ? xs : Array.from({ length: channels }, () => xs[0]!);
}

interface ImportOptions {
  checkpoint: string;
  out: string;
  format: string;
  heads?: string;
  calib: string;
  percentile?: string;
  mean?: string;
  std?: string;
  data: string;
  name?: string;
  lisBits?: string;
  numerics?: string;
}

/** The presets import calibrates for: the I-ViT chain (with FQ-ViT's fields) or one of I&S-ViT's low-bit presets. */
const IMPORT_PRESETS = ['pytorch', 'isvit-w4a4', 'isvit-w3a3'] as const;

function runImport(opts: ImportOptions): void {
  checkOutputFile(opts.out);
  if (!CHECKPOINT_FORMATS.includes(opts.format as CheckpointFormat))
    throw new UserError(`--format must be one of ${CHECKPOINT_FORMATS.join(', ')}, got "${opts.format}"`);
  const heads = opts.heads === undefined ? undefined : positiveInt('--heads', opts.heads);
  const count = positiveInt('--calib', opts.calib);
  const lisBits = opts.lisBits === undefined ? undefined : positiveInt('--lis-bits', opts.lisBits);
  if (lisBits !== undefined && lisBits > 8) throw new UserError(`--lis-bits must be 1..8, got "${opts.lisBits}"`);
  let obs: RangeObserver = MINMAX;
  if (opts.percentile !== undefined) {
    const p = Number(opts.percentile);
    if (!(p > 0 && p <= 100)) throw new UserError(`--percentile must be in (0, 100], got "${opts.percentile}"`);
    obs = { kind: 'percentile', percentile: p };
  }
  if ((opts.mean === undefined) !== (opts.std === undefined)) throw new UserError('--mean and --std go together');
  const preset = opts.numerics ?? 'pytorch';
  if (!(IMPORT_PRESETS as readonly string[]).includes(preset)) throw new UserError(`--numerics must be one of ${IMPORT_PRESETS.join(', ')}, got "${preset}"`);
  const isvit = preset !== 'pytorch';
  if (isvit && lisBits !== undefined) throw new UserError(`--lis-bits sets FQ-ViT's fields, which an --numerics ${preset} model does not carry`);

  const ck = readCheckpoint(opts.checkpoint, {
    format: opts.format as CheckpointFormat,
    ...(heads !== undefined ? { heads } : {}),
    ...(opts.name !== undefined ? { name: opts.name } : {}),
  });
  const c = ck.model.config;
  const out = process.stdout;
  out.write(`${chalk.bold('checkpoint')}   ${opts.checkpoint}: ${ck.kind}\n`);
  out.write(
    `${chalk.bold('config')}       ${c.name}: ${c.imageSize}×${c.imageSize}×${c.inChannels}, patch ${c.patchSize}, width ${c.embedDim}, ${c.depth} blocks, ${c.heads} heads (from ${ck.headsFrom}), mlp ${c.mlpDim}, ${c.numClasses} classes, ${vitShape(c).tokens} tokens\n`,
  );

  let preprocess: Preprocess;
  let preprocessFrom: string;
  if (opts.mean !== undefined) {
    preprocess = { mean: numberList('--mean', opts.mean, c.inChannels, false), std: numberList('--std', opts.std!, c.inChannels, true) };
    preprocessFrom = ck.model.preprocess ? "--mean/--std (overriding the checkpoint's)" : '--mean/--std';
  } else if (ck.model.preprocess) {
    preprocess = ck.model.preprocess;
    preprocessFrom = 'checkpoint metadata';
  } else {
    throw new UserError(`${opts.checkpoint}: the checkpoint records no input normalisation (metadata "preprocess"): give --mean and --std`);
  }
  out.write(`${chalk.bold('preprocess')}   (pixel/255 − mean)/std, mean ${preprocess.mean.join(',')}, std ${preprocess.std.join(',')} (${preprocessFrom})\n`);

  const images = calibrationImages(opts.data, count, c);
  const range =
    (obs.kind === 'minmax' ? 'min/max (QuantAct, momentum −1)' : `percentile ${obs.percentile} of |x|`) +
    (isvit ? `; ${preset}: SOS factors from an I-ViT pass, low-bit sites by the least-squared-error percentile, SULQ η by least squared error` : '');
  const provenance = {
    generator: 'ivit import',
    checkpoint: opts.checkpoint,
    checkpointSha256: ck.sha256,
    checkpointFormat: ck.format,
    calibrationData: images.file,
    calibrationImages: count,
    calibrationRange: obs.kind === 'minmax' ? 'minmax' : `percentile ${obs.percentile}`,
    ...(isvit ? { numerics: preset, lowBitRanges: 'least squared error among percentiles of |x|', reconstruction: 'none (PTQ only)' } : {}),
  };
  const r = isvit
    ? calibrateIsvit(ck.model, images.pixels, preprocess, obs, provenance, NUMERICS_PRESETS[preset as 'isvit-w4a4' | 'isvit-w3a3'])
    : calibrate(ck.model, images.pixels, preprocess, obs, provenance, lisBits);
  out.write(
    `${chalk.bold('calibration')}  first ${count} images of ${images.file}, ranges ${range}: ${(r.millis / 1000).toFixed(1)} s (input scale ${r.model.scales.input.toPrecision(6)})\n`,
  );
  if (r.clampedClassToken > 0)
    out.write(chalk.yellow(`  note: ${r.clampedClassToken} class-token values lie beyond int16 at the patch scale and were clamped\n`));

  const bytes = encodeModel(r.model);
  decodeModel(bytes, opts.out); // the file must read back (constants re-derived and compared)
  const tmp = `${opts.out}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, opts.out);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new UserError(`${opts.out}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  out.write(`${chalk.bold('wrote')}        ${opts.out} (${(bytes.length / 1e6).toFixed(2)} MB)\n`);
}

export function registerImport(program: Command): void {
  program
    .command('import')
    .description('quantise a float ViT/DeiT checkpoint (safetensors state dict or ONNX) into a model file, calibrating on training images')
    .requiredOption('--checkpoint <file>', 'float checkpoint: safetensors state dict (torchvision or timm naming) or ONNX export')
    .requiredOption('--out <file>', 'quantised model file to write (.safetensors)')
    .option('--format <kind>', `checkpoint kind: ${CHECKPOINT_FORMATS.join(' | ')}`, 'auto')
    .option('--heads <n>', 'attention heads, when the checkpoint does not record them')
    .option('--calib <n>', 'calibration images (the first n training images)', String(DEFAULT_CALIBRATION_IMAGES))
    .option('--percentile <p>', 'activation ranges from the p-th percentile of |x| instead of min/max (e.g. 99.99)')
    .option('--mean <m,...>', 'input normalisation mean per channel, when the checkpoint has none')
    .option('--std <s,...>', 'input normalisation std per channel, when the checkpoint has none')
    .option('--data <fashion-mnist|dir>', 'calibration data: fashion-mnist, or a directory (or file) with train-images-idx3-ubyte[.gz]', 'fashion-mnist')
    .option(
      '--numerics <preset>',
      `calibrate for ${IMPORT_PRESETS.join(' | ')} (isvit-*: SOS, low-bit weights and inputs, SULQ η; docs/numerics.md)`,
      'pytorch',
    )
    .option('--lis-bits <b>', "the FQ-ViT fields' Log-Int-Softmax code width, 1..8 (default: the fqvit preset's, 4)")
    .option('--name <name>', 'model name in its config (default: the checkpoint file name)')
    .action((opts: ImportOptions) => runImport(opts));
}
