/**
 * `--image` inputs: PNG and JPEG pictures this test writes itself (pngjs / jpeg-js encoders; a grey JPEG from
 * PIL where /usr/bin/python3 has it), the channel and resize rules, corrupt pictures, idx data-set entries
 * by name and by path, and the one-line exit-2 errors through the CLI.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { dataset } from '../../verify/data/datasets.js';
import { readIdxImages, readIdxLabels } from '../../verify/data/idx.js';
import { loadInputImage } from '../../verify/data/image-input.js';
import { PictureError, decodePicture, pictureChannels, resizeBilinear } from '../../verify/data/picture.js';
import { quantiseInput } from '../../verify/data/preprocess.js';
import { isCleanUserError, ivit } from '../cli/cli-run.js';
import { FASHION_PREPROCESS, writeFashionTestModels } from '../eval/fashion-model.js';

const PYTHON = '/usr/bin/python3';

function pngBytes(width: number, height: number, rgba: (i: number) => [number, number, number, number]): Buffer {
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) png.data.set(rgba(i), 4 * i);
  return PNG.sync.write(png);
}

const oneLine = (stderr: string): boolean => stderr.trim().split('\n').length === 1;

describe('--image: pictures and data-set entries as model inputs', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(join(tmpdir(), 'ivit-data-'));
  const modelFile = join(dir, 'fashion.safetensors');
  const bareFile = join(dir, 'bare.safetensors');
  const model = writeFashionTestModels(modelFile, bareFile);
  const test = dataset('fashion-mnist').files('test');
  const images = readIdxImages(test.images);
  const labels = readIdxLabels(test.labels);
  const grey = (i: number): Uint8Array => images.pixels.slice(i * 784, (i + 1) * 784);
  const expected = (i: number): Int8Array => quantiseInput(grey(i), 1, 28, FASHION_PREPROCESS, model.scales.input);
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a PNG is decoded exactly: grey stays grey (luma of R = G = B), RGB gives BT.601 luma or three planes, alpha over black', () => {
    const px: Array<[number, number, number, number]> = [
      [0, 0, 0, 255],
      [255, 255, 255, 255],
      [10, 200, 30, 255],
      [100, 100, 100, 255],
      [200, 0, 0, 128],
      [7, 7, 7, 0],
    ];
    const bytes = pngBytes(3, 2, (i) => px[i]!);
    const p = decodePicture(bytes, 'mem.png');
    assert.equal(p.width, 3);
    assert.equal(p.height, 2);
    // luma = (299 R + 587 G + 114 B + 500) / 1000, floored; 200·128/255 = 100.39 → 100 over black
    assert.deepEqual(Array.from(pictureChannels(p, 1, 'mem.png')), [
      0,
      255,
      Math.floor((2990 + 117400 + 3420 + 500) / 1000),
      100,
      Math.floor((299 * 100 + 500) / 1000),
      0,
    ]);
    assert.deepEqual(Array.from(pictureChannels(p, 3, 'mem.png')), [0, 255, 10, 100, 100, 0, 0, 255, 200, 100, 0, 0, 0, 255, 30, 100, 0, 0]);
  });

  it('a 28×28 grey PNG of a Fashion-MNIST image gives exactly the input of that data-set entry; a 56×56 one (2× nearest) too', () => {
    const g = grey(7);
    writeFileSync(
      join(dir, 'fm7.png'),
      pngBytes(28, 28, (i) => [g[i]!, g[i]!, g[i]!, 255]),
    );
    // bilinear with half-pixel centres halves a 2×-repeated picture back to the original pixels
    writeFileSync(
      join(dir, 'fm7x2.png'),
      pngBytes(56, 56, (i) => {
        const v = g[Math.floor(i / 112) * 28 + Math.floor((i % 56) / 2)]!;
        return [v, v, v, 255];
      }),
    );
    const want = Array.from(expected(7));
    assert.deepEqual(Array.from(loadInputImage(join(dir, 'fm7.png'), model).image), want);
    assert.deepEqual(Array.from(loadInputImage(join(dir, 'fm7x2.png'), model).image), want);
    assert.deepEqual(Array.from(loadInputImage('fashion-mnist:test:7', model).image), want);
  });

  it('bilinear resize: half-pixel centres, float32 weights, clamped edges, round half to even', () => {
    // 2×2 → 4×4: sample positions −0.25 (clamped to 0), 0.25, 0.75, 1.25 (edge) on each axis
    const up = resizeBilinear(Uint8Array.from([0, 100, 200, 50]), 1, 2, 2, 4);
    const lerp = (a: number, b: number, t: number): number => a + t * (b - a);
    const w = [0, 0.25, 0.75, 1];
    const want = w.flatMap((fy) => w.map((fx) => lerp(lerp(0, 100, fx), lerp(200, 50, fx), fy)));
    assert.deepEqual(
      Array.from(up),
      want.map((v) => {
        const r = Math.round(v);
        return r - v === 0.5 && r % 2 ? r - 1 : r;
      }),
    );
    assert.equal(up[1], 25);
    assert.equal(up[5], 59); // fx = fy = 0.25: 25 + 0.25·(162.5 − 25) = 59.375
    // ties: 0.5 → 0 and 1.5 → 2
    assert.deepEqual(Array.from(resizeBilinear(Uint8Array.from([0, 2, 0, 2]), 1, 2, 2, 4).subarray(0, 4)), [0, 0, 2, 2]);
    const same = Uint8Array.from([1, 2, 3, 4]);
    assert.equal(resizeBilinear(same, 1, 2, 2, 2), same);
  });

  it('a JPEG written by jpeg-js decodes to its picture within JPEG error and feeds the model', () => {
    const g = grey(3);
    const raw = Buffer.alloc(28 * 28 * 4);
    for (let i = 0; i < 784; i++) raw.set([g[i]!, g[i]!, g[i]!, 255], 4 * i);
    writeFileSync(join(dir, 'fm3.jpg'), jpeg.encode({ width: 28, height: 28, data: raw }, 95).data);
    const p = decodePicture(readFileSync(join(dir, 'fm3.jpg')), 'fm3.jpg');
    const back = pictureChannels(p, 1, 'fm3.jpg');
    const err = back.reduce((m, v, i) => Math.max(m, Math.abs(v - g[i]!)), 0);
    assert.ok(err > 0 && err < 40, `largest JPEG error ${err}`);
    const r = loadInputImage(join(dir, 'fm3.jpg'), model);
    assert.match(r.description, /JPEG 28×28/);
    assert.deepEqual(Array.from(r.image), Array.from(quantiseInput(back, 1, 28, FASHION_PREPROCESS, model.scales.input)));
  });

  const hasPil = spawnSync(PYTHON, ['-c', 'import PIL'], { encoding: 'utf8' }).status === 0;
  if (hasPil) {
    it('a one-component (grey) JPEG and a palette PNG written by PIL decode to the right pixels', () => {
      const py =
        'import sys; from PIL import Image; im = Image.new("L", (5, 4)); im.putdata([i * 12 for i in range(20)]); ' +
        'im.save(sys.argv[1], quality=100); im.convert("P").save(sys.argv[2])';
      const r = spawnSync(PYTHON, ['-c', py, join(dir, 'pil.jpg'), join(dir, 'pil.png')], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const j = pictureChannels(decodePicture(readFileSync(join(dir, 'pil.jpg')), 'pil.jpg'), 1, 'pil.jpg');
      assert.ok(
        j.every((v, i) => Math.abs(v - i * 12) <= 3),
        Array.from(j).join(','),
      );
      const p = pictureChannels(decodePicture(readFileSync(join(dir, 'pil.png')), 'pil.png'), 1, 'pil.png');
      assert.deepEqual(
        Array.from(p),
        Array.from({ length: 20 }, (_, i) => i * 12),
      );
    });
  } else {
    process.stderr.write(`note: ${PYTHON} has no PIL; the PIL-written picture test is not registered\n`);
  }

  it('corrupt, truncated and unrecognised pictures are PictureErrors naming the file', () => {
    const png = pngBytes(8, 8, (i) => [i, i, i, 255]);
    const jpg = Buffer.from(jpeg.encode({ width: 8, height: 8, data: Buffer.alloc(256, 99) }, 90).data);
    const cases: Array<[string, Buffer]> = [
      ['trunc.png', png.subarray(0, png.length - 20)],
      ['crc.png', Buffer.concat([png.subarray(0, 40), Buffer.from([png[40]! ^ 0xff]), png.subarray(41)])],
      ['trunc.jpg', jpg.subarray(0, Math.floor(jpg.length / 2))],
      ['header-only.jpg', jpg.subarray(0, 3)],
    ];
    for (const [name, bytes] of cases) {
      assert.throws(
        () => decodePicture(bytes, name),
        (e: unknown) => e instanceof PictureError && e.message.startsWith(`${name}: `),
        name,
      );
    }
  });

  it('idx entries: fashion-mnist:test:N and path:N give the same input and label; train split too', () => {
    const a = loadInputImage('fashion-mnist:test:123', model);
    const b = loadInputImage(`${test.images}:123`, model);
    assert.deepEqual(Array.from(a.image), Array.from(expected(123)));
    assert.deepEqual(Array.from(b.image), Array.from(a.image));
    assert.equal(a.label, labels[123]);
    assert.equal(b.label, labels[123]);
    assert.match(a.description, new RegExp(`fashion-mnist test image 123 \\(${dataset('fashion-mnist').classes[labels[123]!]!.replace('/', '\\/')}\\)`));
    const train = readIdxImages(dataset('fashion-mnist').files('train').images);
    const t = loadInputImage('fashion-mnist:train:59999', model);
    assert.deepEqual(
      Array.from(t.image),
      Array.from(quantiseInput(train.pixels.slice(59999 * 784, 60000 * 784), 1, 28, FASHION_PREPROCESS, model.scales.input)),
    );
  });

  it("the data set's class names here are the ones verify/train/fashion_data.py trains with", () => {
    const r = spawnSync(PYTHON, ['-c', 'import json, sys; sys.path.insert(0, "verify/train"); import fashion_data; print(json.dumps(fashion_data.CLASSES))'], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), dataset('fashion-mnist').classes);
  });

  it('ivit golden --image: picture, idx entries and ivit-image agree; bad input is one line, exit 2', () => {
    const ok = (img: string): { checksum: string } => {
      const r = ivit(['golden', '--model', modelFile, '--image', img, '--json']);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as { checksum: string };
    };
    const c = ok('fashion-mnist:test:7').checksum;
    assert.equal(ok(join(dir, 'fm7.png')).checksum, c);
    assert.equal(ok(`${test.images}:7`).checksum, c);
    writeFileSync(join(dir, 'trunc.png'), readFileSync(join(dir, 'fm7.png')).subarray(0, 60));
    const bad: Array<[string[], RegExp]> = [
      [['--image', join(dir, 'trunc.png')], /trunc\.png: corrupt or unsupported PNG/],
      [['--image', 'fashion-mnist:test:10000'], /index 10000 is out of range .* 10000 images/],
      [['--image', `${test.images}:70000`], /index 70000 is out of range/],
      [['--image', 'fashion-mnist:valid:1'], /unknown split "valid"/],
      [['--image', join(dir, 'missing.png')], /missing\.png: no such file/],
      [['--image', join(dir, 'fm7.png'), '--model', bareFile], /carries no preprocess metadata/],
      [['--image', 'fashion-mnist:test:1', '--model', bareFile], /carries no preprocess metadata/],
    ];
    for (const [args, msg] of bad) {
      const r = ivit(['golden', '--model', modelFile, ...args]);
      assert.ok(isCleanUserError(r) && oneLine(r.stderr), `${args.join(' ')}: ${r.code} ${r.stderr}`);
      assert.match(r.stderr, msg);
    }
  });
});
