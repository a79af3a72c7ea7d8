/**
 * `ivit eval`: top-1 accuracy of a quantised model on a data set's test images in four arithmetics, and the
 * agreement between them. Columns: the FP32 float checkpoint in PyTorch, the published code's float32
 * fake-quant pass, the integer golden model (worker threads); the exact PyTorch int64 pass must give the
 * golden model's logits on every image; optionally a sample runs end to end on the simulator.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AcceleratorConfig } from '../../sim/config.js';
import { NUMERICS_PRESETS, type NumericsConfig, type NumericsPresetName } from '../golden/numerics-config.js';
import type { QuantModel } from '../golden/qmodel.js';
import { argmax } from '../golden/run-golden.js';
import { isIsvitNumerics, isvitFieldsOf } from '../golden/isvit.js';
import { loadEvalSet } from './eval-data.js';
import { goldenLogits } from './golden-pool.js';
import { type SimImage, runSimSample, sampleIndices } from './sim-sample.js';
import { type TorchColumn, type TorchNumerics, type TorchResults, runTorchColumns, torchUnavailable } from './torch-columns.js';
import type { Shard } from '../../programs/flows/shard.js';

export class EvalInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EvalInputError';
  }
}

export type ColumnName = 'fp32' | 'fakeQuant' | 'golden';
export const COLUMN_TITLES: Record<ColumnName, string> = { fp32: 'FP32 (PyTorch)', fakeQuant: 'fake-quant float32', golden: 'integer (golden)' };

export type Column = { correct: number; top1: number; perClass: number[] } | { unavailable: string };

export interface Agreement {
  agree: number;
  of: number;
}

export interface EvalReport {
  model: string;
  modelName: string;
  data: string;
  split: 'test';
  /** the numerics preset of the golden model, the int64 column and the simulator sample (absent in older reports: pytorch) */
  numerics?: NumericsPresetName;
  count: number;
  classes: Array<{ name: string; images: number }>;
  floatCheckpoint: string | null;
  columns: Record<ColumnName, Column>;
  /** PyTorch int64 against the golden model: images whose logits are all equal, and logits equal */
  int64VsGolden: { imagesEqual: number; logitsEqual: number; logitsCompared: number; images: number; firstDiffering: number[] } | { unavailable: string };
  argmaxAgreement: { fp32VsGolden: Agreement | { unavailable: string }; fakeQuantVsGolden: Agreement | { unavailable: string } };
  simulator: { images: SimImage[]; bitExact: number; msPerImage: number } | null;
  throughput: { goldenWorkers: number; goldenSeconds: number; goldenImagesPerSecond: number; torchSeconds: Partial<Record<TorchColumn, number>> };
  environment: { node: string; torch?: string; python?: string; device?: string };
  notes: string[];
  /** only in a shard's report (--shard I/N): which images it holds, and what identifies the whole evaluation */
  shard?: EvalShardInfo;
}

export interface EvalShardInfo {
  /** 1-based */
  index: number;
  of: number;
  first: number;
  count: number;
  total: number;
  /** a hash of what decides the results: the model file's bytes, the data set, the image count, numerics, machine, sample, float checkpoint */
  fingerprint: string;
}

export interface EvalOptions {
  modelPath: string;
  model: QuantModel;
  /** the preset `numerics` was built from (which the PyTorch int64 pass runs) */
  preset: NumericsPresetName;
  numerics: NumericsConfig;
  data: string;
  limit?: number;
  workers: number;
  /** an explicit float checkpoint (--float); else provenance.checkpoint */
  floatCheckpoint?: string;
  simSample?: number;
  accelerator: AcceleratorConfig;
  onPhase?: (label: string) => void;
  onProgress?: (done: number, total: number) => void;
  /** evaluate only this slice of the images (a contiguous block, programs/flows/shard.ts); the report says which */
  shard?: Shard;
}

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

/** The float checkpoint to evaluate, or why there is none. An explicit one must exist. */
function floatCheckpoint(opts: EvalOptions, notes: string[]): { path: string } | { unavailable: string } {
  if (opts.floatCheckpoint !== undefined) {
    if (!existsSync(opts.floatCheckpoint)) throw new EvalInputError(`--float ${opts.floatCheckpoint}: no such file`);
    const want = opts.model.provenance.checkpointSha256;
    if (want && sha256(opts.floatCheckpoint) !== want)
      notes.push(`--float ${opts.floatCheckpoint} is not the checkpoint the model was imported from (SHA-256 differs from provenance.checkpointSha256)`);
    return { path: opts.floatCheckpoint };
  }
  const p = opts.model.provenance.checkpoint;
  if (p === undefined) return { unavailable: 'unavailable (the model names no float checkpoint; pass --float)' };
  // a relative path: from the working directory, the repository root (where the import usually ran), the model's folder
  const found = (isAbsolute(p) ? [p] : [resolve(p), resolve(REPO_ROOT, p), resolve(dirname(opts.modelPath), p)]).find((c) => existsSync(c));
  if (!found) return { unavailable: `unavailable (float checkpoint ${p} not found; pass --float)` };
  const want = opts.model.provenance.checkpointSha256;
  if (want && sha256(found) !== want) return { unavailable: `unavailable (${found} is not the checkpoint the model was imported from: SHA-256 differs)` };
  return { path: found };
}

