/**
 * `ivit import` on real exports made here: test/import/make_checkpoints.py builds a small torchvision
 * VisionTransformer with Debian's PyTorch (seeded random init, 200 training steps), saves its state dict
 * (torchvision naming), a timm-named copy, and torch.onnx.export files (opsets 17 and 13, checked by
 * onnx.checker), plus PyTorch's float logits on test images. Every path must give the same quantised model,
 * golden inference must track PyTorch's float logits, a DeiT-S-shaped state dict must import as deit-s, and
 * every bad input must be one clear line with exit 2 and no file written.
 * Needs /usr/bin/python3 with torch and onnx (scripts/test.sh installs them; IVIT_REQUIRE_TORCH=1 makes
 * their absence a failure).
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ivit, isCleanUserError, REPO } from '../cli/cli-run.js';
import { readIdxImages } from '../../verify/data/idx.js';
import { normalisePixels, quantiseInput } from '../../verify/data/preprocess.js';
import { PYTORCH_NUMERICS } from '../../verify/golden/numerics-config.js';
import type { QuantModel } from '../../verify/golden/qmodel.js';
import { argmax, runGolden } from '../../verify/golden/run-golden.js';
import { constantsResolver, forwardInLockstep, vitForward } from '../../verify/golden/vit-forward.js';
import { deriveModelConstants } from '../../verify/golden/model-constants.js';
import { ZOO } from '../../verify/golden/zoo.js';
import { MINMAX, type RangeObserver } from '../../verify/import/calibrate.js';
import { calibrationImages, fashionMnistDir } from '../../verify/import/calibration-data.js';
import { type CheckpointOptions, readCheckpoint } from '../../verify/import/checkpoint.js';
import type { FloatVit } from '../../verify/import/float-model.js';
import { floatForward } from '../../verify/import/float-forward.js';
import { calibrate } from '../../verify/import/import-model.js';
import { floatValues } from '../../verify/import/state-dict.js';
import { encodeModel, readModel } from '../../verify/model/qmodel-file.js';
import { type Tensor, decodeSafetensors, encodeSafetensors, tensor } from '../../verify/model/safetensors.js';

const PYTHON = '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch, torchvision, onnx'], { encoding: 'utf8' }).status === 0;
if (!hasTorch && process.env.IVIT_REQUIRE_TORCH !== '1') {
  process.stderr.write(
    `note: ${PYTHON} lacks torch/torchvision/onnx; the import tests are not registered (apt-get install python3-torch python3-torchvision python3-onnx)\n`,
  );
}

const CALIB = 64;
const FASHION = { mean: [0.286], std: [0.353] };
const ARCH = { family: 'vit', imageSize: 28, patchSize: 7, inChannels: 1, embedDim: 32, depth: 2, heads: 2, mlpDim: 64, numClasses: 10 };

/** The model file's bytes without what legitimately differs between import paths (name, provenance). */
function modelBytes(m: QuantModel): string {
  return createHash('sha256')
    .update(encodeModel({ ...m, config: { ...m.config, name: 'm' }, provenance: {} }))
    .digest('hex');
}

function testImages(count: number): Uint8Array[] {
  const idx = readIdxImages(join(fashionMnistDir(), 't10k-images-idx3-ubyte.gz'));
  return Array.from({ length: count }, (_, i) => idx.pixels.slice(i * 784, (i + 1) * 784));
}

