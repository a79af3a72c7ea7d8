import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSyntheticModel, syntheticImage } from '../../verify/model/synthetic.js';
import { decodeModel, encodeModel, readImage, readModel, writeImage, writeModel } from '../../verify/model/qmodel-file.js';
import { SafetensorsError, decodeSafetensors, encodeSafetensors, tensor } from '../../verify/model/safetensors.js';
import { runGolden } from '../../verify/golden/run-golden.js';
import { PYTORCH_NUMERICS } from '../../verify/golden/numerics-config.js';
import { smallConfig } from './forward.test.js';

describe('quantised model files (safetensors)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ivit-model-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('safetensors round-trips every dtype and the metadata', () => {
    const t = {
      a: tensor(Int8Array.from([-128, 0, 127]), [3]),
      b: tensor(Int16Array.from([-32768, 1, 32767, 4]), [2, 2]),
      c: tensor(Int32Array.from([-(2 ** 31), 2 ** 31 - 1]), [2]),
      d: tensor(Float32Array.from([0.1, -2.5]), [2, 1]),
    };
    const back = decodeSafetensors(encodeSafetensors(t, { k: 'v' }), 'mem');
    assert.deepEqual(back.metadata, { k: 'v' });
    for (const [name, v] of Object.entries(t)) {
      assert.deepEqual(Array.from(back.tensors.get(name)!.data as Int32Array), Array.from(v.data as Int32Array));
      assert.deepEqual(back.tensors.get(name)!.shape, v.shape);
    }
  });

  it('a model written and read back gives bit-identical golden results', () => {
    const cfg = smallConfig();
    const model = generateSyntheticModel(cfg, 11);
    const file = join(dir, 'm.safetensors');
    writeModel(file, model);
    const img = syntheticImage(cfg, 11);
    writeImage(join(dir, 'i.safetensors'), img, cfg, model.scales.input);
    const a = runGolden(model, img, PYTORCH_NUMERICS, { layerHashes: true });
    const b = runGolden(readModel(file), readImage(join(dir, 'i.safetensors'), cfg), PYTORCH_NUMERICS, { layerHashes: true });
    assert.deepEqual(b.layerHashes, a.layerHashes);
  });

  it('truncated and corrupted files are rejected with a clear error, never a crash', () => {
    const buf = encodeModel(generateSyntheticModel(smallConfig(), 12));
    assert.throws(() => decodeModel(buf.subarray(0, 5), 'f'), /f: truncated/);
    assert.throws(() => decodeModel(buf.subarray(0, buf.length - 10), 'f'), SafetensorsError);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: buf.length - 1 }), fc.integer({ min: 1, max: 255 }), (pos, x) => {
        const bad = Buffer.from(buf);
        bad[pos] = bad[pos]! ^ x;
        try {
          decodeModel(bad, 'f');
        } catch (e) {
          assert.ok(e instanceof SafetensorsError || e instanceof RangeError, `unexpected ${(e as Error).name}: ${(e as Error).message}`);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('edited constants or scales are detected', () => {
    const buf = encodeModel(generateSyntheticModel(smallConfig(), 13));
    const st = decodeSafetensors(buf, 'f');
    const consts = JSON.parse(st.metadata.constants!);
    consts.blocks[0].softmaxX0 -= 1;
    const tensors = Object.fromEntries(st.tensors);
    assert.throws(
      () => decodeModel(encodeSafetensors(tensors, { ...st.metadata, constants: JSON.stringify(consts) }), 'f'),
      /metadata "constants" disagree with the constants derived from the scales/,
    );
    const scales = JSON.parse(st.metadata.scales!);
    scales.blocks[0].logit = -1;
    assert.throws(
      () => decodeModel(encodeSafetensors(tensors, { ...st.metadata, scales: JSON.stringify(scales) }), 'f'),
      /scale blocks\[0\]\.logit = -1 is not a positive float32/,
    );
    assert.throws(() => decodeModel(encodeSafetensors(tensors, { ...st.metadata, format: 'other' }), 'f'), /not an I-ViT quantised model/);
  });

  it('a missing or non-file path gives a clear error', () => {
    assert.throws(() => readModel(join(dir, 'nope.safetensors')), /cannot read \(ENOENT\)/);
    writeFileSync(join(dir, 'junk'), 'hello world, not a model');
    assert.throws(() => readModel(join(dir, 'junk')), SafetensorsError);
  });
});
