/**
 * The fqvit whole-model forward pass (docs/numerics.md "FQ-ViT", the forward-pass plan): every FQ-ViT layer equals
 * the golden ops applied by hand to the layer before it, with constants derived here from the model's scales and
 * PTS fields; the PTS fields are ptfCalibrate on the I-ViT pass's LayerNorm inputs; widths are checked; a model
 * without the fields is refused naming the site; the model file keeps the fields and refuses bad ones.
 */
import { strict as assert } from 'node:assert';
import { syntheticImage } from '../../verify/model/synthetic.js';
import { decodeModel, encodeModel } from '../../verify/model/qmodel-file.js';
import { FQVIT_NUMERICS, PYTORCH_NUMERICS, numericsConfig } from '../../verify/golden/numerics-config.js';
import { deriveModelConstants } from '../../verify/golden/model-constants.js';
import { constantsResolver, vitForward } from '../../verify/golden/vit-forward.js';
import { dyadicFromScales } from '../../verify/golden/constants.js';
import { NumericsInputError, WidthOverflowError, fl32, pow2 } from '../../verify/golden/intmath.js';
import { requantTensor } from '../../verify/golden/ops/requant.js';
import { lisAttnV, lisConstants, lisRow } from '../../verify/golden/ops/lis.js';
import { ptsChannelConstants, ptsLayerNormRow } from '../../verify/golden/ops/pts-layernorm.js';
import { ptfCalibrate } from '../../verify/import/ptf.js';
import { SafetensorsError, decodeSafetensors, encodeSafetensors } from '../../verify/model/safetensors.js';
import type { QLayerNorm, QuantModel } from '../../verify/golden/qmodel.js';
import { vitShape } from '../../verify/golden/zoo.js';
import { tinyVitModel } from '../support/tiny-vit.js';

const { config, model, image } = tinyVitModel();
const n = vitShape(config).tokens;
const c = config.embedDim;

function tensorsOf(m: QuantModel, img: Int8Array, cfg = FQVIT_NUMERICS): Map<string, Int32Array> {
  const t = new Map<string, Int32Array>();
  vitForward(m, img, cfg, constantsResolver(deriveModelConstants(m, cfg)), (name, data) => t.set(name, Int32Array.from(data)));
  return t;
}

/** PTS LayerNorm of `rows` rows of the residual x (scale sRes) to int8 at sOut, from the ops alone. */
function ptsByHand(x: Int32Array, rows: number, sRes: number, ln: QLayerNorm, sOut: number): number[] {
  const pts = ln.pts!;
  const table = Array.from(pts.alpha, (a) => dyadicFromScales(sRes, fl32(pts.scale * pow2(a))));
  const q = new Int32Array(rows * c);
  requantTensor(x.subarray(0, rows * c), c, table, 8, 'half-even', q);
  const ch = { alpha: pts.alpha, ...ptsChannelConstants(ln.gamma, ln.beta, sOut) };
  const p = { sqrt: 'floor', inputBits: 8, varianceBits: 48, outputBits: 8 } as const;
  return Array.from({ length: rows }, (_, t) => ptsLayerNormRow(q.subarray(t * c, (t + 1) * c), ch, p, 'hand').out).flat();
}

