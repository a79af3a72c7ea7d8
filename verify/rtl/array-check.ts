/**
 * `ivit rtl array|ws-array|os-array -o DIR --vectors N` and `ivit rtl check DIR` for the generated array: DIR gets
 * the array core, its bench (verify/rtl/array-bench.ts) and N seeded gemm instructions, one folder each with the
 * bench's inputs and the expected accumulator image (the golden matmul in C, every other word unchanged) and
 * cycle count (arrayTiming(), the simulator's charge for the gemm); the check compiles the bench, runs every
 * gemm and compares all words and the cycles.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GeneratedArray } from '../../rtl-gen/array/gemm-io.js';
import type { ArrayGeometry } from '../../sim/array/shape.js';
import { type DataflowName, arrayTiming } from '../../sim/array/timing.js';
import { mulberry32 } from '../../isa/asm/prng.js';
import { ARRAY_BENCH_TOP, type GemmDraw, arrayBenchInput, arrayBenchText, gemmOf, goldenGemm } from './array-bench.js';
import { BenchInputError } from './bench-check.js';
import { type Simulator, buildSources } from './simulate.js';

export const ARRAY_MANIFEST = 'array-vectors.json';
const FORMAT = 'ivit-array-vectors';
const VERSION = 1;
const EXPECTED = 'expected.hex';

export interface ArrayVectorsManifest {
  format: typeof FORMAT;
  version: typeof VERSION;
  top: string;
  testbench: string;
  dataflow: DataflowName;
  geometry: ArrayGeometry;
  seed: number;
  gemms: Array<GemmDraw & { dir: string; expectedCycles: number }>;
}

/** `count` gemms drawn from `seed`: m, n, k up to 3·max(R, C) (at most 96, so that C stays within int32). */
export function drawGemms(g: ArrayGeometry, count: number, seed: number): GemmDraw[] {
  const next = mulberry32(seed);
  const top = Math.min(96, 3 * Math.max(g.rows, g.cols));
  const dim = (): number => 1 + (next() % top);
  return Array.from({ length: count }, () => ({
    m: dim(),
    n: dim(),
    k: dim(),
    a16: next() % 2 === 1,
    init: (['zero', 'acc', 'bias'] as const)[next() % 3]!,
    bLayout: next() % 2 === 0 ? ('rows' as const) : ('transposed' as const),
    pad: next() % 3,
    seed: next() & 0x7fffffff,
  }));
}

const hex32 = (v: number): string => (v >>> 0).toString(16).padStart(8, '0');

/** Write the core, the bench and the gemms' folders into `dir`; returns the paths written. */
export function writeArrayVectors(dir: string, arr: GeneratedArray, dataflow: DataflowName, draws: GemmDraw[], seed: number): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const put = (path: string, text: string): void => {
    writeFileSync(path, text);
    written.push(path);
  };
  for (const [name, text] of arr.files) put(join(dir, name), text);
  put(join(dir, `${ARRAY_BENCH_TOP}.v`), arrayBenchText(arr.top, arr.geometry));
  const gemms: ArrayVectorsManifest['gemms'] = draws.map((d, i) => {
    const sub = `gemm-${i}`;
    mkdirSync(join(dir, sub), { recursive: true });
    const g = gemmOf(d);
    const input = arrayBenchInput(g);
    for (const [name, text] of input.files) writeFileSync(join(dir, sub, name), text);
    const want = Int32Array.from(input.accWords);
    const c = goldenGemm(g);
    for (let r = 0; r < g.m; r++) for (let j = 0; j < g.n; j++) want[input.cAddr + r * input.cstride + j] = c[r * g.n + j]!;
    writeFileSync(join(dir, sub, EXPECTED), Array.from(want, hex32).join('\n') + '\n');
    written.push(join(dir, sub));
    const expectedCycles = arrayTiming(arr.geometry, { m: d.m, n: d.n, k: d.k, passes: d.a16 ? 2 : 1 }, dataflow).cycles;
    return { dir: sub, ...d, expectedCycles };
  });
  const manifest: ArrayVectorsManifest = {
    format: FORMAT,
    version: VERSION,
    top: arr.top,
    testbench: ARRAY_BENCH_TOP,
    dataflow,
    geometry: arr.geometry,
    seed,
    gemms,
  };
  put(join(dir, ARRAY_MANIFEST), JSON.stringify(manifest, null, 1) + '\n');
  return written;
}

export function isArrayVectorsDir(dir: string): boolean {
  return existsSync(join(dir, ARRAY_MANIFEST));
}

export interface ArrayGemmResult {
  dir: string;
  expectedCycles: number;
  rtlCycles: number | undefined;
  /** words compared; index of the first differing word (−1: none) */
  words: number;
  firstMismatch: number;
  failure: string | undefined;
}

export interface ArrayVectorsCheck {
  manifest: ArrayVectorsManifest;
  simulator: Simulator;
  results: ArrayGemmResult[];
}

