/**
 * One worker thread of the golden pool (golden-pool.ts): takes the next image index from a shared counter,
 * runs the golden forward pass on it, writes its logits into the shared output, reports it done.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { deriveModelConstants } from '../golden/model-constants.js';
import type { NumericsConfig } from '../golden/numerics-config.js';
import type { QuantModel } from '../golden/qmodel.js';
import { constantsResolver, vitForward } from '../golden/vit-forward.js';

export interface GoldenWorkerData {
  model: QuantModel;
  numerics: NumericsConfig;
  /** int8 [count × imageLength] */
  inputs: SharedArrayBuffer;
  /** int32 [count × classes] */
  logits: SharedArrayBuffer;
  /** int32 [1]: the next image index to take */
  next: SharedArrayBuffer;
  count: number;
}

export type GoldenWorkerMessage = { done: number } | { error: string; index: number };

const d = workerData as GoldenWorkerData;
const port = parentPort!;
const k = constantsResolver(deriveModelConstants(d.model, d.numerics));
const len = d.model.config.inChannels * d.model.config.imageSize * d.model.config.imageSize;
const classes = d.model.config.numClasses;
const inputs = new Int8Array(d.inputs);
const logits = new Int32Array(d.logits);
const next = new Int32Array(d.next);
let done = 0;
for (;;) {
  const i = Atomics.add(next, 0, 1);
  if (i >= d.count) break;
  try {
    const r = vitForward(d.model, inputs.subarray(i * len, (i + 1) * len), d.numerics, k);
    logits.set(r.logits, i * classes);
  } catch (e) {
    port.postMessage({ error: e instanceof Error ? e.message : String(e), index: i } satisfies GoldenWorkerMessage);
    Atomics.store(next, 0, d.count); // the others stop at their next image
    break;
  }
  port.postMessage({ done: ++done } satisfies GoldenWorkerMessage);
}