if (hasTorch || process.env.IVIT_REQUIRE_TORCH === '1') {
  describe('ivit import on real PyTorch exports', function () {
    this.timeout(120_000);
    let dir = '';
    let reference: { logits: number[][]; labels: number[] };
    const f = (name: string): string => join(dir, name);
    const load = (name: string, opts: Partial<CheckpointOptions> = {}): FloatVit => readCheckpoint(f(name), { format: 'auto', ...opts }).model;
    const quantise = (fm: FloatVit, obs: RangeObserver = MINMAX, count = CALIB): QuantModel =>
      calibrate(fm, calibrationImages('fashion-mnist', count, fm.config).pixels, fm.preprocess ?? FASHION, obs, {}).model;

    before(() => {
      assert.ok(hasTorch, `${PYTHON} cannot import torch, torchvision and onnx (IVIT_REQUIRE_TORCH=1)`);
      dir = mkdtempSync(join(tmpdir(), 'ivit-import-'));
      const r = spawnSync(PYTHON, [join(REPO, 'test', 'import', 'make_checkpoints.py'), '--out', dir, '--images', '64'], { encoding: 'utf8' });
      assert.equal(r.status, 0, `make_checkpoints.py failed: ${r.stderr.slice(-2000)}`);
      reference = JSON.parse(readFileSync(f('logits.json'), 'utf8')) as typeof reference;
    });
    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('the torchvision state dict, its timm-named copy and the ONNX exports (torchvision opsets 17 and 13, a timm-style module) give identical quantised models', () => {
      const tv = load('tv.safetensors');
      assert.deepEqual({ ...tv.config, name: undefined }, { ...ARCH, name: undefined });
      assert.deepEqual(tv.preprocess, FASHION);
      const models = [tv, load('timm.safetensors', { heads: 2 }), load('vit17.onnx'), load('vit13.onnx'), load('timm-module.onnx')].map((m) => quantise(m));
      const bytes = models.map(modelBytes);
      assert.deepEqual(
        bytes,
        bytes.map(() => bytes[0]),
      );
      // and the float weights themselves agree exactly (the ONNX graph stores in_proj transposed)
      const onnx = load('vit17.onnx');
      assert.deepEqual(Array.from(onnx.blocks[1]!.qkv.weight), Array.from(tv.blocks[1]!.qkv.weight));
      assert.deepEqual(Array.from(onnx.pos), Array.from(tv.pos));
    });

    it("the float pass of the imported weights equals PyTorch: torchvision's in_proj rows are the golden q, k, v × heads × head-dim layout", () => {
      const fm = load('tv.safetensors');
      const images = testImages(8);
      const err = (m: FloatVit): number =>
        Math.max(
          ...images.map((px, i) => {
            const got = floatForward(m, normalisePixels(px, 1, 28, FASHION));
            return Math.max(...reference.logits[i]!.map((v, k) => Math.abs(v - got[k]!)));
          }),
        );
      assert.ok(err(fm) < 1e-4, `float pass differs from PyTorch by ${err(fm)}`);
      // The same rows read heads-major ([head][q, k, v][d]) give another model: the check can tell layouts apart.
      const c = fm.config.embedDim;
      const d = c / fm.config.heads;
      const headsMajor = structuredClone(fm);
      for (const [b, blk] of headsMajor.blocks.entries()) {
        const src = fm.blocks[b]!.qkv;
        for (let h = 0; h < fm.config.heads; h++) {
          for (let part = 0; part < 3; part++) {
            for (let j = 0; j < d; j++) {
              const from = (h * 3 + part) * d + j;
              const to = part * c + h * d + j;
              blk.qkv.weight.set(src.weight.subarray(from * c, (from + 1) * c), to * c);
              blk.qkv.bias[to] = src.bias[from]!;
            }
          }
        }
      }
      assert.ok(err(headsMajor) > 1e-2, `a heads-major qkv layout should change the logits (differs by only ${err(headsMajor)})`);
    });

    it("golden inference on the imported model tracks PyTorch's float logits", () => {
      const m = quantise(load('tv.safetensors'));
      const images = testImages(reference.logits.length);
      let agree = 0;
      let correct = 0;
      images.forEach((px, i) => {
        const g = runGolden(m, quantiseInput(px, 1, 28, m.preprocess!, m.scales.input), PYTORCH_NUMERICS);
        const deq = Array.from(g.logits, (v) => v * m.scales.logits);
        const ref = reference.logits[i]!;
        const range = Math.max(...ref) - Math.min(...ref);
        const err = Math.max(...ref.map((v, k) => Math.abs(v - deq[k]!)));
        // tolerance: 8% of the logit range per logit (measured: at most 5%)
        assert.ok(err <= 0.08 * range, `image ${i}: dequantised integer logits differ from PyTorch by ${err.toFixed(3)} (range ${range.toFixed(2)})`);
        const sorted = [...ref].sort((a, b) => b - a);
        if (g.argmax === argmax(ref)) agree++;
        else
          assert.ok(
            sorted[0]! - sorted[1]! <= 2 * err,
            `image ${i}: argmax ${g.argmax} ≠ ${argmax(ref)} with a float margin of ${(sorted[0]! - sorted[1]!).toFixed(3)} > 2 × the error`,
          );
        if (g.argmax === reference.labels[i]) correct++;
      });
      assert.ok(agree >= 0.9 * images.length, `integer and float argmax agree on ${agree} of ${images.length} images`);
      assert.ok(correct >= 0.6 * images.length, `the integer model is right on only ${correct} of ${images.length}`);
    });

    it('calibration is over the batch: image order does not matter, one image at a time differs, percentile ranges shrink scales', () => {
      const fm = load('tv.safetensors');
      const px = calibrationImages('fashion-mnist', 16, fm.config).pixels;
      const run = (images: readonly Uint8Array[], obs: RangeObserver = MINMAX): QuantModel => calibrate(fm, images, FASHION, obs, {}).model;
      const all = run(px);
      assert.equal(modelBytes(run([...px].reverse())), modelBytes(all));
      assert.notEqual(modelBytes(run(px.slice(0, 1))), modelBytes(all));
      assert.equal(modelBytes(run(px, { kind: 'percentile', percentile: 100 })), modelBytes(all));
      const p = run(px, { kind: 'percentile', percentile: 99 });
      const pairs = all.blocks.flatMap((b, i) => Object.entries(b.scales).map(([k, s]) => [s, p.blocks[i]!.scales[k as keyof typeof b.scales]] as const));
      assert.ok(
        pairs.some(([a, b]) => b < 0.95 * a),
        'a 99th-percentile range should cut some scale',
      );
      // the lockstep driver and the one-image driver agree on a finished model
      const k = constantsResolver(deriveModelConstants(all, PYTORCH_NUMERICS));
      const imgs = px.slice(0, 3).map((x) => quantiseInput(x, 1, 28, FASHION, all.scales.input));
      const batch = forwardInLockstep(all, imgs, PYTORCH_NUMERICS, {
        requant: (s, z, c) => k.requant(s, z[0]!, c),
        residual: (s, m, sk) => k.residual(s, m[0]!, sk[0]!),
        expX0: k.expX0,
        layerNormBias: k.layerNormBias,
        lis: k.lis,
        ibert: k.ibert,
        pts: k.pts,
        sulq: (s, p) => k.sulq(s, p[0]!),
      });
      imgs.forEach((img, i) => assert.deepEqual(Array.from(batch[i]!.logits), Array.from(vitForward(all, img, PYTORCH_NUMERICS, k).logits)));
    });

    it('F64, F16 and BF16 state dicts are read (F64 gives the same model); integer tensors are refused', () => {
      const st = decodeSafetensors(readFileSync(f('tv.safetensors')), 'tv');
      const as = (conv: (t: Tensor) => Tensor): Buffer => encodeSafetensors(Object.fromEntries([...st.tensors].map(([k, t]) => [k, conv(t)])), st.metadata);
      writeFileSync(
        f('tv64.safetensors'),
        as((t) => tensor(Float64Array.from(t.data as Float32Array), t.shape)),
      );
      assert.equal(modelBytes(quantise(load('tv64.safetensors'))), modelBytes(quantise(load('tv.safetensors'))));
      // bf16 = the top half of a float32; f16 = IEEE half
      const bf = floatValues(tensor(Uint16Array.of(0x3f80, 0xc000, 0x0001), [3], 'BF16'), 'x', 's');
      assert.deepEqual(Array.from(bf), [1, -2, Math.fround(2 ** -133)]);
      const h = floatValues(tensor(Uint16Array.of(0x3c00, 0xc000, 0x7bff, 0x0001, 0x3555), [5], 'F16'), 'x', 's');
      assert.deepEqual(Array.from(h), [1, -2, 65504, 2 ** -24, Math.fround(0.333251953125)]);
      writeFileSync(
        f('tv16.safetensors'),
        as((t) =>
          tensor(
            Uint16Array.from(t.data as Float32Array, (v) => new Uint16Array(new Float32Array([v]).buffer)[1]!),
            t.shape,
            'BF16',
          ),
        ),
      );
      const b16 = load('tv16.safetensors');
      const w = (st.tensors.get('heads.head.weight')!.data as Float32Array)[0]!;
      assert.equal(b16.head.weight[0], new Float32Array(new Uint32Array([(new Uint32Array(new Float32Array([w]).buffer)[0]! >>> 16) << 16]).buffer)[0]);
      assert.throws(() => floatValues(tensor(Int32Array.of(1), [1]), 'n', 's'), /tensor "n" has non-float dtype I32/);
    });

    it('a full-size DeiT-S-shaped state dict (timm naming, random weights) imports as deit-s', () => {
      const c = 384;
      const t: Record<string, Tensor> = {};
      let seed = 12345;
      const rand = (shape: number[], std: number, mean = 0): Tensor => {
        const n = shape.reduce((a, b) => a * b, 1);
        const a = new Float32Array(n);
        for (let i = 0; i < n; i++) {
          seed = (Math.imul(seed, 1664525) + 1013904223) | 0;
          a[i] = mean + std * ((seed >>> 8) / 2 ** 24 - 0.5) * 3.46; // uniform with the given std
        }
        return tensor(a, shape);
      };
      t['patch_embed.proj.weight'] = rand([c, 3, 16, 16], 0.02);
      t['patch_embed.proj.bias'] = rand([c], 0.02);
      t['cls_token'] = rand([1, 1, c], 0.02);
      t['pos_embed'] = rand([1, 197, c], 0.02);
      for (let i = 0; i < 12; i++) {
        const p = `blocks.${i}`;
        for (const n of ['norm1', 'norm2']) {
          t[`${p}.${n}.weight`] = rand([c], 0.1, 1);
          t[`${p}.${n}.bias`] = rand([c], 0.02);
        }
        t[`${p}.attn.qkv.weight`] = rand([3 * c, c], 0.02);
        t[`${p}.attn.qkv.bias`] = rand([3 * c], 0.02);
        t[`${p}.attn.proj.weight`] = rand([c, c], 0.02);
        t[`${p}.attn.proj.bias`] = rand([c], 0.02);
        t[`${p}.mlp.fc1.weight`] = rand([4 * c, c], 0.02);
        t[`${p}.mlp.fc1.bias`] = rand([4 * c], 0.02);
        t[`${p}.mlp.fc2.weight`] = rand([c, 4 * c], 0.02);
        t[`${p}.mlp.fc2.bias`] = rand([c], 0.02);
      }
      t['norm.weight'] = rand([c], 0.1, 1);
      t['norm.bias'] = rand([c], 0.02);
      t['head.weight'] = rand([1000, c], 0.02);
      t['head.bias'] = rand([1000], 0.02);
      writeFileSync(f('deit-s.safetensors'), encodeSafetensors(t, {}));
      const r = ivit([
        'import',
        '--checkpoint',
        f('deit-s.safetensors'),
        '--out',
        f('deit-s-int8.safetensors'),
        '--heads',
        '6',
        '--calib',
        '1',
        '--mean',
        '0.485,0.456,0.406',
        '--std',
        '0.229,0.224,0.225',
        '--name',
        'deit-s',
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /timm naming/);
      const m = readModel(f('deit-s-int8.safetensors'));
      assert.deepEqual(m.config, ZOO['deit-s']);
      assert.deepEqual(m.preprocess, { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
      assert.equal(
        m.provenance.checkpointSha256,
        createHash('sha256')
          .update(readFileSync(f('deit-s.safetensors')))
          .digest('hex'),
      );
    });

    it('the CLI writes a model that ivit golden runs, and reports what it detected', () => {
      const r = ivit(['import', '--checkpoint', f('tv.safetensors'), '--out', f('cli.safetensors'), '--calib', '8']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /torchvision naming/);
      assert.match(r.stdout, /width 32, 2 blocks, 2 heads \(from metadata config\), mlp 64, 10 classes/);
      assert.match(r.stdout, /first 8 images of .*train-images-idx3-ubyte/);
      const g = ivit(['golden', '--model', f('cli.safetensors')]);
      assert.equal(g.code, 0, g.stderr);
      assert.match(g.stdout, /argmax \d/);
      const m = readModel(f('cli.safetensors'));
      assert.equal(m.provenance.checkpoint, f('tv.safetensors'));
      assert.equal(m.provenance.calibrationImages, 8);
    });

    it('--numerics isvit-w4a4 writes the I&S-ViT fields that ivit golden --numerics isvit-w4a4 runs; other presets refuse the file for it', () => {
      const out = f('cli-isvit.safetensors');
      const r = ivit(['import', '--checkpoint', f('tv.safetensors'), '--out', out, '--calib', '8', '--numerics', 'isvit-w4a4']);
      assert.equal(r.code, 0, r.stderr);
      const m = readModel(out);
      assert.equal(m.isvit!.weightBits, 4);
      assert.equal(m.isvit!.sulq.length, 2);
      assert.equal(m.provenance.numerics, 'isvit-w4a4');
      assert.ok(m.blocks.every((b) => [b.qkv, b.proj, b.fc1, b.fc2].every((l) => l.weight.every((w) => w >= -8 && w <= 7))));
      const g = ivit(['golden', '--model', out, '--numerics', 'isvit-w4a4']);
      assert.equal(g.code, 0, g.stderr);
      assert.match(g.stdout, /argmax \d/);
      const bad = ivit(['golden', '--model', out, '--numerics', 'isvit-w3a3']);
      assert.ok(isCleanUserError(bad), `exit ${bad.code}: ${bad.stderr}`);
      assert.match(bad.stderr, /isvit\.weightBits is 4, the preset's is 3/);
      const noLis = ivit([
        'import',
        '--checkpoint',
        f('tv.safetensors'),
        '--out',
        f('never-isvit-lis.safetensors'),
        '--numerics',
        'isvit-w3a3',
        '--lis-bits',
        '4',
      ]);
      assert.ok(isCleanUserError(noLis), `exit ${noLis.code}: ${noLis.stderr}`);
    });

    describe('bad input: one line naming the tensor or node, exit 2, nothing written', () => {
      const edited = (name: string, edit: (t: Map<string, Tensor>, md: Record<string, string>) => void): string => {
        const st = decodeSafetensors(readFileSync(f('tv.safetensors')), 'tv');
        edit(st.tensors, st.metadata);
        writeFileSync(f(name), encodeSafetensors(Object.fromEntries(st.tensors), st.metadata));
        return f(name);
      };
      const cases: Array<[string, () => string[], RegExp]> = [
        [
          'a missing tensor',
          () => [edited('missing.safetensors', (t) => t.delete('encoder.layers.encoder_layer_1.mlp.3.bias'))],
          /tensor "encoder\.layers\.encoder_layer_1\.mlp\.3\.bias" is missing/,
        ],
        [
          'an extra tensor',
          () => [edited('extra.safetensors', (t) => t.set('encoder.layers.encoder_layer_0.adapter.weight', tensor(new Float32Array(4), [4])))],
          /unexpected tensor "encoder\.layers\.encoder_layer_0\.adapter\.weight"/,
        ],
        [
          'a mis-shaped tensor',
          () => [
            edited('shape.safetensors', (t) => {
              const k = 'encoder.layers.encoder_layer_0.self_attention.out_proj.weight';
              t.set(k, tensor(t.get(k)!.data, [16, 64]));
            }),
          ],
          /tensor "encoder\.layers\.encoder_layer_0\.self_attention\.out_proj\.weight" has shape \[16, 64\], expected \[32, 32\]/,
        ],
        [
          'an unknown naming scheme',
          () => [
            edited('naming.safetensors', (t) => {
              for (const [k, v] of [...t]) {
                t.delete(k);
                t.set(`model.${k}`, v);
              }
            }),
          ],
          /unknown naming scheme/,
        ],
        [
          'a non-float dtype',
          () => [edited('int.safetensors', (t) => t.set('encoder.ln.bias', tensor(new Int32Array(32), [32])))],
          /tensor "encoder\.ln\.bias" has non-float dtype I32/,
        ],
        [
          'a distilled DeiT',
          () => [edited('distilled.safetensors', (t) => t.set('dist_token', tensor(new Float32Array(32), [1, 1, 32])))],
          /distilled DeiT \(dist_token, head_dist\) is not supported/,
        ],
        [
          'a truncated state dict',
          () => {
            writeFileSync(f('trunc.safetensors'), readFileSync(f('tv.safetensors')).subarray(0, 50_000));
            return [f('trunc.safetensors')];
          },
          /tensor "[^"]+": data_offsets .* pass the end of the data .*truncated/,
        ],
        ['no head count', () => [f('timm.safetensors'), '--mean', '0.3', '--std', '0.3'], /number of attention heads is not in the checkpoint .*--heads/],
        ['no input normalisation', () => [f('timm.safetensors'), '--heads', '2'], /records no input normalisation .*--mean and --std/],
        [
          'a truncated ONNX file',
          () => {
            writeFileSync(f('trunc.onnx'), readFileSync(f('vit17.onnx')).subarray(0, 60_000));
            return [f('trunc.onnx'), '--mean', '0.3', '--std', '0.3'];
          },
          /trunc\.onnx: not a readable ONNX model/,
        ],
        [
          'an unsupported ONNX node',
          () => [f('tanh-gelu.onnx'), '--mean', '0.3', '--std', '0.3'],
          /ONNX node "\/encoder\/layers\/encoder_layer_0\/mlp\/mlp\.1\/Tanh" \(Tanh\) is not supported/,
        ],
        [
          'an ONNX graph that is not a supported ViT',
          () => [f('meanpool.onnx'), '--mean', '0.3', '--std', '0.3'],
          /ONNX node "\/ReduceMean" \(ReduceMean\) is where .*class-token selection/,
        ],
      ];
      for (const [what, args, message] of cases) {
        it(what, () => {
          const [checkpoint, ...rest] = args();
          const out = f(`never-${what.replace(/\W+/g, '-')}.safetensors`);
          const r = ivit(['import', '--checkpoint', checkpoint!, '--out', out, '--calib', '4', ...rest]);
          assert.ok(isCleanUserError(r), `exit ${r.code}: ${r.stderr}`);
          assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
          assert.match(r.stderr, message);
          assert.ok(!existsSync(out), 'an output file was written');
          assert.deepEqual(
            readdirSync(dir).filter((n) => n.endsWith('.tmp')),
            [],
          );
        });
      }
    });
  });
}
