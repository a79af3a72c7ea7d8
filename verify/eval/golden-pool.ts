/**
 * The golden model over many images on worker threads: each worker takes the next image from a shared
 * counter (so a slow worker never holds the rest up) and writes its logits into one shared array.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { NumericsConfig } from '../golden/numerics-config.js';
import type { QuantModel } from '../golden/qmodel.js';
import type { GoldenWorkerData, GoldenWorkerMessage } from './golden-worker.js';

export class GoldenPoolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GoldenPoolError';
  }
}

export interface GoldenBatch {
  /** int32 [count × numClasses] */
  logits: Int32Array;
  workers: number;
  millis: number;
}

export interface GoldenPoolOptions {
  workers?: number;
  onProgress?: (done: number, total: number) => void;
}

export function defaultWorkers(): number {
  return availableParallelism();
}

/** Golden logits of `count` images held back to back in `inputs` (each inChannels × imageSize² int8). */
export async function goldenLogits(
  model: QuantModel,
  numerics: NumericsConfig,
  inputs: Int8Array,
  count: number,
  opts: GoldenPoolOptions = {},
): Promise<GoldenBatch> {
  const c = model.config;
  const len = c.inChannels * c.imageSize * c.imageSize;
  if (inputs.length !== count * len) throw new GoldenPoolError(`golden pool: ${inputs.length} input values for ${count} images of ${len}`);
  const workers = Math.max(1, Math.min(opts.workers ?? defaultWorkers(), Math.max(count, 1)));
  const shared = new SharedArrayBuffer(inputs.length);
  new Int8Array(shared).set(inputs);
  const logits = new SharedArrayBuffer(count * c.numClasses * 4);
  const next = new SharedArrayBuffer(4);
  const data: GoldenWorkerData = { model, numerics, inputs: shared, logits, next, count };
  const t0 = performance.now();
  let done = 0;
  let failure: string | undefined;
  await Promise.all(
    Array.from(
      { length: workers },
      () =>
        new Promise<void>((resolve, reject) => {
          const w = new Worker(new URL('./golden-worker.js', import.meta.url), { workerData: data });
          w.on('message', (m: GoldenWorkerMessage) => {
            if ('error' in m) failure ??= `golden model, image ${m.index}: ${m.error}`;
            else opts.onProgress?.(++done, count);
          });
          w.on('error', reject);
          w.on('exit', (code) => (code === 0 ? resolve() : reject(new GoldenPoolError(`a golden worker exited with code ${code}`))));
        }),
    ),
  );
  if (failure) throw new GoldenPoolError(failure);
  return { logits: new Int32Array(logits), workers, millis: performance.now() - t0 };
}
