/**
 * Runs the PyTorch reference itself (verify/torch, /usr/bin/python3 with torch; scripts/test.sh installs
 * python3-torch) against the golden model:
 *  - whole forward passes of a tiny custom ViT (3 seeds): every layer hash, checksum and argmax, with the
 *    float64-GEMM and the int64-GEMM matrix products, on CUDA too when the machine has it;
 *  - the operators one by one on drawn and edge-case inputs (requant ties and 2^45-sized inputs, Shiftmax
 *    saturation, ShiftGELU with a negative row max, the LayerNorm Newton loop below convergence);
 *  - the independent check of the stored constants, which must reject a tampered model file;
 *  - the float32 drift study, which must run and report every layer.
 * Where /usr/bin/python3 has no torch these tests are not registered (and say so), unless
 * IVIT_REQUIRE_TORCH=1, which turns the absence into a failure.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FQVIT_NUMERICS, PYTORCH_NUMERICS } from '../../verify/golden/numerics-config.js';
import { runGolden } from '../../verify/golden/run-golden.js';
import { tensorHash } from '../../verify/golden/tensor-hash.js';
import { requantOne } from '../../verify/golden/ops/requant.js';
import { shiftmaxRow } from '../../verify/golden/ops/shiftmax.js';
import { shiftGeluRow } from '../../verify/golden/ops/shiftgelu.js';
import { layerNormRow } from '../../verify/golden/ops/layernorm.js';
import { newtonSqrt10 } from '../../verify/golden/ops/isqrt.js';
import { lisAttnV, lisConstants, lisRow } from '../../verify/golden/ops/lis.js';
import { ptsChannelConstants, ptsLayerNormRow } from '../../verify/golden/ops/pts-layernorm.js';
import { Rng } from '../../verify/model/prng.js';
import { readImage, readModel } from '../../verify/model/qmodel-file.js';
import { decodeSafetensors, encodeSafetensors } from '../../verify/model/safetensors.js';
import { writeTinyInputs } from '../../verify/torch/write-inputs.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const PYTHON = '/usr/bin/python3';
const torchDir = join(repoRoot, 'verify', 'torch');

function hasTorch(): boolean {
  const r = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  return r.status === 0;
}

interface PyRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

function python(script: string, args: string[], input?: string): PyRun {
  const r = spawnSync(PYTHON, [join(torchDir, script), ...args], {
    encoding: 'utf8',
    input,
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, IVIT_TORCH_THREADS: process.env.IVIT_TORCH_THREADS ?? '1' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface RefImage {
  imageHash: string;
  checksum: string;
  argmax: number;
  layers: Record<string, string>;
}

interface RefOutput {
  torch: string;
  device: string;
  matmul: string;
  constants: { agree: boolean; mismatches: string[] };
  images: RefImage[];
}

function runReference(model: string, images: string[], extra: string[] = []): RefOutput {
  const r = python('run_reference.py', ['--model', model, ...images.flatMap((i) => ['--image', i]), ...extra]);
  assert.equal(r.status, 0, `run_reference.py failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout) as RefOutput;
}

const torchAvailable = hasTorch();
if (!torchAvailable && process.env.IVIT_REQUIRE_TORCH !== '1') {
  process.stderr.write(`note: ${PYTHON} has no torch; the PyTorch reference tests are not registered (apt-get install python3-torch)\n`);
}

if (torchAvailable || process.env.IVIT_REQUIRE_TORCH === '1') {
  describe('PyTorch integer reference (verify/torch) against the golden model', function () {
    this.timeout(300_000);
    let dir = '';
    const seeds = [1, 2, 3];
    const files = (s: number): { model: string; image: string } => ({
      model: join(dir, `tiny-${s}.safetensors`),
      image: join(dir, `tiny-${s}-img.safetensors`),
    });

    before(() => {
      assert.ok(torchAvailable, `${PYTHON} cannot import torch (IVIT_REQUIRE_TORCH=1)`);
      dir = mkdtempSync(join(tmpdir(), 'ivit-torch-'));
      for (const s of seeds) writeTinyInputs(s, files(s).model, files(s).image);
    });
    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    for (const [label, extra] of [
      ['float64 GEMMs, default device', []],
      ['int64 GEMMs, CPU', ['--matmul', 'int64', '--device', 'cpu']],
    ] as const) {
      it(`tiny ViT, seeds 1-3 (${label}): every layer hash, checksum and argmax equal the golden model's`, () => {
        for (const s of seeds) {
          const f = files(s);
          const ref = runReference(f.model, [f.image], [...extra]);
          assert.ok(ref.constants.agree, `seed ${s}: ${ref.constants.mismatches.join('; ')}`);
          const model = readModel(f.model);
          const image = readImage(f.image, model.config);
          const img = ref.images[0]!;
          assert.equal(img.imageHash, tensorHash(image, 'image'));
          const g = runGolden(model, image, PYTORCH_NUMERICS, { layerHashes: true });
          assert.deepEqual(
            g.layerHashes.map((l) => l.name),
            Object.keys(img.layers),
          );
          for (const l of g.layerHashes) assert.equal(img.layers[l.name], l.hash, `seed ${s}, ${ref.device}: layer ${l.name}`);
          assert.equal(img.checksum, g.checksum);
          assert.equal(img.argmax, g.argmax);
        }
      });
    }

    it('fqvit preset (PTS LayerNorm, LIS attention), tiny ViT seeds 1-3: every layer hash, checksum and argmax equal the golden model’s', () => {
      for (const s of seeds) {
        const f = files(s);
        const img = runReference(f.model, [f.image], ['--numerics', 'fqvit', '--device', 'cpu']).images[0]!;
        const model = readModel(f.model);
        const g = runGolden(model, readImage(f.image, model.config), FQVIT_NUMERICS, { layerHashes: true });
        assert.deepEqual(
          g.layerHashes.map((l) => l.name),
          Object.keys(img.layers),
        );
        for (const l of g.layerHashes) assert.equal(img.layers[l.name], l.hash, `seed ${s}, fqvit: layer ${l.name}`);
        assert.equal(img.checksum, g.checksum);
        assert.equal(img.argmax, g.argmax);
      }
    });

    it('a batch of images gives the same results as one image at a time', () => {
      const f1 = files(1);
      const f2 = files(2);
      const batch = runReference(f1.model, [f1.image, f2.image, f1.image]);
      const single = runReference(f1.model, [f2.image]);
      assert.deepEqual(batch.images[1]!.layers, single.images[0]!.layers);
      assert.deepEqual(batch.images[0]!.layers, batch.images[2]!.layers);
      assert.notEqual(batch.images[0]!.checksum, batch.images[1]!.checksum);
    });

    it('operators match the golden operators on drawn and edge-case inputs', () => {
      const rng = new Rng(7, 'torch-ops');
      type Case = { op: string; [k: string]: unknown };
      const cases: Case[] = [];
      const expected: unknown[] = [];
      const add = (c: Case, golden: unknown): void => {
        cases.push(c);
        expected.push(JSON.parse(JSON.stringify(golden))); // as JSON, like the Python side: -0 and 0 are the same integer
      };
      // requant: drawn z up to 2^45, |m| in [2^30, 2^31] of both signs, c in [31, 62]; exact ties with m = ±2^30
      for (let i = 0; i < 40; i++) {
        const m = (rng.uniform() < 0.5 ? -1 : 1) * rng.int(2 ** 30, 2 ** 31);
        const c = rng.int(31, 62);
        const z = Array.from({ length: 50 }, () => Math.round((rng.uniform() * 2 - 1) * 2 ** rng.int(0, 45)));
        const bits = i % 2 === 0 ? 8 : 48;
        add(
          { op: 'requant', z, m, c, bits },
          z.map((v) => requantOne(v, { m, c }, bits, 'half-even')),
        );
      }
      for (const m of [2 ** 30, -(2 ** 30), 2 ** 31]) {
        const z = Array.from({ length: 64 }, (_, i) => (i - 32) * 2 + 1); // odd z: z·2^30/2^32 = z/4 ... ties at z ≡ 2 (mod 4) below
        const zt = [...z, ...Array.from({ length: 64 }, (_, i) => (i - 32) * 4 + 2)];
        add(
          { op: 'requant', z: zt, m, c: 32, bits: 16 },
          zt.map((v) => requantOne(v, { m, c: 32 }, 16, 'half-even')),
        );
      }
      // Shiftmax: drawn rows of 1..200 logits, |x0| in 1..255; saturating row sums
      const smGolden = (rows: number[][], x0: number): number[][] =>
        rows.map((r) => shiftmaxRow(r, { x0, n: 15, k: 16, flavour: 'pytorch', inputBits: 8, expBits: 32 }, 'test').out);
      for (let i = 0; i < 30; i++) {
        const x0 = -rng.int(1, 255);
        const len = rng.int(1, 200);
        const rows = Array.from({ length: 3 }, () => Array.from({ length: len }, () => rng.int(-128, 127)));
        add({ op: 'shiftmax', rows, x0, n: 15, k: 16 }, smGolden(rows, x0));
      }
      for (const x0 of [-255, -200, -129]) {
        const rows = [new Array<number>(300).fill(5), Array.from({ length: 300 }, (_, j) => (j % 3) - 1)];
        add({ op: 'shiftmax', rows, x0, n: 15, k: 16 }, smGolden(rows, x0));
      }
      // ShiftGELU: drawn rows, and whole-negative rows (E_M from a positive argument, exact and saturated)
      const geluGolden = (rows: number[][], x0: number, sigmaRule: 'reference' | 'saturate' = 'reference'): number[][] =>
        rows.map((r) => shiftGeluRow(r, { x0, n: 23, k: 8, flavour: 'pytorch', inputBits: 8, sigmaRule, expBits: 32 }, 'test').out);
      for (let i = 0; i < 30; i++) {
        const x0 = -rng.int(1, 200);
        const rows = Array.from({ length: 4 }, () => Array.from({ length: 96 }, () => rng.int(-128, 127)));
        add({ op: 'shiftgelu', rows, x0, n: 23, k: 8 }, geluGolden(rows, x0));
      }
      for (const x0 of [-1, -2, -7, -30, -64, -150, -255]) {
        const rows = [-1, -2, -5, -11, -40, -128].map((mx) => Array.from({ length: 24 }, (_, j) => Math.max(-128, mx - (j % 9) * 3)));
        add({ op: 'shiftgelu', rows, x0, n: 23, k: 8 }, geluGolden(rows, x0));
      }
      // ShiftGELU at small scales (256 ≤ |x0| ≤ 511): E_j passes 2^31 − 1, σ reaches ⌊|x0|/2⌋ under the reference
      // rule and stops at 127 when saturating (numerics.md §4)
      for (const x0 of [-256, -300, -422, -511]) {
        const rowSets = [
          [[127, 90, 99, 47], Array.from({ length: 4 }, () => rng.int(-128, 127))],
          [Array.from({ length: 40 }, () => rng.int(-128, 127))],
          [[1], [-128]],
          [[-3, -3, -9]],
        ];
        for (const rows of rowSets)
          for (const sigmaRule of ['reference', 'saturate'] as const)
            add({ op: 'shiftgelu', rows, x0, n: 23, k: 8, sigmaRule }, geluGolden(rows, x0, sigmaRule));
      }
      // I-LayerNorm: drawn 16-bit rows, constant rows (V = 0), tiny variance (the loop has not converged)
      const lnParams = { sqrt: 'newton10', mean: 'half-even', halve: 'floor', inputBits: 16, varianceBits: 48, outputBits: 33 } as const;
      for (let i = 0; i < 12; i++) {
        const c = [8, 48, 192, 384][i % 4]!;
        const amp = 2 ** rng.int(0, 15);
        const rows = Array.from({ length: 4 }, () =>
          Array.from({ length: c }, () => Math.max(-32768, Math.min(32767, Math.round((rng.uniform() * 2 - 1) * amp)))),
        );
        rows.push(new Array<number>(c).fill(rng.int(-32768, 32767)));
        rows.push(Array.from({ length: c }, (_, j) => 1000 + (j % 2)));
        const bias = Array.from({ length: c }, () => rng.int(-(2 ** 31), 2 ** 31 - 1));
        add(
          { op: 'layernorm', rows, bias },
          rows.map((r) => layerNormRow(r, bias, lnParams, 'test').out),
        );
      }
      // the Newton loop: every V below 40000, V = t² − 1, and large V up to 2^47
      const v = [
        ...Array.from({ length: 40000 }, (_, i) => i),
        ...Array.from({ length: 3000 }, (_, t) => (t + 190) ** 2 - 1),
        ...Array.from({ length: 200 }, () => Math.floor(rng.uniform() * 2 ** rng.int(17, 47))),
      ];
      add(
        { op: 'isqrt', v },
        v.map((x) => newtonSqrt10(x)),
      );

      const r = python('ops_cli.py', ['cpu'], JSON.stringify(cases));
      assert.equal(r.status, 0, r.stderr.slice(-2000));
      const got = JSON.parse(r.stdout) as unknown[];
      assert.equal(got.length, cases.length);
      for (let i = 0; i < cases.length; i++) assert.deepEqual(got[i], expected[i], `case ${i} (${cases[i]!.op})`);
    });

    it("FQ-ViT ops (fqvit preset): the int64 reference equals lis.ts / pts-layernorm.ts; FQ-ViT's modules in float64 agree", () => {
      const rng = new Rng(10, 'fqvit-ops');
      const cases: object[] = [];
      const expected: unknown[] = [];
      const lisW = { inputBits: 8, polyBits: 32, sumBits: 64 };
      // LIS: drawn logit scales and rows (N up to 197 tokens, 4- and 8-bit codes), with attention·V
      for (let i = 0; i < 24; i++) {
        const scale = Math.fround(0.02 + rng.uniform() * 0.3);
        const bits = i % 2 === 0 ? 4 : 8;
        const n = [1, 5, 17, 65, 197][i % 5]!;
        const k = lisConstants(scale);
        const rows = Array.from({ length: 3 }, () => Array.from({ length: n }, () => rng.int(-128, 127)));
        const v = Array.from({ length: n }, () => [rng.int(-128, 127), rng.int(-128, 127)]);
        const golden = rows.map((r) => lisRow(r, { ...k, bits, ...lisW }, 'test'));
        const av = { vFracBits: 15, vBits: 8, accBits: 32 };
        const attnV = golden.map((g) =>
          [0, 1].map((col) =>
            lisAttnV(
              g.codes,
              g.masked,
              v.map((e) => e[col]!),
              av,
              'test',
            ),
          ),
        );
        cases.push({ op: 'lis', rows, ...k, bits, v, vFracBits: 15 });
        expected.push({ codes: golden.map((g) => g.codes), masked: golden.map((g) => g.masked), attnV });
        cases.push({ op: 'lis-module', rows, scale, ...k, bits }); // FQ-ViT's log_i_softmax: the same codes and mask
        expected.push({ codes: golden.map((g) => g.codes), masked: golden.map((g) => g.masked) });
      }
      // PTS LayerNorm: drawn rows, α, γ of both signs, β, S_out; the float64 module within 3 LSB (docs/numerics.md)
      const pts: Array<{ golden: number[][] }> = [];
      for (let i = 0; i < 12; i++) {
        const c = [8, 48, 192, 384][i % 4]!;
        const alpha = Array.from({ length: c }, () => rng.int(0, 3));
        const gamma = Array.from({ length: c }, () => (rng.uniform() < 0.2 ? -1 : 1) * (0.2 + 1.8 * rng.uniform()));
        const beta = Array.from({ length: c }, () => rng.uniform() - 0.5);
        const sOut = 0.02 + 0.08 * rng.uniform();
        const rows = Array.from({ length: 4 }, () => Array.from({ length: c }, () => rng.int(-128, 127)));
        const mnb = ptsChannelConstants(gamma, beta, sOut);
        const golden = rows.map(
          (r) => ptsLayerNormRow(r, { alpha, ...mnb }, { sqrt: FQVIT_NUMERICS.pts.sqrt, inputBits: 8, varianceBits: 48, outputBits: 8 }, 'test').out,
        );
        cases.push({ op: 'pts-layernorm', rows, alpha, ...mnb });
        expected.push(golden);
        cases.push({ op: 'pts-module', rows, alpha, gamma, beta, s: 0.01, sOut });
        expected.push(null); // compared within the bound below
        pts.push({ golden });
      }
      const r = python('ops_cli.py', ['cpu'], JSON.stringify(cases));
      assert.equal(r.status, 0, r.stderr.slice(-2000));
      const got = JSON.parse(r.stdout) as unknown[];
      assert.equal(got.length, cases.length);
      let diff = 0;
      let count = 0;
      let p = 0;
      for (let i = 0; i < cases.length; i++) {
        if (expected[i] !== null) {
          assert.deepEqual(got[i], expected[i], `case ${i} (${(cases[i] as { op: string }).op})`);
          continue;
        }
        const golden = pts[p++]!.golden;
        (got[i] as number[][]).forEach((row, t) =>
          row.forEach((o, j) => {
            const d = Math.abs(o - golden[t]![j]!);
            assert.ok(d <= 3, `case ${i} token ${t} channel ${j}: FQ-ViT ${o}, golden ${golden[t]![j]}`);
            diff += d;
            count++;
          }),
        );
      }
      assert.ok(diff / count <= 0.1, `PTS: mean |FQ-ViT module − golden| = ${diff / count}`);
    });

    it('rejects a model file whose stored constants were tampered with, naming the constant', () => {
      const f = files(1);
      const st = decodeSafetensors(readFileSync(f.model), f.model);
      const k = JSON.parse(st.metadata.constants!) as { blocks: Array<{ softmaxX0: number }> };
      k.blocks[1]!.softmaxX0 -= 1;
      const bad = join(dir, 'tampered.safetensors');
      writeFileSync(bad, encodeSafetensors(Object.fromEntries(st.tensors), { ...st.metadata, constants: JSON.stringify(k) }));
      const r = python('run_reference.py', ['--model', bad, '--image', f.image]);
      assert.equal(r.status, 1, `expected exit 1, got ${r.status}: ${r.stderr.slice(-500)}`);
      const out = JSON.parse(r.stdout) as RefOutput;
      assert.equal(out.constants.agree, false);
      assert.deepEqual(out.constants.mismatches, [`constants.blocks[1].softmaxX0: derived ${k.blocks[1]!.softmaxX0 + 1}, stored ${k.blocks[1]!.softmaxX0}`]);
    });

    it('the float32 drift study runs and reports every layer in both modes', () => {
      const f = files(2);
      const out = join(dir, 'drift.json');
      const r = python('drift_study.py', ['--model', f.model, '--image', 'tiny2', f.image, '--json', out]);
      assert.equal(r.status, 0, r.stderr.slice(-2000));
      const doc = JSON.parse(readFileSync(out, 'utf8')) as {
        perImage: Array<{ layers: Record<string, { elements: number; free: { differ: number }; teacher: { differ: number } }> }>;
      };
      const g = runGolden(readModel(f.model), readImage(f.image, readModel(f.model).config), PYTORCH_NUMERICS, { layerHashes: true });
      const layers = doc.perImage[0]!.layers;
      assert.deepEqual(
        Object.keys(layers),
        g.layerHashes.map((l) => l.name),
      );
      for (const [name, st] of Object.entries(layers)) {
        const shape = g.layerHashes.find((l) => l.name === name)!.shape;
        assert.equal(
          st.elements,
          shape.reduce((a, b) => a * b, 1),
          name,
        );
        assert.ok(st.free.differ >= 0 && st.free.differ <= st.elements && st.teacher.differ <= st.elements, name);
      }
    });
  });
}
