/**
 * I&S-ViT's low-bit presets (docs/numerics.md "I&S-ViT low-bit presets") on the tiny model: the fast SULQ attention·V
 * equals the reference op sulqAttnV; a tiny float model (the synthetic tiny model dequantised) imported for
 * isvit-w4a4 / w3a3 has low-bit weights and inputs at every declared site, SULQ attention equal to the ops applied by
 * hand, SOS folded so the float function is unchanged; the model file keeps the fields and refuses bad ones; the
 * presets refuse a model without them and the accelerator refuses the presets.
 */
import { strict as assert } from 'node:assert';
import { ISVIT_W3A3_NUMERICS, ISVIT_W4A4_NUMERICS, type NumericsConfig, PYTORCH_NUMERICS } from '../../verify/golden/numerics-config.js';
import { deriveModelConstants } from '../../verify/golden/model-constants.js';
import { constantsResolver, vitForward } from '../../verify/golden/vit-forward.js';
import { NumericsInputError, WidthOverflowError } from '../../verify/golden/intmath.js';
import { requantTensor } from '../../verify/golden/ops/requant.js';
import { sulqAttnV, sulqConstants, sulqParams, sulqRow } from '../../verify/golden/ops/sulq.js';
import { sulqHeadAttnV } from '../../verify/golden/isvit.js';
import type { QuantModel } from '../../verify/golden/qmodel.js';
import { vitShape } from '../../verify/golden/zoo.js';
import { Rng } from '../../verify/model/prng.js';
import { decodeModel, encodeModel } from '../../verify/model/qmodel-file.js';
import { decodeSafetensors, encodeSafetensors } from '../../verify/model/safetensors.js';
import { quantiseInput } from '../../verify/data/preprocess.js';
import { SULQ_ETAS, foldSos, mseSymmetricRange, sulqSearch } from '../../verify/import/isvit-calibration.js';
import { requireAcceleratorNumerics } from '../../programs/graph/accelerator-numerics.js';
import { tinyVitModel } from '../support/tiny-vit.js';
import { PRE, floatOf, tinyIsvitModel, tinyPixels } from '../support/tiny-isvit.js';

const { config, model: synthetic } = tinyVitModel(11);
const n = vitShape(config).tokens;
const c = config.embedDim;
const fm = floatOf(synthetic);
const imported = new Map<string, QuantModel>();
function isvitModel(cfg: NumericsConfig): QuantModel {
  const key = `${cfg.lowBit.weightBits}`;
  if (!imported.has(key)) imported.set(key, tinyIsvitModel(cfg));
  return imported.get(key)!;
}
const pixels = tinyPixels;

function tensorsOf(m: QuantModel, img: Int8Array, cfg: NumericsConfig): Map<string, Int32Array> {
  const t = new Map<string, Int32Array>();
  vitForward(m, img, cfg, constantsResolver(deriveModelConstants(m, cfg)), (name, data) => t.set(name, Int32Array.from(data)));
  return t;
}

