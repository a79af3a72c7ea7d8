/** The model-file fields import adds: `preprocess` and provenance.checkpoint / checkpointSha256 (docs/model-format.md). */
import { strict as assert } from 'node:assert';
import { decodeModel, encodeModel } from '../../verify/model/qmodel-file.js';
import { decodeSafetensors, encodeSafetensors } from '../../verify/model/safetensors.js';
import { generateSyntheticModel } from '../../verify/model/synthetic.js';

describe('model files: preprocess and checkpoint provenance', () => {
  const base = generateSyntheticModel(
    { family: 'vit', name: 'tiny', imageSize: 32, patchSize: 16, inChannels: 3, embedDim: 32, depth: 1, heads: 2, mlpDim: 64, numClasses: 10 },
    5,
  );
  const sha = 'ab'.repeat(32);

  it('round-trip, and files without them read as before', () => {
    const m = {
      ...base,
      preprocess: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
      provenance: { generator: 'ivit import', checkpoint: 'a/b.safetensors', checkpointSha256: sha, calibrationImages: 8 },
    };
    const back = decodeModel(encodeModel(m), 'f');
    assert.deepEqual(back.preprocess, m.preprocess);
    assert.deepEqual(back.provenance, m.provenance);
    const old = decodeModel(encodeModel(base), 'f');
    assert.equal(old.preprocess, undefined);
    assert.equal(decodeSafetensors(encodeModel(base), 'f').metadata.preprocess, undefined);
  });

  it('bad values are refused with the key named', () => {
    const st = decodeSafetensors(encodeModel(base), 'f');
    const tensors = Object.fromEntries(st.tensors);
    const withMeta = (k: string, v: string): Buffer => encodeSafetensors(tensors, { ...st.metadata, [k]: v });
    assert.throws(() => decodeModel(withMeta('preprocess', '{"mean":[0.5],"std":[0.5,0.5,0.5]}'), 'f'), /metadata "preprocess"\.mean must be 3 finite numbers/);
    assert.throws(
      () => decodeModel(withMeta('preprocess', '{"mean":[0,0,0],"std":[1,0,1]}'), 'f'),
      /metadata "preprocess"\.std must be 3 finite numbers above 0/,
    );
    assert.throws(() => decodeModel(withMeta('preprocess', '[1]'), 'f'), /metadata "preprocess" is not an object/);
    assert.throws(
      () => decodeModel(withMeta('provenance', JSON.stringify({ checkpointSha256: 'xyz' })), 'f'),
      /checkpointSha256 is not 64 lower-case hex digits/,
    );
    assert.throws(() => decodeModel(withMeta('provenance', JSON.stringify({ checkpoint: 3 })), 'f'), /provenance"\.checkpoint is not a string/);
    assert.throws(() => decodeModel(withMeta('provenance', JSON.stringify({ a: [1] })), 'f'), /provenance"\.a is not a string or number/);
  });
});
