/**
 * I-BERT's integer softmax and GELU (verify/golden/ops/ibert.ts): equal to the published IntSoftmax / IntGELU
 * (kssteven418/I-BERT quant_modules.py) written out in float64 on drawn rows, close to the true functions, widths
 * checked; and the whole-model forward under numerics.attention / geluUnit = ibert runs them at their sites.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import {
  IBERT_ERF_A,
  IBERT_ERF_B,
  ibertExpShift,
  ibertGeluConstants,
  ibertGeluRow,
  ibertSoftmaxConstants,
  ibertSoftmaxRow,
} from '../../verify/golden/ops/ibert.js';
import { LIS_EXP_N } from '../../verify/golden/ops/lis.js';
import { WidthOverflowError, fl32 } from '../../verify/golden/intmath.js';
import { PYTORCH_NUMERICS, numericsConfig } from '../../verify/golden/numerics-config.js';
import { deriveModelConstants } from '../../verify/golden/model-constants.js';
import { constantsResolver, vitForward } from '../../verify/golden/vit-forward.js';
import { requantTensor } from '../../verify/golden/ops/requant.js';
import { vitShape } from '../../verify/golden/zoo.js';
import { tinyVitModel } from '../support/tiny-vit.js';

const int8 = fc.integer({ min: -128, max: 127 });
const scaleArb = fc.double({ min: 0.004, max: 0.25, noNaN: true }).map(fl32);
const U = PYTORCH_NUMERICS.ibert;
const SM_W = { inputBits: 8, polyBits: U.softmaxPolyBits, expRequantBits: U.expRequantBits, sumBits: U.sumBits, outputBits: U.softmaxOutputBits };
/** The scales the approximations are designed for: x0 = ⌊−ln2/S⌋ and b = ⌊−1.769/S′⌋ lose up to S in the floor. */
const fineScaleArb = fc.double({ min: 0.004, max: 0.06, noNaN: true }).map(fl32);
const GELU_W = { inputBits: 8, erfBits: U.erfBits, polyBits: U.geluPolyBits };

/** IntSoftmax.forward in float64 with the float32 constants its tensors hold; QuantAct(16) as the unit's shift. */
function ibertSoftmaxFloat(x: number[], s: number, k: number): number[] {
  const { x0, b, c } = ibertSoftmaxConstants(s);
  const m = Math.max(...x);
  const e = x.map((v) => {
    const xi = Math.max(v - m, LIS_EXP_N * x0);
    const q = Math.floor(xi / x0);
    const r = xi - x0 * q;
    const z = (r + b) * r + c; // int_polynomial: z = x_int + b_int; z = x_int * z; z = z + c_int
    return Math.max(0, Math.floor(z * 2 ** (LIS_EXP_N - q)));
  });
  const e16 = e.map((v) => Math.floor(v / 2 ** ibertExpShift(c, 16)));
  const factor = Math.floor(2 ** 32 / e16.reduce((a, v) => a + v, 0));
  return e16.map((v) => Math.floor((v * factor) / 2 ** (32 - k)));
}

/** IntGELU.forward in float64: int_erf at S/1.4142, then x·(y + ⌊1/S_erf⌋), with the shift n the unit derives. */
function ibertGeluFloat(x: number[], s: number): { out: number[]; scale: number } {
  const { b, c, n, shift, erfScale } = ibertGeluConstants(s, U.erfBits);
  const out = x.map((v) => {
    const a = Math.min(Math.abs(v), -b);
    const y = Math.floor((Math.sign(v) * ((a + b) ** 2 + c)) / 2 ** n);
    return v * (y + shift);
  });
  return { out: out.map((v) => -v + 0), scale: (s * erfScale) / 2 }; // both signs flipped: a positive scale
}

const gelu = (v: number): number => 0.5 * v * (1 + erf(v / Math.SQRT2));
/** Abramowitz–Stegun 7.1.26 (|error| < 1.5e−7): ample for a tolerance of 10^−2. */
function erf(v: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(v));
  const p = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return Math.sign(v) * (1 - p * Math.exp(-v * v));
}

describe('I-BERT integer softmax', () => {
  it('equals IntSoftmax written out in float64 on drawn rows', () => {
    fc.assert(
      fc.property(fc.array(int8, { minLength: 1, maxLength: 200 }), scaleArb, (x, s) => {
        const p = { ...ibertSoftmaxConstants(s), ...SM_W };
        assert.deepEqual(ibertSoftmaxRow(x, p, 't').out, ibertSoftmaxFloat(x, s, SM_W.outputBits));
      }),
      { numRuns: 300 },
    );
  });

  // x0 = ⌊−ln2/S⌋ stretches ln 2 to |x0|·S, up to S too far, so the error grows with S: measured at most 1.51·S over
  // every int8 row maximum × 5 row lengths × 561 scales in [0.004, 0.06] (0.085 at S = 0.058), hence the bound 2·S
  it('approximates the softmax at S ≤ 0.06: each probability within 2·S of the float one (the polynomial and the x0 floor)', () => {
    fc.assert(
      fc.property(fc.array(int8, { minLength: 2, maxLength: 64 }), fineScaleArb, (x, s) => {
        const r = ibertSoftmaxRow(x, { ...ibertSoftmaxConstants(s), ...SM_W }, 't');
        const m = Math.max(...x);
        const ex = x.map((v) => Math.exp((v - m) * s));
        const sum = ex.reduce((a, v) => a + v, 0);
        r.out.forEach((o, j) => assert.ok(Math.abs(o * 2 ** -SM_W.outputBits - ex[j]! / sum) < 2 * s, `x=${x[j]} s=${s}`));
      }),
      { numRuns: 200 },
    );
  });

  it('the row maximum requantises into [2^14, 2^15): E16 fits QuantAct(16) with one bit of range at most unused', () => {
    for (const s of [0.004, 0.01, 0.05, 0.1, 0.25].map(fl32)) {
      const r = ibertSoftmaxRow([5], { ...ibertSoftmaxConstants(s), ...SM_W }, 't');
      assert.ok(r.exp16[0]! >= 2 ** 14 && r.exp16[0]! < 2 ** 15, `s=${s}: ${r.exp16[0]}`);
      assert.equal(r.out[0], Math.floor((r.exp16[0]! * Math.floor(2 ** 32 / r.exp16[0]!)) / 2 ** 17));
    }
  });

  it('refuses a logit past int8 and a row sum past its width', () => {
    const p = { ...ibertSoftmaxConstants(fl32(0.05)), ...SM_W };
    assert.throws(() => ibertSoftmaxRow([128], p, 't'), WidthOverflowError);
    assert.throws(() => ibertSoftmaxRow(new Array(200).fill(0), { ...p, sumBits: 20 }, 't'), WidthOverflowError);
  });
});

