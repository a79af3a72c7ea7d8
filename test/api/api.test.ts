/**
 * The library API as another program sees it: the example of docs/api.md runs here, and then from a scratch
 * install of the packed tarball (`npm pack`, `npm install --prefix`), compiled with tsc against the installed
 * package's declarations, next to the installed `ivit` command.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO } from '../cli/cli-run.js';

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], cwd: string): Ran {
  const r = spawnSync(file, args, { cwd, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0', npm_config_update_notifier: 'false' }, timeout: 120000 });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const EXAMPLE_SOURCE = join(REPO, 'test', 'api', 'example.ts');

/** What the example prints, checked line by line (the figures come from the library, not from the test). */
function checkExampleOutput(stdout: string): void {
  assert.match(stdout, /^assembled 2 instructions; simulated \d+ cycles; copy equal: true$/m);
  assert.match(stdout, /^golden argmax \d+ checksum [0-9a-f]{16}$/m);
  assert.match(stdout, /^compiled \d+ instructions; simulated \d+ cycles; bit-exact: true$/m);
  assert.match(stdout, /^ivit_shiftmax_ov_l4_\S+: 3 modules, 5 files; N=1 latency \d+$/m); // the default overlap form
}

describe('library API (package ivit-hw)', function () {
  this.timeout(120000);

  it('the docs/api.md example runs in the repository (self-reference by package name)', () => {
    const r = run(process.execPath, [join(REPO, 'dist', 'test', 'api', 'example.js')], REPO);
    assert.equal(r.code, 0, r.stderr);
    checkExampleOutput(r.stdout);
  });

  it('docs/api.md shows the example file as it is', () => {
    const doc = readFileSync(join(REPO, 'docs', 'api.md'), 'utf8');
    const code = readFileSync(EXAMPLE_SOURCE, 'utf8');
    const body = code.slice(code.indexOf('import '));
    assert.ok(doc.includes(body.trim()), 'docs/api.md must contain test/api/example.ts from its first import on');
  });

  it('the public declarations have no `any` (api/index.d.ts and every declaration file it reaches)', () => {
    const seen = new Set<string>();
    const queue = [join(REPO, 'dist', 'api', 'index.d.ts')];
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      // comments may say "any" and a method may be called any (the HDL builder's reduction-or); a type may not be any
      const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
      assert.doesNotMatch(code, /(?:[:<|,(]|=>)\s*any\b(?!\s*\()/, file);
      for (const m of code.matchAll(/from '(\.[^']+)\.js'/g)) queue.push(join(dirname(file), `${m[1]}.d.ts`));
    }
    assert.ok(seen.size > 20, `${seen.size} declaration files reached`);
  });

  it('npm pack → npm install --prefix: the installed ivit runs, and the example compiles against the installed types and runs', () => {
    const scratch = mkdtempSync(join(tmpdir(), 'ivit-pack-'));
    try {
      // The suite runs after the build, so pack what is built; the package's prepack runs the same build for a
      // real `npm pack`/`npm publish` (rebuilding here would rewrite dist/ under the running tests).
      const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string>; dependencies: Record<string, string> };
      assert.match(pkg.scripts.prepack ?? '', /npm run build/);
      const pack = run(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], REPO);
      assert.equal(pack.code, 0, pack.stderr);
      const [info] = JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
      const paths = info!.files.map((f) => f.path);
      for (const want of [
        'bin/ivit.js',
        'dist/cli/main.js',
        'dist/api/index.js',
        'dist/api/index.d.ts',
        'dist/sim/exec/wasm/sim-kernels.wasm',
        'dist/verify/golden/ops/wasm/gemm-i8.wasm',
      ])
        assert.ok(paths.includes(want), `${want} in the tarball`);
      assert.ok(!paths.some((p) => p.startsWith('dist/test/')), 'no compiled tests in the tarball');

      // Offline first (the dependencies are usually in npm's cache); with a cold cache, the registry fills it.
      const prefix = join(scratch, 'prefix');
      mkdirSync(prefix);
      const args = ['install', '--prefix', prefix, join(scratch, info!.filename), '--no-audit', '--no-fund', '--ignore-scripts'];
      let install = run(npm, [...args, '--offline'], scratch);
      if (install.code !== 0 && /ENOTCACHED/.test(install.stderr)) {
        process.stdout.write('      (npm cache incomplete: installing with --prefer-offline)\n');
        install = run(npm, [...args, '--prefer-offline'], scratch);
      }
      assert.equal(install.code, 0, install.stderr);

      for (const dep of Object.keys(pkg.dependencies))
        assert.ok(existsSync(join(prefix, 'node_modules', dep, 'package.json')), `runtime dependency ${dep} installed`);

      const bin = join(prefix, 'node_modules', '.bin', 'ivit');
      const help = run(bin, ['--help'], scratch);
      assert.equal(help.code, 0, help.stderr);
      assert.match(help.stdout, /Usage: ivit/);
      assert.match(help.stdout, /\brtl\b/);
      const op = run(bin, ['op', 'shiftmax', '--json', '{"x":[1,2,3,-128],"scale":0.1}'], scratch);
      assert.equal(op.code, 0, op.stderr);

      // The example, unchanged, compiled by tsc in the scratch directory: 'ivit-hw' resolves to the installed package.
      copyFileSync(EXAMPLE_SOURCE, join(prefix, 'example.ts'));
      writeFileSync(
        join(prefix, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            target: 'ES2022',
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            strict: true,
            types: ['node'],
            typeRoots: [join(REPO, 'node_modules', '@types')],
            outDir: 'out',
          },
          files: ['example.ts'],
        }),
      );
      writeFileSync(join(prefix, 'package.json'), JSON.stringify({ name: 'api-example', private: true, type: 'module' }));
      const tsc = run(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], prefix);
      assert.equal(tsc.code, 0, tsc.stdout + tsc.stderr);
      assert.ok(existsSync(join(prefix, 'out', 'example.js')));
      const example = run(process.execPath, [join(prefix, 'out', 'example.js')], prefix);
      assert.equal(example.code, 0, example.stderr);
      checkExampleOutput(example.stdout);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
