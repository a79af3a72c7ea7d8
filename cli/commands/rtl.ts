/**
 * `ivit rtl <unit> [options] -o dir [--vectors N]`: write a unit's Verilog, its test bench and its JSON descriptor,
 * and with --vectors the bench's golden-model stimulus and expected outputs. `ivit rtl check dir` runs that bench
 * under Icarus or Verilator and compares its outputs with the expectation. The systolic array (array, ws-array,
 * os-array) takes its geometry and dataflow from the configuration and has its own bench (cli/commands/rtl-array.ts).
 */
import type { Command } from 'commander';
import { writeUnit } from '../../rtl-gen/emit.js';
import { describeUnit } from '../../rtl-gen/descriptor.js';
import { ARRAY_UNITS, UNITS, findArrayUnit } from '../../rtl-gen/units/index.js';
import { MAX_VECTORS, STIMULUS_UNITS, benchVectors, writeBenchVectors } from '../../verify/rtl/bench-vectors.js';
import { BenchInputError, benchPassed, benchVerdict, checkBench } from '../../verify/rtl/bench-check.js';
import type { Simulator } from '../../verify/rtl/simulate.js';
import { type RawUnitFlags, addUnitOptions, parseUnit, parseUnitOptions } from './rtl-options.js';
import { writeArrayCommand } from './rtl-array.js';
import { arrayVectorsPassed, arrayVectorsVerdict, checkArrayVectors, isArrayVectorsDir } from '../../verify/rtl/array-check.js';
import { ensureOutputDir } from '../output-paths.js';
import { UserError, registerUserErrorClass } from '../errors.js';

registerUserErrorClass(BenchInputError);

/** gemm instructions `--vectors` may ask of the array (each is one bench run) */
const MAX_ARRAY_GEMMS = 1000;

interface RtlFlags extends RawUnitFlags {
  out?: string;
  vectors?: string;
  seed: string;
}

function count(v: string | undefined, flag: string, lo: number, hi: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < lo || Number(v) > hi) throw new UserError(`--${flag} must be an integer ${lo}..${hi}, got '${v}'`);
  return Number(v);
}

export function registerRtl(program: Command): void {
  const cmd = program
    .command('rtl')
    .description(
      'generate Verilog-2005, a stream test bench and a JSON descriptor (ports, latency, II, parameters) for a unit; ' +
        'with --vectors N also the bench input vectors.in and the golden expectation; `ivit rtl check <dir>` runs the bench and compares',
    )
    .argument('<unit>', `${[...UNITS, ...ARRAY_UNITS].map((u) => u.name).join(' | ')} (or: check <dir>, see below)`)
    .option('-o, --out <dir>', 'output directory (required)')
    .option(
      '--vectors <N>',
      `also write N seeded golden-model vectors (rows for shiftmax/shiftgelu/layernorm, gemm instructions for the array, beats otherwise; 1..${MAX_VECTORS}): vectors.in, vectors.expected, vectors.json (the array: gemm-<i>/, array-vectors.json)`,
    )
    .option('--seed <s>', 'seed of the --vectors stimulus', '1');
  addUnitOptions(cmd);
  cmd.action((unit: string, opts: RtlFlags) => {
    // not a commander requiredOption: that would also be demanded of `ivit rtl check`
    if (opts.out === undefined) throw new UserError("required option '-o, --out <dir>' not specified");
    const out = opts.out;
    const vectors = count(opts.vectors, 'vectors', 1, MAX_VECTORS);
    const seed = count(opts.seed, 'seed', 0, 2 ** 32 - 1)!;
    ensureOutputDir(out);
    const array = findArrayUnit(unit);
    if (array) {
      if (vectors !== undefined && vectors > MAX_ARRAY_GEMMS) throw new UserError(`--vectors: at most ${MAX_ARRAY_GEMMS} gemms for the array, got ${vectors}`);
      writeArrayCommand(array, opts, out, vectors, seed);
      return;
    }
    const entry = parseUnit(unit);
    if (vectors !== undefined && !STIMULUS_UNITS.includes(entry.name))
      throw new UserError(`--vectors: no golden-model stimulus for unit ${entry.name} (${STIMULUS_UNITS.join(', ')} have one)`);
    const u = entry.build(parseUnitOptions(opts, entry));
    const files = writeUnit(u, out, entry.maxRowLength);
    const d = describeUnit(u, entry.maxRowLength);
    process.stdout.write(`${u.top}: ${entry.what}\n`);
    for (const f of files) process.stdout.write(`  wrote ${f.path} (${f.kind})\n`);
    if (vectors !== undefined) {
      const v = benchVectors(u, entry.maxRowLength, vectors, seed);
      const [input, expected, manifest] = writeBenchVectors(out, v);
      process.stdout.write(`  wrote ${input} (${v.inputLines.length} input beats: ${vectors} ${v.manifest.vectorKind}, seed ${seed})\n`);
      process.stdout.write(`  wrote ${expected} (${v.expectedLines.length} output beats from the golden model)\n`);
      process.stdout.write(`  wrote ${manifest} (vectors manifest)\n`);
    }
    const ex = d.timing.examples.map((e) => `N=${e.rowLength}: ${e.latency}/${e.initiationInterval}`).join(', ');
    process.stdout.write(`  latency/II in cycles: ${ex}\n`);
  });
  cmd
    .command('check')
    .description(
      'run the test bench written by `ivit rtl <unit> -o <dir> --vectors N` and compare vectors.out with the golden expectation (exit 1 on a mismatch)',
    )
    .argument('<dir>', 'the directory ivit rtl wrote')
    .option('--sim <simulator>', 'icarus | verilator', 'icarus')
    .action((dir: string, opts: { sim: string }) => {
      if (opts.sim !== 'icarus' && opts.sim !== 'verilator') throw new UserError(`--sim must be icarus or verilator, got '${opts.sim}'`);
      if (isArrayVectorsDir(dir)) {
        const c = checkArrayVectors(dir, opts.sim);
        process.stdout.write(`${arrayVectorsVerdict(c)}\n`);
        if (!arrayVectorsPassed(c)) process.exitCode = 1;
        return;
      }
      const result = checkBench(dir, opts.sim as Simulator);
      process.stdout.write(`${benchVerdict(result)}\n`);
      if (!benchPassed(result)) process.exitCode = 1;
    });
}
