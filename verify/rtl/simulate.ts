/**
 * Build a generated unit's test bench once per simulator (cached by a hash of the sources) and run it on
 * a file of beats. Verilator compiles to a native binary, so one build serves every vector file; Icarus
 * is the independent second simulator.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GeneratedUnit } from '../../rtl-gen/design.js';
import { drainCyclesFor, unitSources } from '../../rtl-gen/emit.js';
import { buildTestbench, testbenchName } from '../../rtl-gen/testbench.js';

export type Simulator = 'verilator' | 'icarus';

export interface SimBuild {
  simulator: Simulator;
  dir: string;
  /** the command that runs the bench in a directory holding vectors.in */
  run: { file: string; args: string[] };
}

export interface SimLog {
  /** cycles at which input beats were taken */
  accepted: number[];
  /** output beats: cycle and one bigint per output port */
  outputs: Array<{ cycle: number; fields: bigint[] }>;
  endCycle: number;
}

const CACHE = join(tmpdir(), 'ivit-rtl-sim');

export function buildSimulation(u: GeneratedUnit, simulator: Simulator, maxRowLength: number): SimBuild {
  const files = unitSources(u);
  const tbName = testbenchName(u);
  files.set(`${tbName}.v`, buildTestbench(u, drainCyclesFor(u, maxRowLength)));
  return buildSources(files, tbName, simulator, u.top);
}

/**
 * Build Verilog sources (file name → text) with the test bench `tbName` as top, once per simulator and sources:
 * the build is cached under the system's temporary directory by a hash of the sources.
 */
export function buildSources(files: ReadonlyMap<string, string>, tbName: string, simulator: Simulator, label: string): SimBuild {
  const hash = createHash('sha256');
  hash.update(simulator).update('\0').update(tbName);
  for (const [name, text] of files) hash.update('\0').update(name).update('\0').update(text);
  const dir = join(CACHE, `${label}-${simulator}-${hash.digest('hex').slice(0, 16)}`);
  const binary = simulator === 'verilator' ? join(dir, 'obj', 'sim') : join(dir, 'sim.vvp');
  const build: SimBuild =
    simulator === 'verilator' ? { simulator, dir, run: { file: binary, args: [] } } : { simulator, dir, run: { file: 'vvp', args: ['-n', binary] } };
  if (existsSync(binary)) return build;
  // Build in a private directory and rename it into place: several test processes (other engineers' runs
  // of the whole suite) may build the same configuration at once, and must never delete each other's work.
  mkdirSync(CACHE, { recursive: true });
  const staging = mkdtempSync(join(CACHE, '.build-'));
  try {
    const paths: string[] = [];
    for (const [name, text] of files) {
      writeFileSync(join(staging, name), text);
      paths.push(join(staging, name));
    }
    compileBench(simulator, paths, tbName, staging);
    try {
      renameSync(staging, dir);
    } catch {
      // someone else finished the same build first: use theirs; a leftover without a binary is replaced
      if (!existsSync(binary)) {
        rmSync(dir, { recursive: true, force: true });
        renameSync(staging, dir);
      }
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return build;
}

/**
 * Compile a test bench and its modules (Verilog files on disk) into `outDir`; returns the command that runs it
 * in a directory holding vectors.in. Verilator builds a native binary obj/sim, Icarus a vvp image sim.vvp.
 */
export function compileBench(simulator: Simulator, paths: readonly string[], tbName: string, outDir: string): SimBuild['run'] {
  if (simulator === 'verilator') {
    execFileSync(
      'verilator',
      ['--binary', '--timing', '-Wno-fatal', '-Wno-lint', '-Wno-style', '--top-module', tbName, '-Mdir', join(outDir, 'obj'), '-o', 'sim', '-j', '2', ...paths],
      { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 },
    );
    return { file: join(outDir, 'obj', 'sim'), args: [] };
  }
  execFileSync('iverilog', ['-g2005', '-o', join(outDir, 'sim.vvp'), '-s', tbName, ...paths], { stdio: ['ignore', 'pipe', 'pipe'] });
  return { file: 'vvp', args: ['-n', join(outDir, 'sim.vvp')] };
}

/** Run the bench on the given beat lines; returns the parsed log. */
export function runSimulation(build: SimBuild, beatLines: string[]): SimLog {
  const work = mkdtempSync(join(tmpdir(), 'ivit-rtl-run-'));
  try {
    writeFileSync(join(work, 'vectors.in'), beatLines.join('\n') + '\n');
    execFileSync(build.run.file, build.run.args, { cwd: work, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 << 20 });
    return parseLog(readFileSync(join(work, 'vectors.out'), 'utf8'));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export function parseLog(text: string): SimLog {
  const log: SimLog = { accepted: [], outputs: [], endCycle: -1 };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const parts = line.trim().split(/\s+/);
    const cycle = Number(parts[1]);
    if (parts[0] === 'I') log.accepted.push(cycle);
    else if (parts[0] === 'O') log.outputs.push({ cycle, fields: parts.slice(2).map((h) => BigInt(`0x${h.replace(/[xz]/gi, '0')}`)) });
    else if (parts[0] === 'E') log.endCycle = cycle;
    if (parts[0] === 'O' && /[xz]/i.test(line)) throw new Error(`simulation produced X/Z outputs: ${line}`);
  }
  if (log.endCycle < 0) throw new Error('simulation log has no end marker (the bench did not finish)');
  return log;
}