describe('I-BERT integer GELU', () => {
  it('equals IntGELU written out in float64 on drawn rows', () => {
    fc.assert(
      fc.property(fc.array(int8, { minLength: 1, maxLength: 64 }), scaleArb, (x, s) => {
        const k = ibertGeluConstants(s, U.erfBits);
        assert.deepEqual(ibertGeluRow(x, { ...k, ...GELU_W }, 't').out, ibertGeluFloat(x, s).out);
      }),
      { numRuns: 300 },
    );
  });

  it('its constants are I-BERT’s: b = ⌊−1.769/S′⌋, c = ⌊(1/−0.2888)/S′²⌋ with S′ = S/1.4142, |c| >> n within erfBits', () => {
    for (const s of [0.004, 0.02, 0.1, 0.25].map(fl32)) {
      const k = ibertGeluConstants(s, 8);
      const s1 = s / 1.4142;
      assert.ok(Math.abs(k.b - IBERT_ERF_B / s1) <= 1.001);
      assert.ok(Math.abs(k.c - 1 / IBERT_ERF_A / (s1 * s1)) <= 1 + 1e-6 * Math.abs(k.c));
      assert.ok(-k.c / 2 ** k.n <= 2 ** 7 && (k.n === 0 || -k.c / 2 ** k.n > 2 ** 6), `s=${s} n=${k.n}`);
    }
  });

  it('approximates GELU at S ≤ 0.06: |out·S_out − GELU(x·S)| ≤ 0.02 + 0.02·|x·S|', () => {
    // every int8 input at 113 scales across the range: a drawn sample could miss the worst corner
    for (let i = 0; i <= 112; i++) {
      const s = fl32(0.004 + 0.0005 * i);
      const x = Array.from({ length: 256 }, (_, j) => j - 128);
      const { out, scale } = ibertGeluFloat(x, s);
      x.forEach((v, j) => {
        const err = Math.abs(out[j]! * scale - gelu(v * s));
        assert.ok(err <= 0.02 + 0.02 * Math.abs(v * s), `x=${v} s=${s}: ${out[j]! * scale} vs ${gelu(v * s)}`);
      });
    }
  });

  it('refuses an input past int8', () => {
    assert.throws(() => ibertGeluRow([-129], { ...ibertGeluConstants(fl32(0.05), 8), ...GELU_W }, 't'), WidthOverflowError);
  });
});

describe('golden forward pass with the I-BERT units (numerics.attention = ibert, geluUnit = ibert)', () => {
  const { config, model, image } = tinyVitModel(11);
  const n = vitShape(config).tokens;
  const tensors = (cfg = PYTORCH_NUMERICS): Map<string, Int32Array> => {
    const t = new Map<string, Int32Array>();
    vitForward(model, image, cfg, constantsResolver(deriveModelConstants(model, cfg)), (name, data) => t.set(name, Int32Array.from(data)));
    return t;
  };
  const cfg = numericsConfig('pytorch', { attention: 'ibert', geluUnit: 'ibert' });
  const ib = tensors(cfg);
  const base = tensors();

  it('every attention row is ibertSoftmaxRow of the logits at the block’s logit scale', () => {
    for (let b = 0; b < config.depth; b++) {
      const logits = ib.get(`block${b}.attn.logits`)!;
      const probs = ib.get(`block${b}.attn.probs`)!;
      const p = { ...ibertSoftmaxConstants(model.blocks[b]!.scales.logit), ...SM_W };
      for (let r = 0; r < config.heads * n; r++) {
        assert.deepEqual(Array.from(probs.subarray(r * n, (r + 1) * n)), ibertSoftmaxRow(logits.subarray(r * n, (r + 1) * n), p, 't').out);
      }
    }
  });

  it('every GELU output is the requant of ibertGeluRow of fc1 at the block’s GELU input scale', () => {
    const k = deriveModelConstants(model, cfg);
    for (let b = 0; b < config.depth; b++) {
      const fc1 = ib.get(`block${b}.fc1`)!;
      const g = ibertGeluRow(fc1, { ...ibertGeluConstants(model.blocks[b]!.scales.gelu, U.erfBits), ...GELU_W }, 't').out;
      const h = new Int32Array(g.length);
      requantTensor(Int32Array.from(g), 1, k.blocks[b]!.requant.h, 8, cfg.requantTie, h);
      assert.deepEqual(Array.from(ib.get(`block${b}.gelu`)!), Array.from(h));
    }
  });

  it('the layers before block 0’s softmax are the I-ViT ones; the softmax and everything after it differ', () => {
    assert.deepEqual(ib.get('block0.attn.logits'), base.get('block0.attn.logits'));
    assert.notDeepEqual(ib.get('block0.attn.probs'), base.get('block0.attn.probs'));
  });
});
