/** Writing a generated unit to disk: one <module>.v per module, the test bench, and the JSON descriptor. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GeneratedUnit } from './design.js';
import { buildTestbench, testbenchName } from './testbench.js';
import { describeUnit } from './descriptor.js';

export interface EmittedFile {
  path: string;
  kind: 'module' | 'testbench' | 'descriptor';
}

/** Verilog sources of the unit: file name → text, dependencies first. */
export function unitSources(u: GeneratedUnit): Map<string, string> {
  const files = new Map<string, string>();
  for (const mod of u.modules) {
    const name = `${mod.name}.v`;
    if (!files.has(name)) files.set(name, mod.emit());
  }
  return files;
}

/** Idle cycles the bench waits after the last input: the latency of the longest row it may see, with margin. */
export function drainCyclesFor(u: GeneratedUnit, maxRowLength: number): number {
  return u.timing(maxRowLength).latency + 16;
}

export function writeUnit(u: GeneratedUnit, dir: string, maxRowLength: number): EmittedFile[] {
  mkdirSync(dir, { recursive: true });
  const out: EmittedFile[] = [];
  for (const [name, text] of unitSources(u)) {
    writeFileSync(join(dir, name), text);
    out.push({ path: join(dir, name), kind: 'module' });
  }
  const tb = join(dir, `${testbenchName(u)}.v`);
  writeFileSync(tb, buildTestbench(u, drainCyclesFor(u, maxRowLength)));
  out.push({ path: tb, kind: 'testbench' });
  const desc = join(dir, `${u.top}.json`);
  writeFileSync(desc, JSON.stringify(describeUnit(u, maxRowLength), null, 2) + '\n');
  out.push({ path: desc, kind: 'descriptor' });
  return out;
}
