/**
 * The PyTorch integer Swin (verify/torch/swin_forward.py, written from docs/numerics.md with the reference Swin's own
 * roll / window_partition / relative_position_index / img_mask constructions) against the golden Swin forward pass:
 * every layer hash, the checksum and the argmax on the reduced Swin (two seeds, float64 and int64 GEMMs), read from
 * the Swin model file. Registered only where /usr/bin/python3 has torch, unless IVIT_REQUIRE_TORCH=1.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PYTORCH_NUMERICS } from '../../verify/golden/numerics-config.js';
import { runSwinGolden } from '../../verify/golden/run-swin-golden.js';
import { writeImage } from '../../verify/model/qmodel-file.js';
import { readSwinModel, writeSwinModel } from '../../verify/model/swin-model-file.js';
import { SWIN_REDUCED, generateSyntheticSwin } from '../../verify/model/synthetic-swin.js';
import { syntheticImage } from '../../verify/model/synthetic.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const PYTHON = '/usr/bin/python3';
const torchAvailable = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

interface SwinRef {
  checksum: string;
  argmax: number;
  layers: Record<string, string>;
}

if (!torchAvailable && process.env.IVIT_REQUIRE_TORCH !== '1') {
  process.stderr.write(`note: ${PYTHON} has no torch; the PyTorch Swin reference test is not registered\n`);
}

if (torchAvailable || process.env.IVIT_REQUIRE_TORCH === '1') {
  describe('PyTorch integer Swin (verify/torch/swin_forward.py) against the golden Swin', function () {
    this.timeout(300_000);
    let dir = '';
    before(() => {
      assert.ok(torchAvailable, `${PYTHON} cannot import torch (IVIT_REQUIRE_TORCH=1)`);
      dir = mkdtempSync(join(tmpdir(), 'ivit-swin-torch-'));
    });
    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    for (const seed of [5, 6]) {
      it(`reduced Swin, seed ${seed}: every layer hash, checksum and argmax equal, with float64 and int64 GEMMs`, () => {
        const modelFile = join(dir, `swin-${seed}.safetensors`);
        const imageFile = join(dir, `swin-${seed}-img.safetensors`);
        const generated = generateSyntheticSwin(SWIN_REDUCED, seed);
        writeSwinModel(modelFile, generated);
        const image = syntheticImage(SWIN_REDUCED, seed);
        writeImage(imageFile, image, SWIN_REDUCED, generated.scales.input);
        const g = runSwinGolden(readSwinModel(modelFile), image, PYTORCH_NUMERICS, { layerHashes: true });
        for (const extra of [[], ['--matmul', 'int64', '--device', 'cpu']]) {
          const r = spawnSync(PYTHON, [join(repoRoot, 'verify', 'torch', 'swin_forward.py'), '--model', modelFile, '--image', imageFile, ...extra], {
            encoding: 'utf8',
            env: { ...process.env, OMP_NUM_THREADS: '1' },
          });
          assert.equal(r.status, 0, r.stderr.slice(-2000));
          const ref = JSON.parse(r.stdout) as SwinRef;
          assert.deepEqual(
            Object.keys(ref.layers),
            g.layerHashes.map((l) => l.name),
          );
          for (const l of g.layerHashes) assert.equal(ref.layers[l.name], l.hash, `seed ${seed} ${extra.join(' ')}: layer ${l.name}`);
          assert.equal(ref.checksum, g.checksum);
          assert.equal(ref.argmax, g.argmax);
        }
      });
    }
  });
}