function readManifest(dir: string): ArrayVectorsManifest {
  const file = join(dir, ARRAY_MANIFEST);
  let m: Partial<ArrayVectorsManifest>;
  try {
    m = JSON.parse(readFileSync(file, 'utf8')) as Partial<ArrayVectorsManifest>;
  } catch (e) {
    throw new BenchInputError(`${file}: not JSON (${(e as Error).message})`);
  }
  if (m.format !== FORMAT || m.version !== VERSION) throw new BenchInputError(`${file}: not an ${FORMAT} version ${VERSION} manifest`);
  if (typeof m.testbench !== 'string' || typeof m.top !== 'string' || !Array.isArray(m.gemms))
    throw new BenchInputError(`${file}: testbench, top or gemms missing`);
  return m as ArrayVectorsManifest;
}

function runOne(dir: string, run: { file: string; args: string[] }, gm: ArrayVectorsManifest['gemms'][number]): ArrayGemmResult {
  const sub = join(dir, gm.dir);
  const base = { dir: gm.dir, expectedCycles: gm.expectedCycles };
  if (!existsSync(join(sub, EXPECTED))) throw new BenchInputError(`${sub}: ${EXPECTED} is missing`);
  const want = readFileSync(join(sub, EXPECTED), 'utf8').trim().split('\n');
  rmSync(join(sub, 'array.out'), { force: true });
  execFileSync(run.file, run.args, { cwd: sub, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20, timeout: 600000 });
  if (!existsSync(join(sub, 'array.out'))) return { ...base, rtlCycles: undefined, words: 0, firstMismatch: -1, failure: 'the bench wrote no array.out' };
  const lines = readFileSync(join(sub, 'array.out'), 'utf8').trim().split('\n');
  const head = /^C (\d+)$/.exec(lines[0] ?? '');
  const got = lines.slice(1);
  if (!head) return { ...base, rtlCycles: undefined, words: 0, firstMismatch: -1, failure: `no cycle count in array.out (${lines[0] ?? 'empty'})` };
  let firstMismatch = -1;
  for (let x = 0; x < Math.max(want.length, got.length) && firstMismatch < 0; x++) if (want[x] !== got[x]) firstMismatch = x;
  return { ...base, rtlCycles: Number(head[1]), words: want.length, firstMismatch, failure: undefined };
}

export function checkArrayVectors(dir: string, simulator: Simulator): ArrayVectorsCheck {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new BenchInputError(`${dir}: no such directory`);
  const manifest = readManifest(dir);
  const sources = new Map(
    readdirSync(dir)
      .filter((f) => f.endsWith('.v'))
      .sort()
      .map((f) => [f, readFileSync(join(dir, f), 'utf8')] as const),
  );
  if (!sources.has(`${manifest.testbench}.v`)) throw new BenchInputError(`${dir}: ${manifest.testbench}.v is missing`);
  let run: { file: string; args: string[] };
  try {
    run = buildSources(sources, manifest.testbench, simulator, manifest.top).run;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new BenchInputError(`${simulator === 'icarus' ? 'iverilog' : 'verilator'} is not installed (not on PATH)`);
    throw new BenchInputError(`${simulator} cannot compile the bench in ${dir}: ${(e as Error).message.split('\n')[0]}`);
  }
  return { manifest, simulator, results: manifest.gemms.map((gm) => runOne(dir, run, gm)) };
}

const ok = (r: ArrayGemmResult): boolean => r.failure === undefined && r.firstMismatch < 0 && r.rtlCycles === r.expectedCycles;

export function arrayVectorsPassed(c: ArrayVectorsCheck): boolean {
  return c.results.length > 0 && c.results.every(ok);
}

/** One line: PASS with the counts, or FAIL naming the first gemm that differs and how. */
export function arrayVectorsVerdict(c: ArrayVectorsCheck): string {
  const m = c.manifest;
  const what = `${m.top} under ${c.simulator}`;
  if (arrayVectorsPassed(c)) {
    const cycles = c.results.reduce((s, r) => s + r.expectedCycles, 0);
    const words = c.results.reduce((s, r) => s + r.words, 0);
    return `PASS ${what}: ${c.results.length} gemms (seed ${m.seed}), ${words.toLocaleString('en-US')} accumulator words equal to the golden matmul, ${cycles.toLocaleString('en-US')} cycles equal to arrayTiming()`;
  }
  const bad = c.results.find((r) => !ok(r));
  if (!bad) return `FAIL ${what}: no gemms in ${ARRAY_MANIFEST}`;
  const g = m.gemms.find((x) => x.dir === bad.dir)!;
  const shape = `${g.m}×${g.n}×${g.k}${g.a16 ? ' int16' : ''} init ${g.init}`;
  if (bad.failure !== undefined) return `FAIL ${what}: ${bad.dir} (${shape}): ${bad.failure}`;
  if (bad.firstMismatch >= 0) return `FAIL ${what}: ${bad.dir} (${shape}): accumulator word ${bad.firstMismatch} differs from ${EXPECTED}`;
  return `FAIL ${what}: ${bad.dir} (${shape}): ${bad.rtlCycles} cycles, arrayTiming() ${bad.expectedCycles}`;
}
