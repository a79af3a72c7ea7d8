/**
 * `ivit eval merge`: the reports of `ivit eval --shard I/N` joined into the report of the whole evaluation.
 * Every count is a sum over the shards (top-1 is recomputed from the summed counts, so it is the very float
 * the unsharded run computes); the first differing images and the simulator sample are the shards' own, which
 * carry global image indices. The wall-clock figures are the shards' summed times (the machine time spent, not
 * the time the user waited); the environment is the first shard's; notes are the union, in order.
 */
import { shardSetProblem } from '../../programs/flows/shard.js';
import type { Agreement, Column, ColumnName, EvalReport, EvalShardInfo } from './evaluate.js';

export class EvalMergeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EvalMergeError';
  }
}

type Unavailable = { unavailable: string };
const isUnavailable = (v: object): v is Unavailable => 'unavailable' in v;

/** One merged value from the shards' values, or the shared 'unavailable' when every shard lacks it. */
function mergeOrUnavailable<T extends object>(what: string, names: string[], values: Array<T | Unavailable>, join: (vs: T[]) => T): T | Unavailable {
  const missing = values.findIndex(isUnavailable);
  if (missing < 0) return join(values as T[]);
  const present = values.findIndex((v) => !isUnavailable(v));
  if (present >= 0)
    throw new EvalMergeError(
      `${names[present]} has ${what}, ${names[missing]} does not (${(values[missing] as Unavailable).unavailable}): rerun that shard where it can`,
    );
  return values[0]!;
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

function mergeColumn(vs: Array<Extract<Column, { correct: number }>>, count: number): Extract<Column, { correct: number }> {
  const correct = sum(vs.map((v) => v.correct));
  return { correct, top1: count ? correct / count : 0, perClass: vs[0]!.perClass.map((_, c) => sum(vs.map((v) => v.perClass[c]!))) };
}

const mergeAgreement = (vs: Agreement[]): Agreement => ({ agree: sum(vs.map((v) => v.agree)), of: sum(vs.map((v) => v.of)) });

export function mergeEvalReports(files: ReadonlyArray<{ name: string; report: EvalReport }>): EvalReport {
  if (files.length === 0) throw new EvalMergeError('no shard reports given');
  for (const f of files)
    if (!f.report.shard) throw new EvalMergeError(`${f.name}: not a shard report (no "shard" field; run ivit eval --shard I/N --json-out FILE)`);
  const info = (f: { report: EvalReport }): EvalShardInfo => f.report.shard!;
  const a = files[0]!;
  const foreign = files.find((f) => info(f).fingerprint !== info(a).fingerprint);
  if (foreign)
    throw new EvalMergeError(
      `${foreign.name} and ${a.name} are shards of different evaluations (other model file, data, --limit, --sim-sample, machine or float checkpoint)`,
    );
  const problem = shardSetProblem(files.map((f) => ({ ...info(f), name: f.name })));
  if (problem) throw new EvalMergeError(problem);
  const shards = [...files].sort((x, y) => info(x).index - info(y).index);
  const names = shards.map((s) => s.name);
  const reports = shards.map((s) => s.report);
  const count = sum(reports.map((r) => r.count));
  const first = reports[0]!;

  const columns = {} as Record<ColumnName, Column>;
  for (const c of Object.keys(first.columns) as ColumnName[])
    columns[c] = mergeOrUnavailable(
      `the ${c} column`,
      names,
      reports.map((r) => r.columns[c]),
      (vs) => mergeColumn(vs, count),
    );

  const int64VsGolden = mergeOrUnavailable(
    'the int64 comparison',
    names,
    reports.map((r) => r.int64VsGolden),
    (vs) => ({
      imagesEqual: sum(vs.map((v) => v.imagesEqual)),
      logitsEqual: sum(vs.map((v) => v.logitsEqual)),
      logitsCompared: sum(vs.map((v) => v.logitsCompared)),
      images: sum(vs.map((v) => v.images)),
      firstDiffering: vs.flatMap((v) => v.firstDiffering).slice(0, 10), // each shard's are global indices, shards in order
    }),
  );

  const sims = reports.map((r) => r.simulator);
  let simulator: EvalReport['simulator'] = null;
  if (sims.some((s) => s !== null)) {
    const images = sims.flatMap((s) => s?.images ?? []);
    simulator = {
      images,
      bitExact: images.filter((s) => s.bitExact && s.poolLogitsMatch).length,
      msPerImage: images.reduce((acc, s) => acc + s.compileMs + s.simulateMs, 0) / Math.max(images.length, 1),
    };
  }

  const goldenSeconds = sum(reports.map((r) => r.throughput.goldenSeconds));
  const torchSeconds: EvalReport['throughput']['torchSeconds'] = {};
  for (const r of reports)
    for (const [k, v] of Object.entries(r.throughput.torchSeconds) as Array<[keyof typeof torchSeconds, number]>) torchSeconds[k] = (torchSeconds[k] ?? 0) + v;

  return {
    model: first.model,
    modelName: first.modelName,
    data: first.data,
    split: first.split,
    ...(first.numerics !== undefined ? { numerics: first.numerics } : {}),
    count,
    classes: first.classes.map((c, i) => ({ name: c.name, images: sum(reports.map((r) => r.classes[i]!.images)) })),
    floatCheckpoint: first.floatCheckpoint,
    columns,
    int64VsGolden,
    argmaxAgreement: {
      fp32VsGolden: mergeOrUnavailable(
        'the FP32 agreement',
        names,
        reports.map((r) => r.argmaxAgreement.fp32VsGolden),
        mergeAgreement,
      ),
      fakeQuantVsGolden: mergeOrUnavailable(
        'the fake-quant agreement',
        names,
        reports.map((r) => r.argmaxAgreement.fakeQuantVsGolden),
        mergeAgreement,
      ),
    },
    simulator,
    throughput: {
      goldenWorkers: first.throughput.goldenWorkers,
      goldenSeconds,
      goldenImagesPerSecond: count / goldenSeconds,
      torchSeconds,
    },
    environment: first.environment,
    notes: [...new Set(reports.flatMap((r) => r.notes))],
  };
}
