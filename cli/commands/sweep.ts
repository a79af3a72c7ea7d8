/**
 * `ivit sweep --model deit-s --rows 8,16,32 --dataflow ws,os --lanes 8,16 --bandwidth 16,32,64`: a design-space
 * sweep, one CSV or JSON row per configuration, the points spread over worker threads (one per core). This
 * module is also the worker's entry: a worker thread loads it with the sweep's workerData.
 */
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { type AcceleratorConfig, applyOverrides, numericsOf } from '../../sim/config.js';
import { zooConfig } from '../../verify/golden/zoo.js';
import { graphFromConfig } from '../../programs/graph/build.js';
import { type SweepRow, sweepCsv, sweepPoint } from '../../programs/flows/sweep-point.js';
import { UserError } from '../errors.js';
import { type MachineFlags, machineFromFlags, machineOptions } from './run.js';
import { checkOutputFile } from '../output-paths.js';

interface WorkerJob {
  kind: 'ivit-sweep';
  model: string;
  configs: AcceleratorConfig[];
}

if (!isMainThread && (workerData as WorkerJob | undefined)?.kind === 'ivit-sweep') {
  const job = workerData as WorkerJob;
  const graphs = new Map<string, ReturnType<typeof graphFromConfig>>();
  for (const cfg of job.configs) {
    const key = JSON.stringify(cfg.numerics);
    if (!graphs.has(key)) graphs.set(key, graphFromConfig(zooConfig(job.model), numericsOf(cfg)));
    parentPort!.postMessage(sweepPoint(graphs.get(key)!, cfg));
  }
}

interface SweepFlags extends MachineFlags {
  model: string;
  out?: string;
  json?: boolean;
  jobs?: string;
}

function list(v: string | undefined, what: string): string[] | undefined {
  if (v === undefined) return undefined;
  const items = v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (!items.length) throw new UserError(`--${what} needs a comma-separated list`);
  return items;
}

/** Every combination of the listed values over the base machine. */
export function sweepConfigs(base: AcceleratorConfig, axes: Array<[string, string[] | undefined]>): AcceleratorConfig[] {
  let out: AcceleratorConfig[] = [base];
  for (const [key, values] of axes) {
    if (!values) continue;
    out = out.flatMap((c) => values.map((v) => applyOverrides(c, [`${key}=${v}`])));
  }
  return out;
}

export async function runSweep(model: string, configs: AcceleratorConfig[], jobs: number, onRow: (r: SweepRow) => void): Promise<SweepRow[]> {
  zooConfig(model); // an unknown model fails here, not in a worker
  const workers = Math.max(1, Math.min(jobs, configs.length));
  const parts: AcceleratorConfig[][] = Array.from({ length: workers }, () => []);
  configs.forEach((c, i) => parts[i % workers]!.push(c));
  const rows: SweepRow[] = [];
  await Promise.all(
    parts.map(
      (part) =>
        new Promise<void>((resolve, reject) => {
          const w = new Worker(new URL(import.meta.url), { workerData: { kind: 'ivit-sweep', model, configs: part } satisfies WorkerJob });
          w.on('message', (r: SweepRow) => {
            rows.push(r);
            onRow(r);
          });
          w.on('error', reject);
          w.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`sweep worker exited with code ${code}`))));
        }),
    ),
  );
  const key = (r: SweepRow): string => JSON.stringify([r.rows, r.cols, r.dataflow, r.sduLanes, r.dmaBytesPerCycle]);
  const order = new Map(configs.map((c, i) => [JSON.stringify([c.array.rows, c.array.cols, c.array.dataflow, c.sdu.lanes, c.dma.bytesPerCycle]), i]));
  return rows.sort((a, b) => (order.get(key(a)) ?? 0) - (order.get(key(b)) ?? 0));
}

export function registerSweep(program: Command): void {
  machineOptions(
    program
      .command('sweep')
      .description('design-space sweep (timing only): array sizes, dataflows, SDU lanes, DRAM bandwidth; one CSV/JSON row per configuration, all cores')
      .requiredOption('--model <name>', 'a zoo model')
      .option('-o, --out <file>', 'write the rows here (.csv, or .json with --json) instead of stdout')
      .option('--json', 'JSON rows instead of CSV')
      .option('--jobs <n>', 'worker threads (default: one per core)'),
  ).action(async (flags: SweepFlags) => {
    if (flags.out) checkOutputFile(flags.out);
    // the machine flags take lists here: --rows 8,16,32 sweeps them; a single value just sets it
    const axes: Array<[string, string[] | undefined]> = [
      ['array.rows', list(flags.rows, 'rows')],
      ['array.cols', list(flags.cols, 'cols')],
      ['array.dataflow', list(flags.dataflow, 'dataflow')],
      ['sdu.lanes', list(flags.lanes, 'lanes')],
      ['dma.bytesPerCycle', list(flags.bandwidth, 'bandwidth')],
    ];
    const base = machineFromFlags({ ...flags, rows: undefined, cols: undefined, dataflow: undefined, lanes: undefined, bandwidth: undefined });
    const configs = sweepConfigs(base, axes);
    const jobs = flags.jobs === undefined ? availableParallelism() : Number(flags.jobs);
    if (!Number.isInteger(jobs) || jobs < 1) throw new UserError(`--jobs must be a positive integer, got "${flags.jobs}"`);
    let done = 0;
    const rows = await runSweep(flags.model, configs, jobs, () => {
      done++;
      if (process.stderr.isTTY) process.stderr.write(`\r\x1b[Ksweep: ${done}/${configs.length} configurations`);
    });
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    const text = flags.json ? `${JSON.stringify(rows, null, 2)}\n` : sweepCsv(rows);
    if (flags.out) {
      writeFileSync(flags.out, text);
      process.stderr.write(`ivit sweep: wrote ${rows.length} ${flags.json ? 'JSON' : 'CSV'} rows to ${flags.out}\n`);
    } else process.stdout.write(text);
    const failed = rows.filter((r) => r.error !== undefined);
    if (failed.length > 0) {
      for (const r of failed)
        process.stderr.write(`ivit sweep: ${r.rows}×${r.cols} ${r.dataflow}, ${r.sduLanes} lanes, ${r.dmaBytesPerCycle} B/cycle failed: ${r.error}\n`);
      process.exitCode = 1; // the rows are written, with the error in each failed row and no figures
    }
  });
}
