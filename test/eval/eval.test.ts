/**
 * `ivit eval` on the stand-in Fashion-MNIST model (fashion-model.ts): the golden top-1 comes from the data
 * set's real labels (recomputed here image by image through `--image`'s path), the PyTorch int64 pass gives
 * the golden logits on every image, a sampled image is bit-exact on the simulator; without torch the
 * PyTorch columns say so and the golden column still runs; --numerics fqvit runs the golden pool, the int64
 * column and the simulator under FQ-ViT's preset; bad input is one line, exit 2. Also
 * `ivit run --image fashion-mnist:test:0` on the same model.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataset } from '../../verify/data/datasets.js';
import { readIdxLabels } from '../../verify/data/idx.js';
import { loadInputImage } from '../../verify/data/image-input.js';
import { FQVIT_NUMERICS, PYTORCH_NUMERICS } from '../../verify/golden/numerics-config.js';
import { runGolden } from '../../verify/golden/run-golden.js';
import { writeModel } from '../../verify/model/qmodel-file.js';
import type { EvalReport } from '../../verify/eval/evaluate.js';
import { isCleanUserError, ivit, REPO } from '../cli/cli-run.js';
import { writeFashionTestModels } from './fashion-model.js';

const PYTHON = '/usr/bin/python3';
const LIMIT = 20;
// The PyTorch columns need torch; where /usr/bin/python3 has none those tests are not registered (as in
// test/torch-vectors), unless IVIT_REQUIRE_TORCH=1 makes its absence a failure. The torch-less path is tested anyway.
const torchAvailable = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0 || process.env.IVIT_REQUIRE_TORCH === '1';
if (!torchAvailable) process.stderr.write(`note: ${PYTHON} has no torch; the ivit eval tests of the PyTorch columns are not registered\n`);

describe('ivit eval (Fashion-MNIST, stand-in model)', function () {
  this.timeout(600_000); // a safety net for a hung child process, not a check: the machines are shared
  const dir = mkdtempSync(join(tmpdir(), 'ivit-eval-'));
  const modelFile = join(dir, 'fashion.safetensors');
  const bareFile = join(dir, 'bare.safetensors');
  const noFqvitFile = join(dir, 'no-fqvit.safetensors');
  const floatFile = join(dir, 'float.safetensors');
  const model = writeFashionTestModels(modelFile, bareFile);
  const labels = readIdxLabels(dataset('fashion-mnist').files('test').labels);
  {
    // the same model without its FQ-ViT fields (the LIS width, every LayerNorm's PTS scales)
    const { fqvit: _drop, ...noFqvit } = model;
    const stripLn = <T extends { pts?: unknown }>(ln: T): T => {
      const { pts: _p, ...rest } = ln;
      return rest as T;
    };
    writeModel(noFqvitFile, {
      ...noFqvit,
      norm: stripLn(model.norm),
      blocks: model.blocks.map((b) => ({ ...b, norm1: stripLn(b.norm1), norm2: stripLn(b.norm2) })),
    });
  }
  after(() => rmSync(dir, { recursive: true, force: true }));

  const evalJson = (args: string[], env: Record<string, string> = {}, file = modelFile): EvalReport => {
    const r = ivit(['eval', '--model', file, '--data', 'fashion-mnist', '--limit', String(LIMIT), '--json', ...args], env);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as EvalReport;
  };

  const torchIt = torchAvailable ? it : (): void => {};
  let explicit: EvalReport | undefined;
  before(function () {
    if (!torchAvailable) return;
    // a small randomly initialised float checkpoint in the trained model's format (verify/train)
    const py =
      'import sys, json, torch; sys.path.insert(0, "verify/train"); from model_def import build_model; from safetensors_io import write_safetensors; ' +
      'torch.manual_seed(0); a = dict(image_size=28, patch_size=7, num_layers=1, num_heads=2, hidden_dim=32, mlp_dim=64, num_classes=10); m = build_model(a); ' +
      'write_safetensors(sys.argv[1], {k: v.detach().numpy() for k, v in m.state_dict().items()}, {"format": "pytorch-state-dict", "naming": "torchvision", "config": json.dumps({**a, "in_channels": 1, "norm_eps": 1e-6})})';
    const mk = spawnSync(PYTHON, ['-c', py, floatFile], { cwd: REPO, encoding: 'utf8' });
    assert.equal(mk.status, 0, mk.stderr);
  });

  torchIt(
    `--limit ${LIMIT} --sim-sample 2: golden top-1 from the real labels, PyTorch int64 = golden on every image, FP32 and fake-quant columns, simulator bit-exact`,
    () => {
      const r = evalJson(['--float', floatFile, '--sim-sample', '2', '--workers', '2']);
      explicit = r;
      assert.equal(r.count, LIMIT);
      // the golden column, recomputed: each image through --image's path, argmax against the idx label
      let correct = 0;
      const perClass = new Array<number>(10).fill(0);
      for (let i = 0; i < LIMIT; i++) {
        const g = runGolden(model, loadInputImage(`fashion-mnist:test:${i}`, model).image, PYTORCH_NUMERICS);
        if (g.argmax === labels[i]) {
          correct++;
          perClass[labels[i]!]!++;
        }
      }
      const golden = r.columns.golden;
      assert.ok(!('unavailable' in golden));
      assert.equal(golden.correct, correct);
      assert.deepEqual(golden.perClass, perClass);
      assert.deepEqual(
        r.classes.map((c) => c.images),
        Array.from({ length: 10 }, (_, c) => labels.subarray(0, LIMIT).filter((l) => l === c).length),
      );
      assert.equal(r.classes[9]!.name, 'Ankle boot');

      assert.ok(!('unavailable' in r.int64VsGolden), JSON.stringify(r.int64VsGolden));
      assert.equal(r.int64VsGolden.imagesEqual, LIMIT);
      assert.equal(r.int64VsGolden.logitsEqual, LIMIT * 10);

      for (const c of [r.columns.fp32, r.columns.fakeQuant]) {
        assert.ok(!('unavailable' in c), JSON.stringify(c));
        assert.equal(
          c.perClass.reduce((a, b) => a + b, 0),
          c.correct,
        );
      }
      assert.equal(r.floatCheckpoint, floatFile);
      const fpAgree = r.argmaxAgreement.fp32VsGolden;
      assert.ok(!('unavailable' in fpAgree) && fpAgree.of === LIMIT);

      assert.ok(r.simulator);
      assert.deepEqual(
        r.simulator.images.map((s) => s.index),
        [0, 10],
      );
      assert.equal(r.simulator.bitExact, 2);
      assert.ok(r.simulator.images.every((s) => s.layers === 77 && s.mismatchedLayers.length === 0 && s.cycles > 0));
      assert.equal(r.throughput.goldenWorkers, 2);
    },
  );

  torchIt('the FP32 checkpoint defaults to provenance.checkpoint when its SHA-256 matches, and is refused when it does not', () => {
    const sha = createHash('sha256').update(readFileSync(floatFile)).digest('hex');
    const withProv = join(dir, 'with-provenance.safetensors');
    writeModel(withProv, { ...model, provenance: { ...model.provenance, checkpoint: floatFile, checkpointSha256: sha } });
    const byDefault = evalJson([], {}, withProv);
    assert.equal(byDefault.floatCheckpoint, floatFile);
    assert.ok(explicit, 'the first test ran --float explicitly');
    assert.deepEqual(byDefault.columns.fp32, explicit.columns.fp32);
    const wrong = join(dir, 'wrong-sha.safetensors');
    writeModel(wrong, { ...model, provenance: { ...model.provenance, checkpoint: floatFile, checkpointSha256: '0'.repeat(64) } });
    const refused = evalJson(['--limit', '5'], {}, wrong);
    assert.equal(refused.floatCheckpoint, null);
    assert.ok('unavailable' in refused.columns.fp32 && /SHA-256 differs/.test(refused.columns.fp32.unavailable), JSON.stringify(refused.columns.fp32));
    assert.ok(!('unavailable' in refused.columns.fakeQuant));
  });

  torchIt('--numerics fqvit: the golden pool, the PyTorch int64 column and the simulator sample run FQ-ViT; no fake-quant column', () => {
    assert.ok(model.fqvit, 'the stand-in model carries FQ-ViT fields');
    const r = evalJson(['--float', floatFile, '--numerics', 'fqvit', '--sim-sample', '1', '--workers', '2']);
    assert.equal(r.numerics, 'fqvit');
    let correct = 0;
    let differsFromIvit = 0;
    for (let i = 0; i < LIMIT; i++) {
      const img = loadInputImage(`fashion-mnist:test:${i}`, model).image;
      const g = runGolden(model, img, FQVIT_NUMERICS);
      if (g.argmax === labels[i]) correct++;
      if (g.checksum !== runGolden(model, img, PYTORCH_NUMERICS).checksum) differsFromIvit++;
    }
    assert.ok(differsFromIvit > 0, 'fqvit logits differ from I-ViT’s on some image');
    const golden = r.columns.golden;
    assert.ok(!('unavailable' in golden));
    assert.equal(golden.correct, correct);
    assert.ok(!('unavailable' in r.int64VsGolden), JSON.stringify(r.int64VsGolden));
    assert.equal(r.int64VsGolden.imagesEqual, LIMIT);
    assert.equal(r.int64VsGolden.logitsEqual, LIMIT * 10);
    assert.deepEqual(r.columns.fakeQuant, { unavailable: 'omitted (no FQ-ViT float pass)' });
    assert.deepEqual(r.argmaxAgreement.fakeQuantVsGolden, { unavailable: 'omitted (no FQ-ViT float pass)' });
    assert.ok(!('unavailable' in r.columns.fp32));
    assert.ok(r.simulator);
    assert.equal(r.simulator.bitExact, 1);
    assert.equal(r.simulator.images[0]!.mismatchedLayers.length, 0);
    // --set numerics.preset=fqvit is the same evaluation
    const viaSet = evalJson(['--set', 'numerics.preset=fqvit', '--limit', '5']);
    assert.equal(viaSet.numerics, 'fqvit');
    assert.ok(!('unavailable' in viaSet.int64VsGolden) && viaSet.int64VsGolden.imagesEqual === 5);
  });

  it('--set numerics.attention / geluUnit swaps one unit into the golden pool and the simulator sample; no PyTorch pass claims it', () => {
    const swaps: Array<[string[], Partial<typeof PYTORCH_NUMERICS>, string]> = [
      [['--set', 'numerics.attention=ibert'], { attention: 'ibert' }, 'numerics.attention = ibert'],
      [['--set', 'numerics.attention=lis', '--sim-sample', '1'], { attention: 'lis' }, 'numerics.attention = lis'],
      [['--numerics', 'fqvit', '--set', 'numerics.geluUnit=ibert'], { ...FQVIT_NUMERICS, geluUnit: 'ibert' }, 'fqvit preset with numerics.geluUnit = ibert'],
    ];
    for (const [args, numerics, named] of swaps) {
      const r = evalJson([...args, '--limit', '6', '--workers', '2']);
      const cfg = { ...PYTORCH_NUMERICS, ...numerics };
      let correct = 0;
      let differsFromIvit = 0;
      for (let i = 0; i < 6; i++) {
        const img = loadInputImage(`fashion-mnist:test:${i}`, model).image;
        const g = runGolden(model, img, cfg);
        if (g.argmax === labels[i]) correct++;
        if (g.checksum !== runGolden(model, img, PYTORCH_NUMERICS).checksum) differsFromIvit++;
      }
      assert.ok(differsFromIvit > 0, `${args.join(' ')}: the swapped unit changes some image's logits`);
      const golden = r.columns.golden;
      assert.ok(!('unavailable' in golden));
      assert.equal(golden.correct, correct, args.join(' '));
      assert.ok('unavailable' in r.int64VsGolden && r.int64VsGolden.unavailable.includes(named), JSON.stringify(r.int64VsGolden));
      if (args.includes('--sim-sample')) {
        assert.ok(r.simulator);
        assert.equal(r.simulator.bitExact, 1, 'LIS attention beside I-LayerNorm is bit-exact on the simulator');
      }
    }
    const bad = ivit(['eval', '--model', modelFile, '--data', 'fashion-mnist', '--limit', '2', '--set', 'numerics.attention=sulq9']);
    assert.ok(isCleanUserError(bad) && /numerics\.attention must be one of preset, shiftmax, .*got "sulq9"/.test(bad.stderr), bad.stderr);
  });

  it('without torch the PyTorch columns say "unavailable (python3-torch missing)" and the golden column still runs (text report)', () => {
    // a real python that cannot import torch: Debian's, without its site packages
    const noTorch = join(dir, 'python-no-site');
    writeFileSync(noTorch, `#!/bin/sh\nexec ${PYTHON} -S "$@"\n`);
    chmodSync(noTorch, 0o755);
    const j = evalJson([], { IVIT_PYTHON: noTorch });
    for (const c of [j.columns.fp32, j.columns.fakeQuant]) assert.deepEqual(c, { unavailable: 'unavailable (python3-torch missing)' });
    assert.deepEqual(j.int64VsGolden, { unavailable: 'unavailable (python3-torch missing)' });
    assert.ok(!('unavailable' in j.columns.golden));
    const t = ivit(['eval', '--model', modelFile, '--data', 'fashion-mnist', '--limit', '5'], { IVIT_PYTHON: noTorch });
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /^ {2}all +unavailable \(python3-torch missing\) +unavailable \(python3-torch missing\) +\d+\.\d\d % \(\d\)$/m);
    assert.match(t.stdout, /PyTorch int64 = golden: unavailable \(python3-torch missing\)/);
    assert.match(t.stdout, /^ {4}9 Ankle boot +\d+ +/m);
  });

  it('ivit run --image fashion-mnist:test:0 on the model is bit-exact', () => {
    const r = ivit(['run', '--model', modelFile, '--image', 'fashion-mnist:test:0', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { bitExact: boolean; logitsMatch: boolean; mismatchedLayers: string[]; argmax: number };
    assert.equal(j.bitExact, true);
    assert.equal(j.logitsMatch, true);
    assert.deepEqual(j.mismatchedLayers, []);
    assert.equal(j.argmax, runGolden(model, loadInputImage('fashion-mnist:test:0', model).image, PYTORCH_NUMERICS).argmax);
  });

  it('bad input is one line on stderr, exit 2', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--model', bareFile, '--data', 'fashion-mnist'], /carries no preprocess metadata/],
      [['--model', modelFile, '--data', 'cifar-10'], /unknown data set "cifar-10"/],
      [['--model', modelFile, '--data', 'fashion-mnist', '--limit', '0'], /--limit must be an integer ≥ 1/],
      [['--model', modelFile, '--data', 'fashion-mnist', '--float', join(dir, 'nope.safetensors')], /--float .*nope\.safetensors: no such file/],
      [['--model', 'deit-s', '--data', 'fashion-mnist'], /needs a quantised model file/],
      [['--model', noFqvitFile, '--data', 'fashion-mnist', '--numerics', 'fqvit'], /no-fqvit\.safetensors: no FQ-ViT fields .*ivit import --checkpoint/],
      [
        ['--model', modelFile, '--data', 'fashion-mnist', '--numerics', 'ivit'],
        /--numerics must be one of pytorch, tvm, fqvit, isvit-w4a4, isvit-w3a3, got "ivit"/,
      ],
      ...(torchAvailable
        ? [[['--model', modelFile, '--data', 'fashion-mnist', '--limit', '3', '--float', modelFile], /expected F32/] as [string[], RegExp]]
        : []),
    ];
    for (const [args, msg] of cases) {
      const r = ivit(['eval', ...args]);
      // off a terminal the progress goes out as plain 'ivit eval: <phase>' lines; the error itself is one line
      const errorLines = r.stderr
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('ivit eval: '));
      assert.ok(isCleanUserError(r) && errorLines.length === 1, `${args.join(' ')}: ${r.code} ${r.stderr}`);
      assert.match(r.stderr, msg);
    }
  });
});
