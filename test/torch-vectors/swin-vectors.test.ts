/**
 * The golden Swin against the committed PyTorch vectors (verify/vectors/swin/<model>.json, written by
 * scripts/export-swin-vectors.sh with the independent int64 PyTorch Swin), bit for bit: the synthetic model and image
 * are regenerated here from their seeds, and every layer hash, the logits checksum and the argmax must equal the
 * reference's. Needs no Python.
 */
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PYTORCH_NUMERICS } from '../../verify/golden/numerics-config.js';
import { runSwinGolden } from '../../verify/golden/run-swin-golden.js';
import { generateSyntheticSwin, swinModelConfig } from '../../verify/model/synthetic-swin.js';
import { syntheticImage } from '../../verify/model/synthetic.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const vectorDir = join(repoRoot, 'verify', 'vectors', 'swin');

interface SwinVectors {
  format: string;
  version: number;
  model: string;
  modelSeed: number;
  imageSeed: number;
  numerics: string;
  device: string;
  checksum: string;
  argmax: number;
  layers: Record<string, string>;
}

const files = readdirSync(vectorDir).filter((f) => f.endsWith('.json'));

describe('golden Swin against the committed PyTorch vectors (verify/vectors/swin)', function () {
  this.timeout(600_000);
  it('the Swin-T vectors are committed', () => assert.ok(files.includes('swin-t.json')));
  for (const file of files) {
    it(`${file}: every layer hash, the checksum and the argmax equal the PyTorch reference's`, () => {
      const v = JSON.parse(readFileSync(join(vectorDir, file), 'utf8')) as SwinVectors;
      assert.equal(v.format, 'ivit-swin-vectors');
      assert.equal(v.numerics, 'pytorch');
      const config = swinModelConfig(v.model);
      const g = runSwinGolden(generateSyntheticSwin(config, v.modelSeed), syntheticImage(config, v.imageSeed), PYTORCH_NUMERICS, { layerHashes: true });
      assert.deepEqual(
        g.layerHashes.map((l) => l.name),
        Object.keys(v.layers),
      );
      for (const l of g.layerHashes) assert.equal(l.hash, v.layers[l.name], `${v.model} (${v.device}): layer ${l.name}`);
      assert.equal(g.checksum, v.checksum);
      assert.equal(g.argmax, v.argmax);
    });
  }
});
