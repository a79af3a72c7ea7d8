/**
 * A design-space sweep over worker threads: every combination of the listed configuration values, each point
 * compiled and simulated for timing (sweep-point.ts) on one of `jobs` threads. This module is also the
 * worker's entry: a worker thread loads it with the sweep's workerData.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { type AcceleratorConfig, applyOverrides, numericsOf } from '../../sim/config.js';
import { zooConfig } from '../../verify/golden/zoo.js';
import { graphFromConfig } from '../graph/build.js';
import { type SweepRow, sweepPoint } from './sweep-point.js';

interface WorkerJob {
  kind: 'ivit-sweep';
  model: string;
  points: Array<{ index: number; config: AcceleratorConfig }>;
}

interface WorkerResult {
  index: number;
  row: SweepRow;
}

if (!isMainThread && (workerData as WorkerJob | undefined)?.kind === 'ivit-sweep') {
  const job = workerData as WorkerJob;
  const graphs = new Map<string, ReturnType<typeof graphFromConfig>>();
  for (const { index, config } of job.points) {
    const key = JSON.stringify(config.numerics);
    if (!graphs.has(key)) graphs.set(key, graphFromConfig(zooConfig(job.model), numericsOf(config)));
    parentPort!.postMessage({ index, row: sweepPoint(graphs.get(key)!, config) } satisfies WorkerResult);
  }
}

/** Every combination of the listed values over the base machine, the last axis varying fastest. */
export function sweepConfigs(base: AcceleratorConfig, axes: Array<[string, string[] | undefined]>): AcceleratorConfig[] {
  let out: AcceleratorConfig[] = [base];
  for (const [key, values] of axes) {
    if (!values) continue;
    out = out.flatMap((c) => values.map((v) => applyOverrides(c, [`${key}=${v}`])));
  }
  return out;
}

/** The rows of the configurations, in the configurations' order; onRow sees each as it arrives. */
export async function runSweep(model: string, configs: readonly AcceleratorConfig[], jobs: number, onRow: (r: SweepRow) => void): Promise<SweepRow[]> {
  zooConfig(model); // an unknown model fails here, not in a worker
  const workers = Math.max(1, Math.min(jobs, configs.length));
  const parts: WorkerJob['points'][] = Array.from({ length: workers }, () => []);
  configs.forEach((config, index) => parts[index % workers]!.push({ index, config }));
  const rows = new Array<SweepRow | undefined>(configs.length);
  await Promise.all(
    parts
      .filter((p) => p.length > 0)
      .map(
        (points) =>
          new Promise<void>((resolve, reject) => {
            const w = new Worker(new URL(import.meta.url), { workerData: { kind: 'ivit-sweep', model, points } satisfies WorkerJob });
            w.on('message', (m: WorkerResult) => {
              rows[m.index] = m.row;
              onRow(m.row);
            });
            w.on('error', reject);
            w.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`sweep worker exited with code ${code}`))));
          }),
      ),
  );
  return rows.map((r, i) => {
    if (!r) throw new Error(`sweep: no row for configuration ${i}`);
    return r;
  });
}
