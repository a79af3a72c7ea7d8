/**
 * The integer Swin forward pass (verify/golden/swin-forward.ts) on the reduced Swin (SWIN_REDUCED): determinism per
 * seed, one shifted-window block against a straightforward implementation written here (loops over windows and
 * coordinates, no token orders), the mask's zero probabilities, the patch-merge gather, the average pool's rounding,
 * and overflow naming.
 */
import { strict as assert } from 'node:assert';
import { dyadicFromScales, expX0, geluSigmaScale } from '../../verify/golden/constants.js';
import { NumericsInputError, WidthOverflowError, fl32 } from '../../verify/golden/intmath.js';
import { layerNormBiases } from '../../verify/golden/model-constants.js';
import { PYTORCH_NUMERICS, SWIN_WIDTHS, numericsConfig } from '../../verify/golden/numerics-config.js';
import { layerNormRow } from '../../verify/golden/ops/layernorm.js';
import { requantOne, residualOne } from '../../verify/golden/ops/requant.js';
import { shiftGeluParams, shiftGeluRow } from '../../verify/golden/ops/shiftgelu.js';
import { shiftmaxRow } from '../../verify/golden/ops/shiftmax.js';
import type { QLayerNorm, QLinear } from '../../verify/golden/qmodel.js';
import type { QSwinModel } from '../../verify/golden/qswin.js';
import { runSwinGolden, swinLayerCount } from '../../verify/golden/run-swin-golden.js';
import { attentionContextScale, attentionLogitScale, geluOutputScale, layerNormOutputScales } from '../../verify/golden/scale-algebra.js';
import { swinForward } from '../../verify/golden/swin-forward.js';
import { maskedPairs } from '../../verify/golden/swin-window.js';
import { type VitConfig, swinShape } from '../../verify/golden/zoo.js';
import { SWIN_REDUCED, generateSyntheticSwin } from '../../verify/model/synthetic-swin.js';
import { generateSyntheticModel, syntheticImage } from '../../verify/model/synthetic.js';
import { encodeModel } from '../../verify/model/qmodel-file.js';
import { type Tensor, decodeSafetensors, encodeSafetensors, tensor } from '../../verify/model/safetensors.js';
import { decodeSwinModel, encodeSwinModel } from '../../verify/model/swin-model-file.js';

const cfg = PYTORCH_NUMERICS;
const smallVit: VitConfig = {
  family: 'vit',
  name: 'tiny',
  imageSize: 16,
  patchSize: 8,
  inChannels: 3,
  embedDim: 16,
  depth: 1,
  heads: 2,
  mlpDim: 32,
  numClasses: 4,
};

/** Every named tensor of one pass, copied. */
function observed(model: QSwinModel, image: Int8Array): Map<string, number[]> {
  const seen = new Map<string, number[]>();
  swinForward(model, image, cfg, { observe: (name, data) => seen.set(name, Array.from(data)) });
  return seen;
}

function get(seen: Map<string, number[]>, name: string): number[] {
  const v = seen.get(name);
  if (!v) throw new Error(`no tensor ${name}`);
  return v;
}

