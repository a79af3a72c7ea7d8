/**
 * `ivit rtl check DIR`: compile the Verilog in DIR (the unit's modules and its generated stream test bench) with
 * Icarus or Verilator, run the bench on DIR/vectors.in (it writes DIR/vectors.out), and compare every output
 * beat, lane by lane, with the golden model's beats in DIR/vectors.expected (bench-vectors.ts writes both).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { StreamPort } from '../../rtl-gen/design.js';
import { unpackLanes } from './cosim.js';
import { type SimBuild, type SimLog, type Simulator, buildSources, parseLog } from './simulate.js';
import { VECTORS_FORMAT, VECTORS_VERSION, VECTOR_FILES, type VectorsManifest } from './bench-vectors.js';

/** The directory cannot be checked as it is (missing, no vectors, a simulator that is not installed): bad input. */
export class BenchInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BenchInputError';
  }
}

export interface BenchMismatch {
  /** index of the vector (row or beat, vectors.json's vectorKind) and of the output beat within it */
  vector: number;
  beat: number;
  /** index of the output beat in the whole run (the line of vectors.expected, from 0) */
  runBeat: number;
  port: string;
  lane: number;
  /** undefined: the beat is missing on that side (too few or too many output beats) */
  expected: bigint | undefined;
  got: bigint | undefined;
}

export interface BenchCheck {
  dir: string;
  simulator: Simulator;
  manifest: VectorsManifest;
  /** output beats expected and produced */
  expectedBeats: number;
  gotBeats: number;
  /** values (lanes of the data port) compared, and how many lanes of any port differ */
  values: number;
  mismatchCount: number;
  first: BenchMismatch | undefined;
  /** why the run gave no comparable output (X/Z values, no end marker), if so */
  failure: string | undefined;
  cycles: number;
  seconds: { compile: number; run: number };
}

function readManifest(dir: string): VectorsManifest {
  const file = join(dir, VECTOR_FILES.manifest);
  if (!existsSync(file)) throw new BenchInputError(`${dir}: no ${VECTOR_FILES.manifest} (write the vectors with: ivit rtl <unit> -o ${dir} --vectors N)`);
  let m: Partial<VectorsManifest>;
  try {
    m = JSON.parse(readFileSync(file, 'utf8')) as Partial<VectorsManifest>;
  } catch (e) {
    throw new BenchInputError(`${file}: not JSON (${(e as Error).message})`);
  }
  if (m.format !== VECTORS_FORMAT || m.version !== VECTORS_VERSION)
    throw new BenchInputError(
      `${file}: not an ${VECTORS_FORMAT} version ${VECTORS_VERSION} manifest (format ${String(m.format)}, version ${String(m.version)})`,
    );
  if (typeof m.testbench !== 'string' || !Array.isArray(m.outputs) || !Array.isArray(m.outputBeatsPerVector))
    throw new BenchInputError(`${file}: testbench, outputs or outputBeatsPerVector missing`);
  return m as VectorsManifest;
}

function parseExpected(file: string, ports: readonly StreamPort[]): bigint[][] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const beats: bigint[][] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const fields = line.trim().split(/\s+/);
    if (fields.length !== ports.length || !fields.every((f) => /^[0-9a-f]+$/i.test(f)))
      throw new BenchInputError(`${file}:${i + 1}: expected ${ports.length} hex fields (${ports.map((p) => p.name).join(' ')}), got '${line}'`);
    beats.push(fields.map((f) => BigInt(`0x${f}`)));
  });
  return beats;
}

/** The first line of a tool's complaint (its stderr, else its stdout). */
function firstError(e: unknown): string {
  const err = e as { stderr?: Buffer | string; stdout?: Buffer | string; message?: string };
  const text = `${err.stderr?.toString() ?? ''}\n${err.stdout?.toString() ?? ''}`;
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => /error/i.test(l)) ??
    text.trim().split('\n')[0] ??
    err.message ??
    String(e)
  );
}

function isMissingTool(e: unknown): boolean {
  return (e as NodeJS.ErrnoException).code === 'ENOENT';
}

/** Compare the bench's output beats with the expected ones: counts, and the first difference. */
function compare(manifest: VectorsManifest, expected: bigint[][], log: SimLog): Pick<BenchCheck, 'values' | 'mismatchCount' | 'first'> {
  const ports = manifest.outputs;
  const vectorOf: Array<{ vector: number; beat: number }> = [];
  manifest.outputBeatsPerVector.forEach((n, v) => {
    for (let b = 0; b < n; b++) vectorOf.push({ vector: v, beat: b });
  });
  let values = 0;
  let mismatchCount = 0;
  let first: BenchMismatch | undefined;
  const beats = Math.max(expected.length, log.outputs.length);
  for (let i = 0; i < beats; i++) {
    const want = expected[i];
    const have = log.outputs[i]?.fields;
    const where = vectorOf[i] ?? { vector: manifest.outputBeatsPerVector.length, beat: i - vectorOf.length };
    ports.forEach((port, pi) => {
      const w = want ? unpackLanes(want[pi]!, port) : undefined;
      const g = have ? unpackLanes(have[pi] ?? 0n, port) : undefined;
      for (let lane = 0; lane < port.lanes; lane++) {
        if (pi === ports.length - 1 && w) values++;
        if (w?.[lane] === g?.[lane]) continue;
        mismatchCount++;
        first ??= { ...where, runBeat: i, port: port.name, lane, expected: w?.[lane], got: g?.[lane] };
      }
    });
  }
  return { values, mismatchCount, first };
}