type Counted = Extract<Column, { correct: number }>;

function column(pred: ArrayLike<number>, labels: Uint8Array, classes: number): Counted {
  const perClass = new Array<number>(classes).fill(0);
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    if (pred[i] === labels[i]) {
      correct++;
      perClass[labels[i]!]!++;
    }
  }
  return { correct, top1: labels.length ? correct / labels.length : 0, perClass };
}

function agreement(a: ArrayLike<number>, b: ArrayLike<number>): Agreement {
  let agree = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) agree++;
  return { agree, of: a.length };
}

/**
 * The PyTorch int64 pass for a preset, or why there is none (eval_reference.py runs pytorch, fqvit and the isvit
 * presets, each with its own units: a machine that swaps one unit, numerics.attention=ibert say, has no reference pass).
 */
function torchNumerics(preset: NumericsPresetName, numerics: NumericsConfig): TorchNumerics | { unavailable: string } {
  if (preset === 'tvm') return { unavailable: `unavailable (no PyTorch reference for the ${preset} preset)` };
  const own = NUMERICS_PRESETS[preset];
  const swapped = (['attention', 'geluUnit', 'layerNorm'] as const).filter((k) => numerics[k] !== own[k]).map((k) => `numerics.${k} = ${numerics[k]}`);
  return swapped.length ? { unavailable: `unavailable (no PyTorch reference for the ${preset} preset with ${swapped.join(', ')})` } : preset;
}

