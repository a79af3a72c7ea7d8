/**
 * Compile → simulate → check: the pipeline behind `ivit run`. The verdict is bit-exact only when the logits
 * and the hash of every layer the program wrote to DRAM equal the golden model's.
 */
import { runGolden, type GoldenRun } from '../../verify/golden/run-golden.js';
import type { NumericsConfig } from '../../verify/golden/numerics-config.js';
import { numericsOf, type AcceleratorConfig } from '../../sim/config.js';
import { runProgram, type RunResult } from '../../sim/run.js';
import type { QuantModel } from '../../verify/golden/qmodel.js';
import { graphFromConfig, graphFromModel } from '../graph/build.js';
import { type CompiledProgram, compileGraph } from '../compiler/compile.js';
import { type LayerComparison, compareLayers, readTensor } from './readback.js';

export interface EndToEnd {
  compiled: CompiledProgram;
  result: RunResult;
  numerics: NumericsConfig;
  /** absent in a timing-only run */
  check?: {
    golden: GoldenRun;
    layers: LayerComparison[];
    logitsMatch: boolean;
    bitExact: boolean;
    argmax: number;
  };
  /** wall-clock milliseconds per phase, and the process's CPU milliseconds of the simulation (user + system) */
  millis: { compile: number; simulate: number; golden: number; simulateCpu: number };
}

export interface EndToEndOptions {
  timingOnly?: boolean;
  /** called as each phase starts (compiling, simulating, golden model, comparing) */
  onPhase?: (phase: string) => void;
  /** progress within the current phase: done of total (instructions simulated, golden layers evaluated) */
  onProgress?: (done: number, total: number) => void;
}

export function runEndToEnd(model: QuantModel, image: Int8Array, cfg: AcceleratorConfig, opts: EndToEndOptions = {}): EndToEnd {
  const numerics = numericsOf(cfg);
  const phase = opts.onPhase ?? (() => {});
  phase('compiling');
  const t0 = performance.now();
  // A shape-only graph compiles to the identical instruction stream: a model file without the FQ-ViT fields that
  // PTS LayerNorm needs can still be timed that way.
  const constantsMissing = numerics.layerNorm === 'pts' && model.fqvit === undefined;
  const graph = opts.timingOnly && constantsMissing ? graphFromConfig(model.config, numerics) : graphFromModel(model, numerics);
  const compiled = compileGraph(graph, cfg, { image });
  const t1 = performance.now();
  phase(opts.timingOnly ? 'simulating (timing only)' : 'simulating with values');
  const cpu0 = process.cpuUsage();
  const result = runProgram(compiled.image, {
    config: compiled.config,
    timingOnly: opts.timingOnly ?? false,
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
  const cpu = process.cpuUsage(cpu0);
  const simulateCpu = (cpu.user + cpu.system) / 1000;
  const t2 = performance.now();
  if (opts.timingOnly || !result.run.state) return { compiled, result, numerics, millis: { compile: t1 - t0, simulate: t2 - t1, golden: 0, simulateCpu } };
  phase('golden model');
  const golden = runGolden(model, image, numerics, { layerHashes: true, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) });
  const t3 = performance.now();
  const dram = result.run.state.dram;
  const layers = compareLayers(dram, compiled.tensors, golden.layerHashes);
  const logitsAt = compiled.tensors.find((t) => t.name === 'logits')!;
  const logits = readTensor(dram, logitsAt);
  const logitsMatch = logits.length === golden.logits.length && logits.every((v, i) => v === golden.logits[i]);
  return {
    compiled,
    result,
    numerics,
    check: { golden, layers, logitsMatch, bitExact: logitsMatch && layers.every((l) => l.match), argmax: argmaxOf(logits) },
    millis: { compile: t1 - t0, simulate: t2 - t1, golden: t3 - t2, simulateCpu },
  };
}

function argmaxOf(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}
