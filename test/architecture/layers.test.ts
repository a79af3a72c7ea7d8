import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '../sim/helpers.js';

interface Layer {
  name: string;
  path: string;
  what: string;
}
const { layers } = JSON.parse(readFileSync(join(REPO_ROOT, 'architecture-layers.json'), 'utf8')) as { layers: Layer[] };
const depcruise = join(REPO_ROOT, 'node_modules/.bin/depcruise');

/** Run the repository's rule check over a tree of TypeScript files written into a scratch folder. */
function cruise(files: Record<string, string>): { code: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ivit-layers-'));
  try {
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }));
    writeFileSync(join(dir, 'architecture-layers.json'), readFileSync(join(REPO_ROOT, 'architecture-layers.json')));
    writeFileSync(join(dir, '.dependency-cruiser.cjs'), readFileSync(join(REPO_ROOT, '.dependency-cruiser.cjs')));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const r = spawnSync(depcruise, ['--config', '.dependency-cruiser.cjs', ...new Set(Object.keys(files).map((p) => p.split('/')[0]!))], {
      cwd: dir,
      encoding: 'utf8',
    });
    return { code: r.status, out: r.stdout + r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('architecture: the layer rule', function () {
  this.timeout(120000);

  it('the repository keeps the rule (no upward import, no cycle)', () => {
    const r = spawnSync(depcruise, ['--config', '.dependency-cruiser.cjs', 'isa', 'sim', 'rtl-gen', 'programs', 'verify', 'cli', 'test'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  it('an upward import fails the check and names the rule', () => {
    const r = cruise({
      'sim/config.ts': 'export const lanes = 16;\n',
      'verify/golden/zoo.ts': "import { lanes } from '../../sim/config.js';\nexport const x = lanes;\n",
    });
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.out, /golden-not-on-sim: verify\/golden\/zoo\.ts → sim\/config\.ts/);
  });

  it('an import cycle inside one layer fails the check', () => {
    const r = cruise({
      'programs/compiler/plan.ts': "import { b } from './context.js';\nexport const a = () => b;\n",
      'programs/compiler/context.ts': "import { a } from './plan.js';\nexport const b = () => a;\n",
    });
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.out, /no-cycles/);
  });

  it('a source outside every layer fails the check', () => {
    const importing = cruise({
      'verify/golden/zoo.ts': 'export const z = 1;\n',
      'misc/thing.ts': "import { z } from '../verify/golden/zoo.js';\nexport const t = z;\n",
    });
    assert.notEqual(importing.code, 0, importing.out);
    assert.match(importing.out, /everything-in-a-layer: misc\/thing\.ts/);
    const alone = cruise({ 'misc/alone.ts': 'export const t = 1;\n' });
    assert.notEqual(alone.code, 0, alone.out);
    assert.match(alone.out, /everything-in-a-layer-orphans: misc\/alone\.ts/);
  });

  it('docs/architecture.md lists exactly the layers of architecture-layers.json, in order', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs/architecture.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## Layers'));
    const names = [...section.matchAll(/^\| \*\*(.+?)\*\* \|/gm)].map((m) => m[1]);
    assert.deepEqual(
      names,
      layers.map((l) => l.name),
    );
  });
});