describe('I&S-ViT low-bit presets (isvit-w4a4, isvit-w3a3)', () => {
  it('sulqHeadAttnV equals sulqAttnV on every (row, column) of drawn heads, and checks its widths', () => {
    const rng = new Rng(3, 'sulq-head');
    for (const bits of [3, 4]) {
      for (let trial = 0; trial < 6; trial++) {
        const eta = SULQ_ETAS[Math.floor(rng.uniform() * SULQ_ETAS.length)]!;
        const k = sulqConstants(eta, bits, 15);
        const tokens = 5 + Math.floor(rng.uniform() * 30);
        const d = 1 + Math.floor(rng.uniform() * 8);
        const codes = Uint8Array.from({ length: tokens * tokens }, () => Math.floor(rng.uniform() * (k.levels + 1)));
        const v = Int8Array.from({ length: tokens * d }, () => Math.floor(rng.uniform() * 256) - 128);
        const w = { vBits: 8, vSumBits: 16, accBits: 32 };
        const out = sulqHeadAttnV(codes, v, tokens, d, k, w, 'test');
        for (let t = 0; t < tokens; t++) {
          for (let j = 0; j < d; j++) {
            const col = Array.from({ length: tokens }, (_, i) => v[i * d + j]!);
            assert.equal(out[t * d + j], sulqAttnV(codes.subarray(t * tokens, (t + 1) * tokens), col, k, w, 'ref').out);
          }
        }
      }
    }
    const k = sulqConstants(1, 4, 15);
    const all127 = new Int8Array(40).fill(127);
    const top = new Uint8Array(40 * 40).fill(k.levels);
    assert.throws(() => sulqHeadAttnV(top, all127, 40, 1, k, { vBits: 8, vSumBits: 16, accBits: 20 }, 's'), WidthOverflowError);
    assert.throws(() => sulqHeadAttnV(top, all127, 40, 1, k, { vBits: 8, vSumBits: 12, accBits: 32 }, 's'), WidthOverflowError);
  });

  it('sulqSearch: η from the published list with the least squared error, the range the batch extremes', () => {
    const rng = new Rng(5, 'sulq-search');
    const ps = [0, 1].map(() => Int32Array.from({ length: 400 }, () => Math.min(32768, Math.floor(32768 * rng.uniform() ** 6) + 3)));
    const cal = sulqSearch(ps, 4, 15);
    const all = [...ps[0]!, ...ps[1]!];
    assert.equal(cal.pMin, Math.min(...all));
    assert.equal(cal.pMax, Math.max(...all));
    assert.ok(SULQ_ETAS.some((e) => Math.fround(e) === cal.eta));
    const err = (eta: number): number => {
      const k = sulqConstants(eta, 4, 15, 'calibration', cal);
      const codes = sulqRow(all, sulqParams(k), 'e');
      return all.reduce((a, p, i) => a + (p - (2 ** k.shifts[codes[i]!]! - k.eta)) ** 2, 0);
    };
    for (const e of SULQ_ETAS) assert.ok(err(cal.eta) <= err(Math.fround(e)), `η = ${cal.eta} is not the least-error choice (${e} is better)`);
  });

  it('mseSymmetricRange picks a clipped percentile when the maximum is an outlier, and the maximum for uniform data', () => {
    const rng = new Rng(9, 'mse-range');
    const v = Float64Array.from({ length: 20000 }, () => rng.gauss());
    v[0] = 60;
    assert.ok(mseSymmetricRange(v, 4) < 10);
    const u = Float64Array.from({ length: 1000 }, (_, i) => (i % 2 ? 1 : -1) * (i / 1000));
    assert.equal(mseSymmetricRange(u, 8), Math.max(...Array.from(u, Math.abs)));
  });

  it('SOS folding leaves the float function LayerNorm → linear unchanged', () => {
    const rng = new Rng(2, 'sos');
    const ln = { gamma: Float32Array.from({ length: c }, () => 0.5 + rng.uniform()), beta: Float32Array.from({ length: c }, () => rng.gauss()), eps: 1e-6 };
    const blk = fm.blocks[0]!;
    const r = Float32Array.from({ length: c }, () => 0.25 + 2 * rng.uniform());
    const f = foldSos(ln, blk.qkv, r);
    const y = Float64Array.from({ length: c }, () => rng.gauss()); // a normalised row
    for (const o of [0, 7, 100]) {
      let a = 0;
      let b = 0;
      for (let i = 0; i < c; i++) {
        a += blk.qkv.weight[o * c + i]! * (y[i]! * ln.gamma[i]! + ln.beta[i]!);
        b += f.next.weight[o * c + i]! * (y[i]! * f.ln.gamma[i]! + f.ln.beta[i]!);
      }
      assert.ok(Math.abs(a - b) < 1e-4 * (1 + Math.abs(a)), `output ${o}: ${a} vs ${b}`);
    }
  });

  for (const cfg of [ISVIT_W4A4_NUMERICS, ISVIT_W3A3_NUMERICS]) {
    const bits = cfg.lowBit.weightBits;
    describe(`isvit-w${bits}a${bits}`, () => {
      const m = isvitModel(cfg);
      const img = quantiseInput(pixels(1, 77)[0]!, 3, 32, PRE, m.scales.input);
      const t = tensorsOf(m, img, cfg);
      const lo = -(2 ** (bits - 1));
      const hi = 2 ** (bits - 1) - 1;
      const within = (name: string, a: number, b: number): void => {
        const x = t.get(name)!;
        assert.ok(
          x.every((v) => v >= a && v <= b),
          `${name} leaves [${a}, ${b}]`,
        );
        assert.ok(
          x.some((v) => v !== 0),
          `${name} is all zero`,
        );
      };

      it(`the block weights and the inputs a1, av, a2, h are ${bits}-bit; patch, head and q/k/v stay 8-bit`, () => {
        for (const b of m.blocks) for (const l of [b.qkv, b.proj, b.fc1, b.fc2]) assert.ok(l.weight.every((w) => w >= lo && w <= hi));
        assert.ok(
          m.patch.weight.some((w) => w < lo || w > hi),
          'the patch embedding keeps 8-bit weights',
        );
        for (const b of [0, 1]) for (const s of ['ln1', 'attn.av', 'ln2', 'gelu']) within(`block${b}.${s}`, lo, hi);
        within('norm', -128, 127);
        assert.ok(
          t.get('block0.qkv')!.some((v) => v < lo || v > hi),
          'q, k, v are 8-bit',
        );
        assert.equal(m.isvit!.weightBits, bits);
        assert.equal(m.isvit!.sulq.length, 2);
        for (const k of ['blocks.0.norm1', 'blocks.0.norm2', 'blocks.1.norm1', 'blocks.1.norm2']) assert.equal(m.isvit!.sos[k]!.length, c);
      });

      it('attention is Shiftmax, sulqRow per row and sulqAttnV per (row, V column), requantised from S_V·2^−15', () => {
        const heads = config.heads;
        const d = c / heads;
        const k = deriveModelConstants(m, cfg);
        for (const b of [0, 1]) {
          const cal = m.isvit!.sulq[b]!;
          const sq = sulqConstants(cal.eta, cfg.sulq.bits, 15, 'forward', cal);
          assert.deepEqual(k.blocks[b]!.sulq, sq);
          const qkv = t.get(`block${b}.qkv`)!;
          const codes = t.get(`block${b}.attn.probs`)!;
          const acc = new Float64Array(n * c);
          for (let h = 0; h < heads; h++) {
            for (let row = 0; row < n; row++) {
              const rc = codes.subarray((h * n + row) * n, (h * n + row + 1) * n);
              for (let j = 0; j < d; j++) {
                const col = Array.from({ length: n }, (_, i) => qkv[i * 3 * c + 2 * c + h * d + j]!);
                acc[row * c + h * d + j] = sulqAttnV(rc, col, sq, { vBits: 8, vSumBits: 16, accBits: 32 }, 'hand').out;
              }
            }
          }
          const av = new Int32Array(n * c);
          requantTensor(acc, 1, k.blocks[b]!.requant.av, bits, 'half-even', av);
          assert.deepEqual(av, t.get(`block${b}.attn.av`));
          assert.ok(codes.every((x) => x >= 0 && x <= sq.levels));
        }
      });

      it('the model file keeps the isvit fields (same logits) and refuses edited ones', () => {
        const bytes = encodeModel(m);
        const back = decodeModel(bytes, 'isvit.safetensors');
        assert.deepEqual(back.isvit, m.isvit);
        const logits = (x: QuantModel): number[] => Array.from(vitForward(x, img, cfg, constantsResolver(deriveModelConstants(x, cfg))).logits);
        assert.deepEqual(logits(back), logits(m));
        const st = decodeSafetensors(bytes, 'isvit');
        const edit = (f: (o: Record<string, unknown>) => void): Buffer => {
          const o = JSON.parse(st.metadata!.isvit!) as Record<string, unknown>;
          f(o);
          return encodeSafetensors(Object.fromEntries(st.tensors), { ...st.metadata, isvit: JSON.stringify(o) });
        };
        assert.throws(
          () =>
            decodeModel(
              edit((o) => (o.sulq = [])),
              'e',
            ),
          /isvit"\.sulq must hold one entry per block/,
        );
        assert.throws(
          () =>
            decodeModel(
              edit((o) => ((o.sulq as Array<Record<string, number>>)[0]!.eta = 0)),
              'e',
            ),
          /sulq\[0\]\.eta/,
        );
        assert.throws(
          () =>
            decodeModel(
              edit((o) => (o.weightBits = 9)),
              'e',
            ),
          /weightBits must be an integer 2…8/,
        );
        assert.throws(
          () =>
            decodeModel(
              edit((o) => (o.weightBits = 2)),
              'e',
            ),
          /I&S-ViT fields give no valid constants.*low-bit weight/,
        );
      });
    });
  }

  it('the presets refuse a model without the fields, or made for other widths; the accelerator refuses the presets', () => {
    assert.throws(
      () => deriveModelConstants(synthetic, ISVIT_W4A4_NUMERICS),
      (e: Error) => e instanceof NumericsInputError && /no I&S-ViT fields/.test(e.message),
    );
    assert.throws(() => deriveModelConstants(isvitModel(ISVIT_W4A4_NUMERICS), ISVIT_W3A3_NUMERICS), /isvit\.weightBits is 4, the preset's is 3/);
    assert.throws(() => requireAcceleratorNumerics(ISVIT_W4A4_NUMERICS), /golden model only/);
    assert.equal(requireAcceleratorNumerics(PYTORCH_NUMERICS), PYTORCH_NUMERICS);
    // an isvit model still runs the 8-bit I-ViT chain (its file's stored constants are those)
    assert.doesNotThrow(() => deriveModelConstants(isvitModel(ISVIT_W4A4_NUMERICS), PYTORCH_NUMERICS));
  });
});
