/**
 * The golden model against the committed PyTorch vectors (verify/vectors/<model>.json), bit for bit:
 * the synthetic models and images are regenerated here in TypeScript from their seeds, and every layer
 * hash, the logits checksum, the argmax and the top-5 logits must equal what the independent int64
 * PyTorch reference computed (scripts/export-vectors.sh), under the numerics preset the file names
 * (<model>.json: pytorch, the I-ViT chain; <model>-fqvit.json: FQ-ViT's PTS LayerNorm and LIS attention). Needs no Python.
 */
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NUMERICS_PRESETS, type NumericsConfig } from '../../verify/golden/numerics-config.js';
import { type GoldenRun, runGolden } from '../../verify/golden/run-golden.js';
import { tensorHash } from '../../verify/golden/tensor-hash.js';
import { loadModel } from '../../verify/model/model-source.js';
import type { QuantModel } from '../../verify/golden/qmodel.js';
import { syntheticImage } from '../../verify/model/synthetic.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const vectorDir = join(repoRoot, 'verify', 'vectors');

interface VectorImage {
  id: string;
  kind: 'synthetic' | 'fashion-mnist' | 'file';
  /** synthetic: the image seed */
  seed?: number;
  /** fashion-mnist: the quantised int8 source [ch, h, w] (base64) and its nearest-neighbour factor */
  sourceShape?: [number, number, number];
  sourceInt8?: string;
  upsample?: number;
  imageHash: string;
  checksum: string;
  argmax: number;
  top5: Array<[number, number]>;
  layers: Record<string, string>;
}

interface VectorFile {
  format: string;
  version: number;
  model: string;
  modelSeed: number;
  numerics: string;
  torch: string;
  device: string;
  images: VectorImage[];
}

function readVectors(file: string): VectorFile {
  return JSON.parse(readFileSync(join(vectorDir, file), 'utf8')) as VectorFile;
}

/** The top-5 of the golden logits in the vectors' order: largest first, the lower class first on ties. */
function top5(logits: Int32Array): Array<[number, number]> {
  return Array.from(logits, (v, i): [number, number] => [i, v])
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, 5);
}

/** Nearest-neighbour repetition of an int8 [ch, h, w] source by `factor` in both directions. */
function upsample(source: Int8Array, [ch, h, w]: readonly [number, number, number], factor: number): Int8Array {
  const H = h * factor;
  const W = w * factor;
  const out = new Int8Array(ch * H * W);
  for (let c = 0; c < ch; c++) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) out[(c * H + y) * W + x] = source[(c * h + Math.floor(y / factor)) * w + Math.floor(x / factor)]!;
    }
  }
  return out;
}

/** The input image of a vectors entry, rebuilt from what the entry records. */
function imageOf(img: VectorImage, model: QuantModel): Int8Array {
  if (img.kind === 'synthetic') return syntheticImage(model.config, img.seed!);
  if (img.kind === 'fashion-mnist') {
    const bytes = Buffer.from(img.sourceInt8!, 'base64');
    const source = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    return upsample(source, img.sourceShape!, img.upsample!);
  }
  throw new Error(`${img.id}: an image of kind "${img.kind}" cannot be rebuilt here`);
}

/** The preset a vectors file was computed under; an unknown name fails here rather than running the default. */
function presetOf(v: VectorFile, file: string): NumericsConfig {
  const preset = (NUMERICS_PRESETS as Record<string, NumericsConfig>)[v.numerics];
  assert.ok(preset, `${file}: unknown numerics preset "${v.numerics}"`);
  return preset;
}

const files = readdirSync(vectorDir)
  .filter((f) => f.endsWith('.json'))
  .sort();

describe('PyTorch vectors (verify/vectors)', () => {
  it('exist for DeiT-T and DeiT-S under the pytorch and fqvit presets, with at least 3 seeded images and a real one each, and record torch and the device', () => {
    const expected = ['deit-t', 'deit-s'].flatMap((m): Array<[string, string, string]> => [
      [`${m}.json`, m, 'pytorch'],
      [`${m}-fqvit.json`, m, 'fqvit'],
    ]);
    for (const [file, name, numerics] of expected) {
      assert.ok(files.includes(file), `verify/vectors/${file} is missing (scripts/export-vectors.sh)`);
      const v = readVectors(file);
      assert.equal(v.format, 'ivit-torch-vectors');
      assert.equal(v.model, name);
      assert.equal(v.numerics, numerics);
      assert.ok(v.images.filter((i) => i.kind === 'synthetic').length >= 3, `${file}: fewer than 3 synthetic images`);
      assert.ok(
        v.images.some((i) => i.kind === 'fashion-mnist'),
        `${file}: no Fashion-MNIST image`,
      );
      assert.match(v.torch, /^\d+\.\d+/);
      assert.match(v.device, /^(cpu|cuda): /);
    }
  });

  it('tell the images apart (no two images share a layer hash)', () => {
    for (const f of files) {
      const v = readVectors(f);
      for (let a = 0; a < v.images.length; a++) {
        for (let b = a + 1; b < v.images.length; b++) {
          for (const [layer, hash] of Object.entries(v.images[a]!.layers)) {
            assert.notEqual(v.images[b]!.layers[layer], hash, `${f}: ${v.images[a]!.id} and ${v.images[b]!.id} share ${layer}`);
          }
        }
      }
    }
  });

  for (const f of files) {
    const v = readVectors(f);
    describe(`${v.model}, ${v.numerics} preset (seed ${v.modelSeed}, vectors from torch ${v.torch} on ${v.device})`, () => {
      let model: QuantModel;
      before(function () {
        this.timeout(600_000); // a first run generates the model (then cached under .cache/models)
        model = loadModel(v.model, v.modelSeed).model;
      });
      for (const img of v.images) {
        it(`${img.id}: every layer hash, checksum, argmax and top-5 equal the golden model's`, () => {
          const image = imageOf(img, model);
          assert.equal(tensorHash(image, 'image'), img.imageHash, `${img.id}: the regenerated input image differs from the one PyTorch used`);
          const run: GoldenRun = runGolden(model, image, presetOf(v, f), { layerHashes: true });
          const golden = run.layerHashes.map((l) => l.name);
          assert.deepEqual(golden, Object.keys(img.layers), `${img.id}: layer names or order differ`);
          const firstBad = run.layerHashes.find((l) => img.layers[l.name] !== l.hash);
          assert.equal(
            firstBad,
            undefined,
            firstBad && `${img.id}: first differing layer ${firstBad.name}: golden ${firstBad.hash}, torch ${img.layers[firstBad.name]}`,
          );
          assert.equal(run.checksum, img.checksum);
          assert.equal(run.argmax, img.argmax);
          assert.deepEqual(top5(run.logits), img.top5);
        });
      }
    });
  }
});
