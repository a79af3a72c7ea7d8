/** `verilator --lint-only -Wall` over every module of a generated unit; returns the warnings (empty when clean). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GeneratedUnit } from '../../rtl-gen/design.js';
import { unitSources } from '../../rtl-gen/emit.js';

export function lintUnit(u: GeneratedUnit): Array<{ module: string; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'ivit-rtl-lint-'));
  try {
    const files: string[] = [];
    for (const [name, text] of unitSources(u)) {
      writeFileSync(join(dir, name), text);
      files.push(join(dir, name));
    }
    const problems: Array<{ module: string; output: string }> = [];
    for (const mod of u.modules) {
      const r = spawnSync('verilator', ['--lint-only', '-Wall', '--top-module', mod.name, ...files], { encoding: 'utf8' });
      const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
      if (r.status !== 0 || output !== '') problems.push({ module: mod.name, output: output || `exit ${r.status}` });
    }
    return problems;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