describe('Swin golden forward pass (reduced Swin)', function () {
  const seed = 5;
  let model: QSwinModel;
  let image: Int8Array;
  let seen: Map<string, number[]>;
  before(function () {
    model = generateSyntheticSwin(SWIN_REDUCED, seed);
    image = syntheticImage(SWIN_REDUCED, seed);
    seen = observed(model, image);
  });

  it('the reduced config has a shifted stage of four windows, a merge, and an unshifted single-window stage', () => {
    const st = swinShape(SWIN_REDUCED).stages;
    assert.deepEqual(
      st.map((s) => [s.side, s.dim, s.heads, s.window, s.windows, s.shift]),
      [
        [8, 16, 1, 4, 4, 2],
        [4, 32, 2, 4, 1, 0],
      ],
    );
  });

  it('is deterministic per seed: the same seed gives the same model scales, layer hashes and logits; another seed differs', () => {
    const a = runSwinGolden(generateSyntheticSwin(SWIN_REDUCED, seed), syntheticImage(SWIN_REDUCED, seed), cfg, { layerHashes: true });
    const b = runSwinGolden(model, image, cfg, { layerHashes: true });
    assert.deepEqual(a.layerHashes, b.layerHashes);
    assert.equal(a.checksum, b.checksum);
    assert.equal(a.layerHashes.length, swinLayerCount(model));
    assert.deepEqual(
      a.layerHashes.slice(0, 4).map((l) => l.name),
      ['patch', 'patch_norm', 'stage0.block0.ln1', 'stage0.block0.qkv'],
    );
    const other = runSwinGolden(generateSyntheticSwin(SWIN_REDUCED, seed + 1), syntheticImage(SWIN_REDUCED, seed), cfg);
    assert.notEqual(other.checksum, a.checksum);
    for (const s of Object.values(model.scales)) assert.ok(Number.isFinite(s) && s > 0);
  });

  it('one shifted-window block (stage0.block1) equals a straightforward implementation: windows and coordinates looped directly', () => {
    const side = 8;
    const w = 4;
    const shift = 2;
    const c = 16;
    const heads = 1;
    const d = c / heads;
    const n = w * w;
    const tie = cfg.requantTie;
    const blk = model.stages[0]!.blocks[1]!;
    const sc = blk.scales;
    const sX = model.stages[0]!.blocks[0]!.scales.res2;
    const x = get(seen, 'stage0.block0.res2');
    const rq = (z: number, sIn: number, sOut: number, bits: number): number => requantOne(z, dyadicFromScales(sIn, sOut), bits, tie);
    const lnParams = {
      sqrt: cfg.sqrt,
      mean: cfg.lnMean,
      halve: cfg.lnHalve,
      inputBits: 16,
      varianceBits: cfg.lnVarianceBits,
      outputBits: cfg.lnOutputBits,
    };
    const norm = (ln: QLayerNorm, row: number[], sOut: number): number[] => {
      const out = layerNormRow(row, layerNormBiases(ln), lnParams, 'test').out;
      const sIn = layerNormOutputScales(ln);
      return out.map((v, ch) => rq(v, sIn[ch]!, sOut, 8));
    };
    const dense = (layer: QLinear, row: number[], sIn: number, sOut: number, bits: number): number[] =>
      Array.from({ length: layer.outFeatures }, (_, o) => {
        let acc = layer.bias[o]!;
        for (let i = 0; i < layer.inFeatures; i++) acc += row[i]! * layer.weight[o * layer.inFeatures + i]!;
        return rq(acc, fl32(sIn * layer.weightScale[o]!), sOut, bits);
      });
    const token = (t: number[], k: number, width: number): number[] => t.slice(k * width, (k + 1) * width);

    // LN1 and qkv per grid token (both per token, so the grid order serves)
    const qkv = Array.from({ length: side * side }, (_, t) => dense(blk.qkv, norm(blk.norm1, token(x, t, c), sc.a1), sc.a1, sc.qkv, 8));
    const region = (coord: number): number => (coord < side - w ? 0 : coord < side - shift ? 1 : 2);
    const sLogit = attentionLogitScale(sc.qkv, d);
    const smParams = { x0: expX0(sc.logit, cfg.flavour), n: cfg.softmax.n, k: cfg.softmax.k, flavour: cfg.flavour, inputBits: 16, expBits: cfg.expBits };
    const probsSeen = get(seen, 'stage0.block1.attn.probs');
    const attn: number[][] = Array.from({ length: side * side }, () => []);
    let maskedCount = 0;
    for (let wr = 0; wr < side / w; wr++) {
      for (let wc = 0; wc < side / w; wc++) {
        // window cell (r, col) sits at (wr·w + r, wc·w + col) of the grid rolled by −shift: grid token ((· + shift) mod side)
        const cells = Array.from({ length: n }, (_, i) => {
          const R = wr * w + Math.floor(i / w);
          const C = wc * w + (i % w);
          return { r: Math.floor(i / w), col: i % w, grid: ((R + shift) % side) * side + ((C + shift) % side), id: 3 * region(R) + region(C) };
        });
        for (let h = 0; h < heads; h++) {
          const probs = cells.map((ci) => {
            const row = cells.map((cj) => {
              if (ci.id !== cj.id) {
                maskedCount++;
                return -32768;
              }
              let dot = 0;
              for (let j = 0; j < d; j++) dot += qkv[ci.grid]![h * d + j]! * qkv[cj.grid]![c + h * d + j]!;
              const bias = blk.relativeBias.table[((ci.r - cj.r + w - 1) * (2 * w - 1) + (ci.col - cj.col + w - 1)) * heads + h]!;
              return rq(dot, sLogit, sc.logit, 8) + bias;
            });
            return shiftmaxRow(row, smParams, 'test').out;
          });
          const win = wr * (side / w) + wc;
          for (let i = 0; i < n; i++)
            for (let j = 0; j < n; j++) assert.equal(probsSeen[((win * heads + h) * n + i) * n + j], probs[i]![j], `probs window ${win} row ${i} col ${j}`);
          cells.forEach((ci, i) => {
            for (let j = 0; j < d; j++) {
              let acc = 0;
              cells.forEach((cj, k) => (acc += probs[i]![k]! * qkv[cj.grid]![2 * c + h * d + j]!));
              attn[ci.grid]![h * d + j] = rq(acc, attentionContextScale(sc.qkv, cfg), sc.av, 8);
            }
          });
        }
      }
    }
    assert.ok(maskedCount > 0, 'the shifted block masks some pairs');
    const res1 = attn.flatMap((row, t) => {
      const proj = dense(blk.proj, row, sc.av, sc.proj, 16);
      return proj.map((p, ch) => residualOne(p, dyadicFromScales(sc.proj, sc.res1), x[t * c + ch]!, dyadicFromScales(sX, sc.res1), 16, tie));
    });
    assert.deepEqual(get(seen, 'stage0.block1.res1'), res1);

    const geluParams = shiftGeluParams(cfg, expX0(geluSigmaScale(sc.gelu), cfg.flavour));
    const res2 = Array.from({ length: side * side }, (_, t) => {
      const g = dense(blk.fc1, norm(blk.norm2, token(res1, t, c), sc.a2), sc.a2, sc.gelu, 8);
      const hq = shiftGeluRow(g, geluParams, 'test').out.map((v) => rq(v, geluOutputScale(sc.gelu, cfg.gelu.k), sc.h, 8));
      const f2 = dense(blk.fc2, hq, sc.h, sc.fc2, 16);
      return f2.map((v, ch) => residualOne(v, dyadicFromScales(sc.fc2, sc.res2), res1[t * c + ch]!, dyadicFromScales(sc.res1, sc.res2), 16, tie));
    }).flat();
    assert.deepEqual(get(seen, 'stage0.block1.res2'), res2);
  });

  it('masked pairs hold the biased-logit minimum and get probability 0; the unshifted block masks nothing', () => {
    const masks = maskedPairs(8, 4, 2);
    const biased = get(seen, 'stage0.block1.attn.biased');
    const probs = get(seen, 'stage0.block1.attn.probs');
    let masked = 0;
    masks.forEach((m, win) =>
      m.forEach((bit, p) => {
        const at = win * 256 + p;
        if (bit) {
          masked++;
          assert.equal(biased[at], -(2 ** (SWIN_WIDTHS.biasedLogitBits - 1)));
          assert.equal(probs[at], 0, `window ${win} pair ${p}`);
        } else assert.ok(biased[at]! > -(2 ** 9));
      }),
    );
    // windows (0,0) one region; (0,1), (1,0) two of 8 tokens (2·8·8 pairs each); (1,1) four of 4 (16² − 4·4²)
    assert.equal(masked, 0 + 128 + 128 + 192);
    assert.ok(get(seen, 'stage0.block0.attn.biased').every((v) => v > -(2 ** 9)));
  });

  it('the masked probability is 0 at every logit scale the forward accepts, against the lowest possible row maximum', () => {
    // the forward accepts x0 while log2e(−2^15 + 256) reaches 15·x0, i.e. |x0| ≤ 3115
    for (const x0 of [-1, -2, -7, -60, -500, -3000, -3115]) {
      const row = [-256, -32768, -32768, -255, -32768];
      const out = shiftmaxRow(row, { x0, n: 15, k: 16, flavour: 'pytorch', inputBits: 16, expBits: 32 }, 'test').out;
      assert.deepEqual([out[1], out[2], out[4]], [0, 0, 0], `x0 = ${x0}`);
      assert.ok(out[0]! > 0);
    }
  });

  it('patch merging gathers the 2×2 neighbourhoods in the order (2i, 2j), (2i+1, 2j), (2i, 2j+1), (2i+1, 2j+1)', () => {
    const x = get(seen, 'stage0.block1.res2');
    const g = get(seen, 'stage0.merge.gather');
    const c = 16;
    const side = 8;
    const expected: number[] = [];
    for (let i = 0; i < side / 2; i++)
      for (let j = 0; j < side / 2; j++)
        for (const [dr, dc] of [
          [0, 0],
          [1, 0],
          [0, 1],
          [1, 1],
        ] as const)
          expected.push(...x.slice(((2 * i + dr) * side + 2 * j + dc) * c, ((2 * i + dr) * side + 2 * j + dc + 1) * c));
    assert.deepEqual(g, expected);
  });

  it('the average pool is ⌊mean + ½⌋ of the final norm per channel (round half up)', () => {
    const normed = get(seen, 'norm');
    const pool = get(seen, 'pool');
    const c = 32;
    const tokens = normed.length / c;
    for (let j = 0; j < c; j++) {
      let sum = 0;
      for (let t = 0; t < tokens; t++) sum += normed[t * c + j]!;
      assert.equal(pool[j], Math.floor(sum / tokens + 0.5));
    }
  });

  it('overflows name their layer; other presets and a wrong structure are refused in one line', () => {
    const broken = generateSyntheticSwin(SWIN_REDUCED, seed);
    broken.stages[1]!.blocks[0]!.qkv.bias[0] = 2 ** 31 - 1;
    assert.throws(
      () => swinForward(broken, image, cfg),
      (e: unknown) => e instanceof WidthOverflowError && /^matmul accumulator at stage1\.block0\.qkv \[row \d+, col 0\]/.test(e.message),
    );
    assert.throws(
      () => swinForward(model, image, cfg, { widths: { ...SWIN_WIDTHS, poolSumBits: 8 } }),
      (e: unknown) => e instanceof WidthOverflowError && /^average-pool sum at pool \[channel \d+\]/.test(e.message),
    );
    const tiny = generateSyntheticSwin(SWIN_REDUCED, seed);
    tiny.stages[0]!.blocks[1]!.scales.logit = fl32(1e-4); // x0 = −10000: the mask value could not reach the clamp
    assert.throws(() => swinForward(tiny, image, cfg), /^NumericsInputError: stage0\.block1\.attn\.mask: the logit scale gives x0 = -10000/);
    assert.throws(() => swinForward(model, image, numericsConfig('fqvit')), NumericsInputError);
    const short = { ...model, stages: model.stages.slice(0, 1) };
    assert.throws(() => swinForward(short, image, cfg), /1 stages, the config has 2/);
  });
});

