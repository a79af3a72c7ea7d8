#!/usr/bin/env node
// The picture of the layers in docs/architecture.md: every import between two modules, counted per pair of
// layers (architecture-layers.json), drawn bottom-up with Graphviz into docs/architecture.svg, and printed as a
// markdown table. Run: node scripts/architecture-graph.mjs (needs Debian's graphviz for the SVG).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { layers } = JSON.parse(readFileSync(join(root, 'architecture-layers.json'), 'utf8'));
const layerOf = (path) => layers.findIndex((l) => new RegExp(l.path).test(path));

const out = execFileSync(
  join(root, 'node_modules/.bin/depcruise'),
  ['--config', '.dependency-cruiser.cjs', '--output-type', 'json', 'isa', 'sim', 'rtl-gen', 'programs', 'verify', 'report', 'api', 'cli'],
  {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  },
);
const { modules } = JSON.parse(out);
const counts = new Map();
const sizes = new Array(layers.length).fill(0);
for (const m of modules) {
  const from = layerOf(m.source);
  if (from < 0) continue;
  sizes[from]++;
  for (const d of m.dependencies) {
    const to = layerOf(d.resolved);
    if (to < 0 || to === from) continue;
    const key = `${from}->${to}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
}

const dot = [
  'digraph layers {',
  '  rankdir=BT; node [shape=box, style="rounded,filled", fillcolor="#eef3ff", fontname="Helvetica", fontsize=11]; edge [color="#00000066", fontname="Helvetica", fontsize=9];',
  ...layers.map((l, i) => `  L${i} [label="${l.name}\\n${sizes[i]} modules"];`),
  ...[...counts].map(([k, n]) => {
    const [a, b] = k.split('->');
    return `  L${a} -> L${b} [label="${n}", penwidth=${(1 + Math.log2(n) / 2).toFixed(2)}];`;
  }),
  '}',
].join('\n');
try {
  writeFileSync(join(root, 'docs/architecture.svg'), execFileSync('dot', ['-Tsvg'], { input: dot }));
  process.stderr.write('wrote docs/architecture.svg\n');
} catch {
  process.stderr.write('graphviz (dot) is missing: apt-get install graphviz; the table below is still right\n');
}
const rows = ['| layer (bottom first) | modules | imports from (count) |', '|---|---:|---|'];
layers.forEach((l, i) => {
  const deps = [...counts].filter(([k]) => k.startsWith(`${i}->`)).map(([k, n]) => `${layers[Number(k.split('->')[1])].name} (${n})`);
  rows.push(`| ${l.name} | ${sizes[i]} | ${deps.join(', ') || '—'} |`);
});
process.stdout.write(`${rows.join('\n')}\n`);
