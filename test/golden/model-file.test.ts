import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
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
import { REPO_ROOT } from '../sim/helpers.js';

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

  it('a flipped bit anywhere in the tensor data is an error naming the tensor that holds it', () => {
    const model = generateSyntheticModel(smallConfig(), 5);
    const buf = encodeModel(model);
    const headerLen = Number(buf.readBigUInt64LE(0));
    const header = JSON.parse(buf.subarray(8, 8 + headerLen).toString('utf8')) as Record<string, { data_offsets?: [number, number] }>;
    const owner = (at: number): string => Object.entries(header).find(([, e]) => e.data_offsets && at >= e.data_offsets[0] && at < e.data_offsets[1])![0];
    const dataStart = 8 + headerLen;
    fc.assert(
      fc.property(fc.integer({ min: dataStart, max: buf.length - 1 }), fc.integer({ min: 0, max: 7 }), (at, bit) => {
        const bad = Buffer.from(buf);
        bad[at]! ^= 1 << bit;
        const name = owner(at - dataStart);
        assert.throws(
          () => decodeModel(bad, 'mutated.safetensors'),
          (e: Error) => e instanceof SafetensorsError && e.message.includes(`tensor "${name}": its bytes do not match`),
        );
      }),
      { numRuns: 60 },
    );
  });

  it('a model file without digests (another writer) loads, with one warning', () => {
    const model = generateSyntheticModel(smallConfig(), 5);
    const st = decodeSafetensors(encodeModel(model), 'mem');
    assert.equal(st.digests, 'verified');
    // rewrite the same tensors and metadata without the digest key, as another tool would
    const json = JSON.stringify({
      __metadata__: st.metadata,
      ...Object.fromEntries(
        (() => {
          let off = 0;
          return [...st.tensors].map(([name, t]) => {
            const e = [name, { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + t.data.byteLength] }] as const;
            off += t.data.byteLength;
            return e;
          });
        })(),
      ),
    });
    const head = Buffer.alloc(8);
    head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
    const plain = Buffer.concat([
      head,
      Buffer.from(json),
      ...[...st.tensors.values()].map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)),
    ]);
    const warnings: string[] = [];
    const back = decodeModel(plain, 'other-tool.safetensors', (w) => warnings.push(w));
    assert.deepEqual(warnings, [
      'other-tool.safetensors: the model file records no tensor digests (written by another tool?): a corrupted tensor cannot be detected',
    ]);
    assert.deepEqual(encodeModel(back), encodeModel(model), 'the same model');
    // through the CLI: one plain warning line on stderr, and the run goes on
    const file = join(dir, 'other-tool.safetensors');
    writeFileSync(file, plain);
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin/ivit.js'), 'golden', '--model', file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^ivit: warning: .*other-tool\.safetensors: the model file records no tensor digests/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
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
