/**
 * verify/data: the idx reader on the real Fashion-MNIST files and on broken ones, and the pixel → int8
 * preprocessing against numpy's float32 arithmetic (verify/train/fashion_data.py's normalise, then QuantAct's
 * RNE quantisation), on every 8-bit value.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { IdxError, readIdxImages, readIdxLabels } from '../../verify/data/idx.js';
import { normalisePixels, quantiseInput } from '../../verify/data/preprocess.js';
import { fashionMnistDir } from '../../verify/import/calibration-data.js';

describe('verify/data: idx files and input preprocessing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ivit-data-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const fm = (name: string): string => join(fashionMnistDir(), name);

  it('reads the Fashion-MNIST training and test sets (gzipped) and the same file uncompressed', () => {
    const train = readIdxImages(fm('train-images-idx3-ubyte.gz'));
    assert.deepEqual([train.count, train.rows, train.cols, train.pixels.length], [60000, 28, 28, 60000 * 784]);
    assert.deepEqual(Array.from(readIdxLabels(fm('train-labels-idx1-ubyte.gz')).subarray(0, 10)), [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
    assert.equal(readIdxLabels(fm('t10k-labels-idx1-ubyte.gz')).length, 10000);
    const raw = gunzipSync(readFileSync(fm('t10k-images-idx3-ubyte.gz')));
    writeFileSync(join(dir, 'plain'), raw);
    const a = readIdxImages(join(dir, 'plain'));
    assert.equal(a.count, 10000);
    assert.deepEqual(a.pixels.subarray(0, 784), readIdxImages(fm('t10k-images-idx3-ubyte.gz')).pixels.subarray(0, 784));
  });

  it('rejects truncated, mislabelled and corrupt files, naming the file', () => {
    const raw = gunzipSync(readFileSync(fm('t10k-labels-idx1-ubyte.gz')));
    writeFileSync(join(dir, 'short'), raw.subarray(0, 500));
    assert.throws(
      () => readIdxLabels(join(dir, 'short')),
      (e: Error) => e instanceof IdxError && /short: 492 data bytes for shape \[10000\] \(expected 10000\): truncated/.test(e.message),
    );
    writeFileSync(join(dir, 'labels-as-images'), raw);
    assert.throws(
      () => readIdxImages(join(dir, 'labels-as-images')),
      /labels-as-images: not an idx file of unsigned bytes with 3 dimensions \(magic 0x00000801\)/,
    );
    const gz = gzipSync(raw);
    writeFileSync(join(dir, 'bad.gz'), gz.subarray(0, gz.length - 20));
    assert.throws(() => readIdxLabels(join(dir, 'bad.gz')), /bad\.gz: corrupt gzip data/);
    assert.throws(() => readIdxLabels(join(dir, 'none')), /none: cannot read \(ENOENT\)/);
  });

  it('normalises and quantises every pixel value exactly as numpy float32 and torch.round do', () => {
    const px = Uint8Array.from({ length: 256 * 3 }, (_, i) => i % 256);
    const pre = { mean: [0.286, 0.485, 0.5], std: [0.353, 0.229, 0.25] };
    const scale = Math.fround(2.0227 / 127);
    const x = normalisePixels(px, 3, 16, pre);
    const q = quantiseInput(px, 3, 16, pre, scale);
    const py = spawnSync(
      '/usr/bin/python3',
      [
        '-c',
        `
import json, sys, numpy as np
f32 = np.float32
p = np.arange(256).astype(f32) / f32(255.0)
pre = json.loads(sys.argv[1]); s = f32(float(sys.argv[2]))
xs = [(p - f32(m)) / f32(d) for m, d in zip(pre["mean"], pre["std"])]
x = np.concatenate(xs)
q = np.clip(np.rint(x * (f32(1.0) / s)), -128, 127)
print(json.dumps({"x": [float(v) for v in x], "q": [int(v) for v in q]}))
`,
        JSON.stringify(pre),
        String(scale),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(py.status, 0, py.stderr);
    const want = JSON.parse(py.stdout) as { x: number[]; q: number[] };
    assert.deepEqual(Array.from(x), want.x);
    assert.deepEqual(Array.from(q), want.q);
    assert.throws(() => quantiseInput(px, 1, 16, { mean: [0], std: [1] }, scale), /768 pixels, expected 1×16×16/);
  });
});