export function checkBench(dir: string, simulator: Simulator): BenchCheck {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new BenchInputError(`${dir}: no such directory`);
  const manifest = readManifest(dir);
  for (const f of [VECTOR_FILES.input, VECTOR_FILES.expected, `${manifest.testbench}.v`])
    if (!existsSync(join(dir, f))) throw new BenchInputError(`${dir}: ${f} is missing`);
  const expected = parseExpected(join(dir, VECTOR_FILES.expected), manifest.outputs);
  const sources = new Map(
    readdirSync(dir)
      .filter((f) => f.endsWith('.v'))
      .sort()
      .map((f) => [f, readFileSync(join(dir, f), 'utf8')] as const),
  );
  const t0 = performance.now();
  let run: SimBuild['run'];
  try {
    run = buildSources(sources, manifest.testbench, simulator, manifest.top).run;
  } catch (e) {
    if (isMissingTool(e)) throw new BenchInputError(`${simulator === 'icarus' ? 'iverilog' : 'verilator'} is not installed (not on PATH)`);
    throw new BenchInputError(`${simulator} cannot compile the bench in ${dir}: ${firstError(e)}`);
  }
  const t1 = performance.now();
  rmSync(join(dir, VECTOR_FILES.output), { force: true });
  try {
    execFileSync(run.file, run.args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 << 20, timeout: 600000 });
  } catch (e) {
    if (isMissingTool(e)) throw new BenchInputError(`${run.file} is not installed (not on PATH)`);
    throw e;
  }
  const t2 = performance.now();
  const seconds = { compile: (t1 - t0) / 1000, run: (t2 - t1) / 1000 };
  const base = { dir, simulator, manifest, expectedBeats: expected.length, seconds };
  const outFile = join(dir, VECTOR_FILES.output);
  if (!existsSync(outFile))
    return { ...base, gotBeats: 0, values: 0, mismatchCount: 0, first: undefined, failure: `the bench wrote no ${VECTOR_FILES.output}`, cycles: 0 };
  let log: SimLog;
  try {
    log = parseLog(readFileSync(outFile, 'utf8'));
  } catch (e) {
    return { ...base, gotBeats: 0, values: 0, mismatchCount: 0, first: undefined, failure: (e as Error).message, cycles: 0 };
  }
  return { ...base, gotBeats: log.outputs.length, ...compare(manifest, expected, log), failure: undefined, cycles: log.endCycle };
}

export function benchPassed(c: BenchCheck): boolean {
  return c.failure === undefined && c.mismatchCount === 0 && c.expectedBeats === c.gotBeats;
}

/** The verdict: one line for a pass; for a failure, what differs first (vector, beat, port and lane, expected, got). */
export function benchVerdict(c: BenchCheck): string {
  const m = c.manifest;
  const what = `${m.testbench} under ${c.simulator}`;
  const kind = m.vectorKind === 'rows' ? 'rows' : 'beats';
  if (benchPassed(c))
    return `PASS ${what}: ${m.vectors.toLocaleString('en-US')} vectors (${kind}), ${c.gotBeats.toLocaleString('en-US')} output beats, ${c.values.toLocaleString('en-US')} values equal to the golden model (seed ${m.seed}, ${c.cycles.toLocaleString('en-US')} cycles)`;
  if (c.failure !== undefined) return `FAIL ${what}: ${c.failure}`;
  const f = c.first!;
  const show = (v: bigint | undefined): string => (v === undefined ? 'no beat' : v.toString());
  const vector = f.vector < m.vectors ? `vector ${f.vector} (${kind === 'rows' ? 'row' : 'beat'}), output beat ${f.beat}` : 'past the last vector';
  const counts = c.expectedBeats === c.gotBeats ? '' : `; ${c.expectedBeats} output beats expected, ${c.gotBeats} written`;
  const differ = c.mismatchCount === 1 ? '1 value differs' : `${c.mismatchCount.toLocaleString('en-US')} values differ`;
  return `FAIL ${what}: ${differ}${counts}; first at ${vector} (line ${f.runBeat + 1} of ${VECTOR_FILES.expected}), ${f.port}[${f.lane}]: expected ${show(f.expected)}, got ${show(f.got)}`;
}