export async function evaluate(opts: EvalOptions): Promise<EvalReport> {
  const { model } = opts;
  if ((opts.numerics.layerNorm === 'pts' || opts.numerics.attention === 'lis') && model.fqvit === undefined)
    throw new EvalInputError(
      `${opts.modelPath}: no FQ-ViT fields (fqvit metadata) for --numerics ${opts.preset}; make a model file with them: ivit import --checkpoint FLOAT.safetensors --out MODEL.safetensors`,
    );
  if (isIsvitNumerics(opts.numerics)) {
    try {
      isvitFieldsOf(model, opts.numerics);
    } catch (e) {
      throw new EvalInputError(`${opts.modelPath}: ${(e as Error).message}`);
    }
    if (opts.simSample) throw new EvalInputError(`--sim-sample: the simulator has no SULQ mode yet; --numerics ${opts.preset} runs on the golden model only`);
  }
  const k = model.config.numClasses;
  const notes: string[] = [];
  const phase = opts.onPhase ?? (() => {});
  const progress = opts.onProgress ?? (() => {});

  phase('preparing inputs');
  const set = loadEvalSet(opts.data, model, opts.limit, progress, opts.shard);
  const labels = set.labels;
  const classes = set.dataset.classes.map((name, c) => ({ name, images: labels.reduce((n, l) => n + (l === c ? 1 : 0), 0) }));
  const fc = floatCheckpoint(opts, notes);

  phase(`golden model (${opts.workers} worker${opts.workers > 1 ? 's' : ''})`);
  const golden = await goldenLogits(model, opts.numerics, set.inputs, set.count, { workers: opts.workers, onProgress: progress });
  const goldenArgmax = Int32Array.from({ length: set.count }, (_, i) => argmax(golden.logits.subarray(i * k, (i + 1) * k)));

  const tn = torchNumerics(opts.preset, opts.numerics);
  const noTorch = typeof tn === 'string' ? torchUnavailable() : tn.unavailable;
  let torch: TorchResults | undefined;
  if (noTorch === null) {
    let current: TorchColumn | undefined;
    torch = await runTorchColumns(opts.modelPath, k, set, {
      threads: opts.workers,
      numerics: tn as TorchNumerics,
      ...('path' in fc ? { floatCheckpoint: fc.path } : {}),
      onProgress: (col, done, total) => {
        if (col !== current) phase({ fp32: 'PyTorch FP32', fakequant: 'PyTorch fake-quant float32', int64: 'PyTorch int64 reference' }[(current = col)]);
        progress(done, total);
      },
    });
    if (torch.fp32Argmax && torch.fp32Correct !== column(torch.fp32Argmax, labels, k).correct)
      throw new Error('FP32 correct count differs between Python and TypeScript (label plumbing)');
    const pre = model.preprocess!;
    if (Math.fround(pre.mean[0]!) !== Math.fround(torch.normalise.mean) || Math.fround(pre.std[0]!) !== Math.fround(torch.normalise.std)) {
      notes.push(
        `the model's preprocess (mean ${pre.mean.join(', ')}, std ${pre.std.join(', ')}) differs from fashion_data.py's FP32 normalisation (mean ${torch.normalise.mean}, std ${torch.normalise.std})`,
      );
    }
  }
  const why = noTorch ?? '';

  let int64VsGolden: EvalReport['int64VsGolden'] = { unavailable: why };
  if (torch) {
    let imagesEqual = 0;
    let logitsEqual = 0;
    const firstDiffering: number[] = [];
    for (let i = 0; i < set.count; i++) {
      let all = true;
      for (let j = i * k; j < (i + 1) * k; j++) {
        if (torch.int64Logits[j] === BigInt(golden.logits[j]!)) logitsEqual++;
        else all = false;
      }
      if (all) imagesEqual++;
      else if (firstDiffering.length < 10) firstDiffering.push(set.first + i);
    }
    int64VsGolden = { imagesEqual, logitsEqual, logitsCompared: set.count * k, images: set.count, firstDiffering };
  }

  let simulator: EvalReport['simulator'] = null;
  if (opts.simSample && opts.simSample > 0) {
    phase('simulator sample (compile, simulate with values, compare)');
    // the sample of the whole evaluation; a shard runs the sampled images that fall in its slice
    const inSlice = sampleIndices(set.total, opts.simSample).filter((i) => i >= set.first && i < set.first + set.count);
    const images = runSimSample(model, set.inputs, golden.logits, inSlice, opts.accelerator, progress, set.first);
    simulator = {
      images,
      bitExact: images.filter((s) => s.bitExact && s.poolLogitsMatch).length,
      msPerImage: images.reduce((a, s) => a + s.compileMs + s.simulateMs, 0) / Math.max(images.length, 1),
    };
  }

  const fp32: Column = !torch
    ? { unavailable: why }
    : torch.fp32Argmax
      ? column(torch.fp32Argmax, labels, k)
      : { unavailable: (fc as { unavailable: string }).unavailable };
  return {
    model: opts.modelPath,
    modelName: model.config.name,
    data: set.dataset.name,
    split: set.split,
    numerics: opts.preset,
    count: set.count,
    classes,
    floatCheckpoint: 'path' in fc ? fc.path : null,
    columns: {
      fp32,
      fakeQuant: fakeQuantColumn(torch, why, (a) => column(a, labels, k)),
      golden: column(goldenArgmax, labels, k),
    },
    int64VsGolden,
    argmaxAgreement: {
      fp32VsGolden: torch?.fp32Argmax ? agreement(torch.fp32Argmax, goldenArgmax) : { unavailable: 'unavailable' in fp32 ? fp32.unavailable : why },
      fakeQuantVsGolden: fakeQuantColumn(torch, why, (a) => agreement(a, goldenArgmax)),
    },
    simulator,
    throughput: {
      goldenWorkers: golden.workers,
      goldenSeconds: golden.millis / 1000,
      goldenImagesPerSecond: set.count / (golden.millis / 1000),
      torchSeconds: torch?.seconds ?? {},
    },
    environment: { node: process.version, ...(torch ? torch.environment : {}) },
    notes,
    ...(opts.shard
      ? { shard: { ...opts.shard, first: set.first, count: set.count, total: set.total, fingerprint: evalFingerprint(opts, set.total, fc) } }
      : {}),
  };
}

/** A figure of the fake-quant pass, or why there is none (no PyTorch, or a preset without that pass). */
function fakeQuantColumn<T>(torch: TorchResults | undefined, why: string, of: (argmax: Int32Array) => T): T | { unavailable: string } {
  if (!torch) return { unavailable: why };
  return torch.fakeQuantArgmax ? of(torch.fakeQuantArgmax) : { unavailable: torch.fakeQuantOmitted ?? 'omitted' };
}

function evalFingerprint(opts: EvalOptions, total: number, fc: { path: string } | { unavailable: string }): string {
  return createHash('sha256')
    .update(
      JSON.stringify({
        model: sha256(opts.modelPath),
        data: opts.data,
        total,
        numerics: opts.numerics,
        accelerator: opts.accelerator,
        simSample: opts.simSample ?? 0,
        float: 'path' in fc ? sha256(fc.path) : fc.unavailable,
      }),
    )
    .digest('hex')
    .slice(0, 32);
}

/** Every check that must hold: int64 = golden on every image, the simulator sample bit-exact. */
export function evalVerified(r: EvalReport): boolean {
  const intOk = 'unavailable' in r.int64VsGolden || r.int64VsGolden.imagesEqual === r.int64VsGolden.images;
  const simOk = r.simulator === null || r.simulator.bitExact === r.simulator.images.length;
  return intOk && simOk;
}
