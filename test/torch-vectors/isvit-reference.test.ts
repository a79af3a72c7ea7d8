/**
 * The PyTorch int64 reference (verify/torch/int_forward.py with isvit_ops.py) against the golden model under the
 * isvit presets: the tiny model imported for isvit-w4a4 and isvit-w3a3, every layer hash (the SULQ codes are the
 * attn.probs layer), checksum and argmax equal on seeded images, with both matrix-product modes; SULQ's constants
 * from Python's exact integers equal sulqConstants on drawn η, b and ranges; a file made for w4a4 is refused under
 * w3a3. Registered only where /usr/bin/python3 has torch (as python-reference.test.ts).
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ISVIT_W3A3_NUMERICS, ISVIT_W4A4_NUMERICS } from '../../verify/golden/numerics-config.js';
import { runGolden } from '../../verify/golden/run-golden.js';
import { sulqConstants } from '../../verify/golden/ops/sulq.js';
import { quantiseInput } from '../../verify/data/preprocess.js';
import { Rng } from '../../verify/model/prng.js';
import { writeImage, writeModel } from '../../verify/model/qmodel-file.js';
import { SULQ_ETAS } from '../../verify/import/isvit-calibration.js';
import { PRE, tinyIsvitModel, tinyPixels } from '../support/tiny-isvit.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const PYTHON = '/usr/bin/python3';
const torchDir = join(repoRoot, 'verify', 'torch');
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

function python(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', cwd: torchDir, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, IVIT_TORCH_THREADS: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface RefImage {
  checksum: string;
  argmax: number;
  layers: Record<string, string>;
}

if (!hasTorch && process.env.IVIT_REQUIRE_TORCH !== '1') {
  process.stdout.write(`note: ${PYTHON} has no torch; the isvit PyTorch reference tests are not registered\n`);
} else {
  describe('PyTorch int64 reference, isvit presets (SULQ, low-bit linear inputs)', function () {
    this.timeout(600000);
    const dir = mkdtempSync(join(tmpdir(), 'ivit-isvit-ref-'));
    after(() => rmSync(dir, { recursive: true, force: true }));

    for (const cfg of [ISVIT_W4A4_NUMERICS, ISVIT_W3A3_NUMERICS]) {
      const b = cfg.lowBit.weightBits;
      const preset = `isvit-w${b}a${b}`;
      it(`${preset}, tiny model, 3 images, f64 and int64 products: every layer hash, checksum and argmax equal the golden model's`, () => {
        const model = tinyIsvitModel(cfg);
        const modelPath = join(dir, `${preset}.safetensors`);
        writeModel(modelPath, model);
        const images = tinyPixels(3, 40 + b).map((px) => quantiseInput(px, 3, 32, PRE, model.scales.input));
        const paths = images.map((img, i) => {
          const p = join(dir, `${preset}-img${i}.safetensors`);
          writeImage(p, img, model.config, model.scales.input);
          return p;
        });
        for (const matmul of ['f64', 'int64']) {
          const r = python([
            'run_reference.py',
            '--model',
            modelPath,
            ...paths.flatMap((p) => ['--image', p]),
            '--device',
            'cpu',
            '--matmul',
            matmul,
            '--numerics',
            preset,
          ]);
          assert.equal(r.status, 0, r.stderr);
          const out = JSON.parse(r.stdout) as { images: RefImage[] };
          images.forEach((img, i) => {
            const g = runGolden(model, img, cfg, { layerHashes: true });
            const ref = out.images[i]!;
            assert.deepEqual(
              Object.keys(ref.layers),
              g.layerHashes.map((l) => l.name),
            );
            for (const l of g.layerHashes) assert.equal(ref.layers[l.name], l.hash, `${preset} ${matmul} image ${i}: layer ${l.name}`);
            assert.equal(ref.checksum, g.checksum);
            assert.equal(ref.argmax, g.argmax);
          });
        }
        if (b === 4) {
          const bad = python(['run_reference.py', '--model', modelPath, '--image', paths[0]!, '--device', 'cpu', '--numerics', 'isvit-w3a3']);
          assert.notEqual(bad.status, 0);
          assert.match(bad.stderr, /isvit\.weightBits is 4, the preset's is 3/);
        }
      });
    }

    it("SULQ's constants from Python's integers equal sulqConstants (drawn η, b = 3, 4, both grids, drawn ranges)", () => {
      const rng = new Rng(12, 'isvit-py-constants');
      const cases = Array.from({ length: 30 }, (_, i) => {
        const eta = Math.fround(SULQ_ETAS[i % SULQ_ETAS.length]!);
        const bits = 3 + (i % 2);
        const grid = i % 3 === 0 ? 'calibration' : 'forward';
        const pMin = i % 4 === 0 ? 0 : Math.floor(rng.uniform() * 2000);
        const pMax = pMin + 1 + Math.floor(rng.uniform() * (32768 - pMin - 1));
        return { eta, bits, grid, pMin, pMax } as const;
      });
      const script = [
        'import json, sys',
        'import isvit_ops',
        'cases = json.loads(sys.stdin.read())',
        'print(json.dumps([isvit_ops.sulq_constants(c["eta"], c["bits"], 15, c["pMin"], c["pMax"], c["grid"]) for c in cases]))',
      ].join('\n');
      const r = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8', cwd: torchDir, input: JSON.stringify(cases) });
      assert.equal(r.status, 0, r.stderr);
      const got = JSON.parse(r.stdout) as Array<{ eta: number; levels: number; thresholds: number[]; shifts: number[] }>;
      cases.forEach((c, i) => {
        const k = sulqConstants(c.eta, c.bits, 15, c.grid, c);
        assert.deepEqual(
          { eta: got[i]!.eta, levels: got[i]!.levels, thresholds: got[i]!.thresholds, shifts: got[i]!.shifts },
          {
            eta: k.eta,
            levels: k.levels,
            thresholds: k.thresholds,
            shifts: k.shifts,
          },
        );
      });
    });
  });
}