describe('golden forward pass, fqvit preset (LIS attention, PTS LayerNorm)', () => {
  const t = tensorsOf(model, image);

  it('each PTS LayerNorm is the residual requantised per channel to s·2^α_c, then ptsLayerNormRow at the next scale', () => {
    const sc = model.blocks.map((b) => b.scales);
    assert.deepEqual(Array.from(t.get('block0.ln1')!), ptsByHand(t.get('embed')!, n, model.scales.embed, model.blocks[0]!.norm1, sc[0]!.a1));
    assert.deepEqual(Array.from(t.get('block1.ln1')!), ptsByHand(t.get('block0.res2')!, n, sc[0]!.res2, model.blocks[1]!.norm1, sc[1]!.a1));
    assert.deepEqual(Array.from(t.get('block1.ln2')!), ptsByHand(t.get('block1.res1')!, n, sc[1]!.res1, model.blocks[1]!.norm2, sc[1]!.a2));
    assert.deepEqual(Array.from(t.get('norm')!), ptsByHand(t.get('block1.res2')!, 1, sc[1]!.res2, model.norm, model.scales.headIn));
  });

  it('attention is lisRow per logit row (code, −1 where masked) and lisAttnV per (row, V column), requantised from S_qkv·2^−15', () => {
    const heads = config.heads;
    const d = c / heads;
    for (const b of [0, 1]) {
      const s = model.blocks[b]!.scales;
      const logits = t.get(`block${b}.attn.logits`)!;
      const qkv = t.get(`block${b}.qkv`)!;
      const k = { ...lisConstants(s.logit), bits: 4, inputBits: 8, polyBits: 32, sumBits: 64 };
      const probs: number[] = [];
      const acc = new Int32Array(n * c);
      for (let h = 0; h < heads; h++) {
        for (let r = 0; r < n; r++) {
          const row = lisRow(logits.subarray((h * n + r) * n, (h * n + r + 1) * n), k, 'hand');
          probs.push(...row.codes.map((code, j) => (row.masked[j] ? -1 : code)));
          for (let j = 0; j < d; j++) {
            const v = Array.from({ length: n }, (_, tok) => qkv[tok * 3 * c + 2 * c + h * d + j]!);
            acc[r * c + h * d + j] = lisAttnV(row.codes, row.masked, v, { vFracBits: 15, vBits: 8, accBits: 32 }, 'hand');
          }
        }
      }
      assert.deepEqual(Array.from(t.get(`block${b}.attn.probs`)!), probs);
      assert.ok(new Set(probs).size >= 4, `codes ${[...new Set(probs)]} should spread`);
      const av = new Int32Array(n * c);
      requantTensor(acc, 1, dyadicFromScales(fl32(s.qkv * pow2(-15)), s.av), 8, 'half-even', av);
      assert.deepEqual(Array.from(t.get(`block${b}.attn.av`)!), Array.from(av));
    }
  });

  it('the rest is the I-ViT chain: the embedding is the same, and logits differ from I-ViT’s', () => {
    const iv = tensorsOf(model, image, PYTORCH_NUMERICS);
    assert.deepEqual(t.get('embed'), iv.get('embed'));
    assert.notDeepEqual(t.get('logits'), iv.get('logits'));
  });

  it('the PTS fields are ptfCalibrate on the real LayerNorm inputs of the I-ViT calibration pass; the LIS width is 4', () => {
    const cal = tensorsOf(model, syntheticImage(config, 7, 'calibration'), PYTORCH_NUMERICS);
    const real = (name: string, s: number, rows = n): number[] => Array.from(cal.get(name)!.subarray(0, rows * c), (v) => v * s);
    const b = model.blocks;
    const fits: Array<[QLayerNorm, number[]]> = [
      [b[0]!.norm1, real('embed', model.scales.embed)],
      [b[0]!.norm2, real('block0.res1', b[0]!.scales.res1)],
      [b[1]!.norm1, real('block0.res2', b[0]!.scales.res2)],
      [b[1]!.norm2, real('block1.res1', b[1]!.scales.res1)],
      [model.norm, real('block1.res2', b[1]!.scales.res2, 1)],
    ];
    for (const [ln, x] of fits) {
      const fit = ptfCalibrate(x, c);
      assert.equal(ln.pts!.scale, fit.scale);
      assert.deepEqual(Array.from(ln.pts!.alpha), Array.from(fit.alpha));
    }
    assert.ok(new Set(fits.flatMap(([ln]) => Array.from(ln.pts!.alpha))).size > 1, 'channels get different α');
    assert.deepEqual(model.fqvit, { lisBits: 4 });
  });

  it('declared widths are checked: a narrow attention·V accumulator or PTS variance overflows, naming the site', () => {
    const narrow = (o: Partial<typeof FQVIT_NUMERICS>) => () => tensorsOf(model, image, numericsConfig('fqvit', o));
    assert.throws(
      narrow({ lis: { ...FQVIT_NUMERICS.lis, accBits: 16 } }),
      (e: unknown) => e instanceof WidthOverflowError && /LIS attention·V accumulator at block0\.attn\.pv/.test(e.message),
    );
    assert.throws(
      narrow({ pts: { ...FQVIT_NUMERICS.pts, varianceBits: 16 } }),
      (e: unknown) => e instanceof WidthOverflowError && /PTS LayerNorm variance at block0\.ln1/.test(e.message),
    );
  });

  it('a model without the FQ-ViT fields is refused with one line naming the first LayerNorm', () => {
    const bare: QuantModel = { ...model, blocks: model.blocks.map((b) => ({ ...b, norm1: { gamma: b.norm1.gamma, beta: b.norm1.beta } })) };
    assert.throws(
      () => deriveModelConstants(bare, FQVIT_NUMERICS),
      (e: unknown) => e instanceof NumericsInputError && /^block0\.ln1: the model carries no FQ-ViT PTS scales/.test(e.message),
    );
  });

  it('the model file keeps the FQ-ViT fields and refuses bad ones', () => {
    const buf = encodeModel(model);
    const back = decodeModel(buf, 'm');
    assert.deepEqual(back.fqvit, model.fqvit);
    assert.deepEqual(Array.from(back.blocks[1]!.norm2.pts!.alpha), Array.from(model.blocks[1]!.norm2.pts!.alpha));
    assert.deepEqual(tensorsOf(back, image).get('logits'), t.get('logits'));
    const st = decodeSafetensors(buf, 'm');
    const withFq = (edit: (f: { lisBits: number; layerNorms: Record<string, { scale: number; alpha: number[] }> }) => void): Buffer => {
      const f = JSON.parse(st.metadata.fqvit!);
      edit(f);
      return encodeSafetensors(Object.fromEntries(st.tensors), { ...st.metadata, fqvit: JSON.stringify(f) });
    };
    const refused = (b: Buffer, re: RegExp): void =>
      assert.throws(
        () => decodeModel(b, 'm'),
        (e: unknown) => e instanceof SafetensorsError && re.test(e.message),
      );
    refused(
      withFq((f) => (f.layerNorms['blocks.0.norm1']!.alpha[3] = 4)),
      /"fqvit"\.layerNorms\["blocks\.0\.norm1"\]\.alpha must be 48 integers 0…3/,
    );
    refused(
      withFq((f) => delete f.layerNorms['norm']),
      /"fqvit"\.layerNorms\["norm"\] is missing/,
    );
    refused(
      withFq((f) => (f.lisBits = 9)),
      /"fqvit"\.lisBits must be an integer 1…8/,
    );
    refused(
      withFq((f) => (f.layerNorms['blocks.1.norm2']!.scale = 0.1)),
      /scale = 0\.1 is not a positive float32/,
    );
  });
});