describe('Swin model file', () => {
  it('round-trips a synthetic Swin: every tensor and scale, and the same layer hashes', () => {
    const model = generateSyntheticSwin(SWIN_REDUCED, 7);
    const back = decodeSwinModel(encodeSwinModel(model), 'memory');
    assert.deepEqual(back, model);
    const image = syntheticImage(SWIN_REDUCED, 7);
    assert.deepEqual(runSwinGolden(back, image, cfg, { layerHashes: true }).layerHashes, runSwinGolden(model, image, cfg, { layerHashes: true }).layerHashes);
  });

  it('refuses a ViT file, a missing tensor, a wrong shape and a bad scale, naming them', () => {
    const model = generateSyntheticSwin(SWIN_REDUCED, 7);
    const st = decodeSafetensors(encodeSwinModel(model), 'memory');
    const reencode = (edit: (t: Map<string, Tensor>, md: Record<string, string>) => void): Buffer => {
      const tensors = new Map(st.tensors);
      const md = { ...st.metadata };
      edit(tensors, md);
      return encodeSafetensors(Object.fromEntries([...tensors].map(([k, v]) => [k, tensor(v.data, v.shape)])), md);
    };
    assert.throws(
      () => decodeSwinModel(encodeModel(generateSyntheticModel(smallVit, 1)), 'vit.safetensors'),
      /vit\.safetensors: not an I-ViT quantised Swin model/,
    );
    const table = 'layers.0.blocks.1.attn.relative_position_bias_table';
    assert.throws(
      () =>
        decodeSwinModel(
          reencode((t) => t.delete(table)),
          'f',
        ),
      new RegExp(`tensor "${table.replace(/\./g, '\\.')}" is missing`),
    );
    assert.throws(
      () =>
        decodeSwinModel(
          reencode((t) => t.set(table, tensor(new Int8Array(49), [7, 7]))),
          'f',
        ),
      /has shape \[7, 7\], expected \[49, 1\]/,
    );
    const scales = JSON.parse(st.metadata.scales!);
    scales.stages[0].merge.normOut = -1;
    assert.throws(
      () =>
        decodeSwinModel(
          reencode((_, md) => (md.scales = JSON.stringify(scales))),
          'f',
        ),
      /scale stages\[0\]\.merge\.normOut = -1 is not a positive float32/,
    );
  });
});
