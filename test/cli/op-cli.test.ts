import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ivit, isCleanUserError } from './cli-run.js';
import { generateSyntheticModel } from '../../verify/model/synthetic.js';
import { writeModel } from '../../verify/model/qmodel-file.js';

function op(name: string, params: unknown, extra: string[] = []): unknown {
  const r = ivit(['op', name, '--json', JSON.stringify(params), ...extra]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

describe('ivit op (hand-derived examples through the CLI)', () => {
  it('shiftmax', () => {
    assert.deepEqual(op('shiftmax', { x: [1, 2, 3, -128], scale: 0.1 }), { out: [10345, 10920, 11495, 0], x0: -10, sum: 933898, factor: 2299 });
  });
  it('shiftgelu', () => {
    assert.deepEqual(op('shiftgelu', { x: [4, 0, -4], scale: 0.05 }), { out: [264, 0, -192], sigma: [66, 61, 48], x0: -12, sigmaRule: 'reference' });
    // the issue-17 example: the reference's 16764 by default, 16129 with the saturating variant
    const small = { x: [127, 90, 99, 47], scale: 0.0022190602030605078 };
    assert.deepEqual((op('shiftgelu', small) as { out: number[] }).out, [16764, 10710, 12078, 4841]);
    assert.deepEqual((op('shiftgelu', small, ['--gelu-sigma', 'saturate']) as { out: number[] }).out, [16129, 10710, 12078, 4841]);
  });
  it('layernorm, with and without a bias', () => {
    assert.deepEqual(op('layernorm', { x: [100, -100, 1000, 5] }), {
      out: [-185085608, -430232108, 918073642, -301530195],
      mean: 251,
      var: 767519,
      std: 876,
      factor: 2451465,
    });
    assert.deepEqual((op('layernorm', { x: [7, 7, 7], bias: [5, -6, 0] }) as { out: number[] }).out, [5, -6, 0]);
  });
  it('NO_COLOR turns colour off even where FORCE_COLOR asks for it', () => {
    const coloured = ivit(['op', 'nosuch', '--json', '{}'], { FORCE_COLOR: '1' });
    const ESC = String.fromCharCode(0x1b); // an ANSI colour sequence starts with ESC [
    assert.ok(coloured.stderr.includes(`${ESC}[`), 'FORCE_COLOR alone colours the error');
    const plain = ivit(['op', 'nosuch', '--json', '{}'], { FORCE_COLOR: '1', NO_COLOR: '1' });
    assert.equal(plain.code, 2);
    assert.ok(!plain.stderr.includes(`${ESC}[`), plain.stderr);
  });

  it('isqrt takes and returns big integers as decimal strings where needed', () => {
    const newton = 'newton10: 10 Newton steps from 2^16, as the I-ViT reference (numerics.md §5; --sqrt floor for ⌊√v⌋)';
    assert.deepEqual(op('isqrt', { v: '281474976710656' }), { root: 16788475, rule: newton }); // 2^48 → 2^24 + 11259
    assert.deepEqual(op('isqrt', { v: 10000 }), { root: 108, rule: newton }, 'the output says the root is the 10-step loop, not ⌊√v⌋');
    assert.deepEqual(op('isqrt', { v: 10000 }, ['--sqrt', 'floor']), { root: 100, rule: 'floor: the true ⌊√v⌋' });
  });
  it('lis: codes, the mask and attention·V (the worked example of test/golden/fqvit-ops)', () => {
    const x = [10, 5, 0, -100, -128];
    assert.deepEqual(op('lis', { x, scale: 0.1, v: [100, -50, 20, 7, 127] }, ['--numerics', 'fqvit']), {
      codes: [1, 2, 2, 15, 15],
      masked: [0, 0, 0, 1, 1],
      x0: -7,
      b: 27,
      c: 279,
      sum: 592174499840,
      attnV: 1392640,
      vFracBits: 15,
    });
    assert.deepEqual((op('lis', { x, scale: 0.1, bits: 8 }) as { codes: number[] }).codes, [1, 2, 2, 17, 21]);
    const bad = ivit(['op', 'lis', '--json', JSON.stringify({ x, scale: 0.1, v: [1] })]);
    assert.ok(isCleanUserError(bad) && bad.stderr.includes('"v" has 1 entries for 5 scores'), bad.stderr);
  });
  it('sulq: codes, the constants and attention·V (the worked example of test/golden/sulq)', () => {
    const p = [27930, 4189, 567, 76, 0];
    assert.deepEqual(op('sulq', { p, eta: 0.01, bits: 3, v: [100, -50, 20, 7, 127] }), {
      codes: [8, 5, 2, 0, 0],
      eta: 328,
      inputFracBits: 15,
      levels: 8,
      thresholds: [110, 452, 1060, 2142, 4069, 7499, 13605, 24477],
      shifts: [8, 9, 10, 11, 12, 13, 13, 14, 15],
      attnV: { shiftAdd: 2921984, vSum: 204, correction: 66912, out: 2855072 },
    });
    assert.deepEqual((op('sulq', { p, eta: 0.01 }) as { codes: number[] }).codes, [15, 9, 3, 1, 0], 'b = 4 by default');
    assert.equal((op('sulq', { p: [1], eta: 0.01 }, ['--numerics', 'tvm']) as { inputFracBits: number }).inputFracBits, 7, 'TVM Shiftmax: k = 8');
    for (const [params, msg] of [
      [{ p, eta: 0.01, grid: 'paper' }, '"grid" must be one of forward, calibration'],
      [{ p, eta: 0.01, v: [1] }, '"v" has 1 entries for 5 probabilities'],
      [{ p: [70000], eta: 0.01 }, 'SULQ input at ivit op: value 70000 overflows its declared unsigned 16-bit width'],
      [{ p, eta: 2 }, 'eta must be in (0, 1]'],
    ] as const) {
      const bad = ivit(['op', 'sulq', '--json', JSON.stringify(params)]);
      assert.ok(isCleanUserError(bad) && bad.stderr.includes(msg), bad.stderr);
    }
  });
  it('ibert-softmax: the docs/numerics.md worked example, every integer derived by hand', () => {
    // S = 0.1: x0 = ⌊−ln2/0.1⌋ = −7, b = ⌊(0.96963238/0.35815147)/0.1⌋ = 27, c = ⌊(1/0.35815147)/0.01⌋ = 279;
    // d = x − 10 = 0, −5, −10, −30 → (q, r) = (0, 0), (0, −5), (1, −3), (4, −2) → z = 279, 169, 207, 229,
    // E = z·2^(30−q); c·2^30 has 39 bits, so E16 = E >> 24; Σ = 36212, F = ⌊2^32/Σ⌋ = 118606, out = ⌊E16·F / 2^17⌋
    assert.deepEqual(op('ibert-softmax', { x: [10, 5, 0, -20], scale: 0.1 }), {
      out: [16157, 9787, 5994, 828],
      k: 15,
      x0: -7,
      b: 27,
      c: 279,
      max: 10,
      exp: [279 * 2 ** 30, 169 * 2 ** 30, 207 * 2 ** 29, 229 * 2 ** 26],
      shift: 24,
      exp16: [17856, 10816, 6624, 916],
      sum: 36212,
      factor: 118606,
    });
    // I-BERT's own k = 8: out = ⌊E16·F / 2^24⌋
    assert.deepEqual((op('ibert-softmax', { x: [10, 5, 0, -20], scale: 0.1, k: 8 }) as { out: number[] }).out, [126, 76, 46, 6]);
    for (const [params, msg] of [
      [{ x: [200], scale: 0.1 }, 'ibert-softmax input at ivit op: value 200 overflows its declared signed 8-bit width'],
      [{ x: [1], scale: 0.1, k: 40 }, 'ibert-softmax: k = 40 is outside [1, 31]'],
      [{ x: [1], scale: -1 }, '"scale" must be a positive finite number'],
      [{ x: [1], scale: 0.1, n: 3 }, 'unknown parameter "n"'],
    ] as const) {
      const bad = ivit(['op', 'ibert-softmax', '--json', JSON.stringify(params)]);
      assert.ok(isCleanUserError(bad) && bad.stderr.includes(msg), bad.stderr);
    }
  });
  it('ibert-gelu: i-erf with the per-layer shift n, every integer derived by hand', () => {
    // S = 0.05: S' = fl32(0.05/1.4142), b = ⌊−1.769/S'⌋ = −51, c = ⌊(1/−0.2888)/S'²⌋ = −2771 (12 bits) → n = 12 − 7 = 5
    // for 8-bit erf; x = 40: m = min(40, 51) = 40, (40 − 51)² − 2771 = −2650, y = ⌊−2650/32⌋ = −83; σ = −(y + shift) = 170
    assert.deepEqual(op('ibert-gelu', { x: [40, 10, 0, -10, -40, -127], scale: 0.05 }), {
      out: [6800, 1220, 0, -530, -200, -127],
      sigma: [170, 122, 87, 53, 5, 1],
      erf: [-83, -35, 0, 34, 82, 86],
      b: -51,
      c: -2771,
      n: 5,
      shift: -87,
      erfScale: Math.fround(Math.fround(Math.fround(Math.fround(0.05 / Math.fround(1.4142)) ** 2) * Math.fround(-0.2888)) * 32) * -1,
      outScale: 0.0002888055460061878,
    });
    const bad = ivit(['op', 'ibert-gelu', '--json', JSON.stringify({ x: [300], scale: 0.05 })]);
    assert.ok(isCleanUserError(bad) && bad.stderr.includes('ibert-gelu input at ivit op: value 300 overflows its declared signed 8-bit width'), bad.stderr);
    const noScale = ivit(['op', 'ibert-gelu', '--json', JSON.stringify({ x: [3] })]);
    assert.ok(isCleanUserError(noScale) && noScale.stderr.includes('"scale"'), noScale.stderr);
  });
  it('pts-layernorm: α, γ, β, S_out → (M, N, B) and the int8 output', () => {
    const params = { x: [10, -20, 30, 5], alpha: [0, 1, 2, 0], gamma: [1, 0.5, -2, 1], beta: [0, 0.1, 0, -0.2], sOut: 0.02 };
    assert.deepEqual(op('pts-layernorm', params), {
      out: [-12, -22, -128, -26],
      m: [200, 200, -200, 200],
      n: [2, 3, 1, 2],
      b: [0, 40, 0, -40],
      sum: 95,
      d: 55475,
      std: 235,
      factor: 9138228,
    });
    const bad = ivit(['op', 'pts-layernorm', '--json', JSON.stringify({ ...params, alpha: [0, 1, 5, 0] })]);
    assert.ok(isCleanUserError(bad) && bad.stderr.includes('alpha[2] = 5 is outside 0…3'), bad.stderr);
  });
  it('requant', () => {
    assert.deepEqual(op('requant', { z: [100, -100, 1000], sIn: 0.01, sOut: 0.1 }), { out: [10, -10, 100], m: 1717986854, c: 34 });
    assert.deepEqual(op('requant', { z: [1, 3, 5], sIn: 0.5, sOut: 1, bits: 8 }), { out: [0, 2, 2], m: 1073741824, c: 31 });
    assert.deepEqual(op('requant', { z: [1, 3, 5], sIn: 0.5, sOut: 1, bits: 8 }, ['--numerics', 'tvm']), { out: [1, 2, 3], m: 1073741824, c: 31 });
    // a negative input scale, as a channel with γ < 0 has on the model path: the multiplier is negated, RNE(−0.7) = −1
    assert.deepEqual(op('requant', { z: [100, -100, 7], sIn: -0.01, sOut: 0.1 }), { out: [-10, 10, -1], m: -1717986854, c: 34 });
  });
});

describe('ivit: bad input gives one line on stderr and exit code 2', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['unknown op', ['op', 'softmax', '--json', '{}'], /unknown op "softmax"/],
    ['malformed JSON', ['op', 'shiftmax', '--json', '{"x": [1,'], /--json for shiftmax is not valid JSON/],
    ['not an object', ['op', 'isqrt', '--json', '[1]'], /must be a JSON object/],
    [
      'value out of its width',
      ['op', 'shiftmax', '--json', '{"x":[1000],"scale":0.1}'],
      /shiftmax input at ivit op: value 1000 overflows its declared signed 8-bit width/,
    ],
    ['unknown parameter', ['op', 'requant', '--json', '{"z":[1],"sIn":1,"sOut":1,"bitz":8}'], /unknown parameter "bitz"/],
    ['non-integer element', ['op', 'layernorm', '--json', '{"x":[1.5]}'], /x\[0\]: 1.5 is not an integer/],
    ['negative isqrt input', ['op', 'isqrt', '--json', '{"v":-4}'], /isqrt input at ivit op: value -4 overflows/],
    ['bad scale', ['op', 'shiftmax', '--json', '{"x":[1],"scale":0}'], /"scale" must be a positive finite number/],
    ['zero input scale', ['op', 'requant', '--json', '{"z":[1],"sIn":0,"sOut":1}'], /"sIn" must be a non-zero finite number/],
    ['negative output scale', ['op', 'requant', '--json', '{"z":[1],"sIn":1,"sOut":-1}'], /"sOut" must be a positive finite number/],
    ['unknown model', ['golden', '--model', 'resnet-50'], /unknown model "resnet-50"/],
    ['bad seed', ['golden', '--model', 'deit-t', '--seed', 'x'], /--seed must be an integer/],
    ['unknown numerics', ['op', 'isqrt', '--json', '{"v":1}', '--numerics', 'onnx'], /unknown numerics variant "onnx"/],
    ['missing option', ['op', 'isqrt'], /required option '--json <params>' not specified/],
  ];
  for (const [what, args, msg] of cases) {
    it(what, () => {
      const r = ivit(args);
      assert.ok(isCleanUserError(r), `exit ${r.code}, stderr: ${r.stderr}`);
      assert.match(r.stderr, msg);
    });
  }

  it('fuzzing the op parameters finds no crash: every run exits 0 with JSON or 2 with one clean line', () => {
    const value = fc.oneof(
      fc.integer({ min: -300, max: 300 }),
      fc.double(),
      fc.string({ maxLength: 6 }),
      fc.constant(null),
      fc.boolean(),
      fc.array(fc.oneof(fc.integer({ min: -40000, max: 40000 }), fc.double(), fc.string({ maxLength: 4 })), { maxLength: 6 }),
      fc.constantFrom('18446744073709551616', '-1', '99999999999999999999999', 1e300, -0, 2 ** 53),
    );
    const params = fc.dictionary(fc.constantFrom('x', 'scale', 'n', 'k', 'bias', 'v', 'z', 'sIn', 'sOut', 'bits', 'junk'), value, { maxKeys: 5 });
    const name = fc.constantFrom('shiftmax', 'shiftgelu', 'layernorm', 'isqrt', 'requant');
    fc.assert(
      fc.property(
        name,
        fc.oneof(
          params.map((p) => JSON.stringify(p)),
          fc.string({ maxLength: 12 }),
        ),
        (n, json) => {
          const r = ivit(['op', n, '--json', json]);
          if (r.code === 0) JSON.parse(r.stdout);
          else assert.ok(isCleanUserError(r), `op ${n} --json ${json}: exit ${r.code}, stderr: ${r.stderr}`);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('ivit golden and ivit model', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ivit-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs a model file and prints checksum, argmax and time as JSON', () => {
    const file = join(dir, 'tiny.safetensors');
    writeModel(
      file,
      generateSyntheticModel(
        { family: 'vit', name: 'tiny', imageSize: 32, patchSize: 8, inChannels: 3, embedDim: 32, depth: 2, heads: 2, mlpDim: 64, numClasses: 10 },
        5,
      ),
    );
    const r = ivit(['golden', '--model', file, '--seed', '5', '--json', '--layers']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.match(out.checksum, /^[0-9a-f]{16}$/);
    assert.ok(out.argmax >= 0 && out.argmax < 10);
    assert.equal(typeof out.forwardMs, 'number');
    assert.equal(out.layers.length, 2 + 12 * 2 + 3);
    const again = JSON.parse(ivit(['golden', '--model', file, '--seed', '5', '--json']).stdout);
    assert.equal(again.checksum, out.checksum);
  });

  it('--numerics tvm on a whole model stops at the first LayerNorm with the reason, exit 2; its help says so too', () => {
    const r = ivit(['golden', '--model', 'deit-t', '--numerics', 'tvm']);
    assert.ok(isCleanUserError(r), r.stderr);
    assert.match(
      r.stderr,
      /layernorm variance at block0\.ln1 .* overflows its declared unsigned 32-bit width: the preset's known limit \(tvm keeps TVM's 32-bit/,
    );
    const help = ivit(['golden', '--help']).stdout.replace(/\s+/g, ' ');
    assert.match(help, /tvm keeps TVM's 32-bit LayerNorm variance, which a 16-bit residual stream overflows on every model this project ships/);
  });

  it('--numerics fqvit runs a model with the FQ-ViT fields; a model file without them is a clean refusal naming the site (exit 2)', () => {
    const tiny = {
      family: 'vit',
      name: 'tiny',
      imageSize: 32,
      patchSize: 8,
      inChannels: 3,
      embedDim: 32,
      depth: 2,
      heads: 2,
      mlpDim: 64,
      numClasses: 10,
    } as const;
    const model = generateSyntheticModel(tiny, 5);
    const file = join(dir, 'tiny-fq.safetensors');
    writeModel(file, model);
    const r = ivit(['golden', '--model', file, '--seed', '5', '--numerics', 'fqvit', '--json', '--layers']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.numerics, 'fqvit');
    assert.equal(out.layers.length, 2 + 12 * 2 + 3);
    const ivitRun = JSON.parse(ivit(['golden', '--model', file, '--seed', '5', '--json', '--layers']).stdout);
    assert.notEqual(out.checksum, ivitRun.checksum, 'LIS and PTS change the logits');
    assert.equal(out.layers[1].hash, ivitRun.layers[1].hash, 'the embedding is the same in both presets');
    delete model.fqvit;
    for (const ln of [...model.blocks.flatMap((b) => [b.norm1, b.norm2]), model.norm]) delete ln.pts;
    const bare = join(dir, 'tiny-bare.safetensors');
    writeModel(bare, model);
    const refused = ivit(['golden', '--model', bare, '--numerics', 'fqvit']);
    assert.ok(isCleanUserError(refused), refused.stderr);
    assert.match(refused.stderr, /block0\.ln1: the model carries no FQ-ViT PTS scales/);
  });

  it('--model swin-reduced runs the synthetic Swin: checksum, layer hashes and time as JSON, the same per seed and from its model file; Swin refuses --image and other presets', () => {
    const r = ivit(['golden', '--model', 'swin-reduced', '--seed', '5', '--json', '--layers']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.match(out.checksum, /^[0-9a-f]{16}$/);
    assert.equal(typeof out.forwardMs, 'number');
    assert.equal(out.layers.length, 6 + 13 * 4 + 3);
    assert.equal(out.layers[out.layers.length - 1].name, 'logits');
    assert.equal(JSON.parse(ivit(['golden', '--model', 'swin-reduced', '--seed', '5', '--json']).stdout).checksum, out.checksum);
    assert.notEqual(JSON.parse(ivit(['golden', '--model', 'swin-reduced', '--seed', '6', '--json']).stdout).checksum, out.checksum);
    const file = join(dir, 'swin.safetensors');
    assert.equal(ivit(['model', 'gen', '--model', 'swin-reduced', '--seed', '5', '-o', file]).code, 0);
    const fromFile = JSON.parse(ivit(['golden', '--model', file, '--seed', '5', '--json']).stdout);
    assert.equal(fromFile.checksum, out.checksum);
    assert.equal(fromFile.source, file);
    for (const args of [
      ['--image', 'x.png'],
      ['--numerics', 'fqvit'],
    ]) {
      const refused = ivit(['golden', '--model', 'swin-reduced', ...args]);
      assert.ok(isCleanUserError(refused), refused.stderr);
    }
  });

  it('a corrupt model file is a clean user error', () => {
    const r = ivit(['golden', '--model', join(dir, 'missing.safetensors')]);
    assert.ok(isCleanUserError(r), r.stderr);
  });
});
