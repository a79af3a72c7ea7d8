/**
 * Calibration of activation scales the way I-ViT's QuantAct observes them: at each requant site, the range
 * of the real values reaching it (z · S_in) over the whole calibration batch, S = range / (2^(b−1) − 1).
 * The golden forward pass runs the batch in lockstep (forwardInLockstep), so each site is calibrated
 * from the data produced with the scales already fixed before it, as QuantAct does in one batch.
 * The seeded synthetic models (verify/model/synthetic.ts) and `ivit import` both calibrate through here.
 */
import { dyadicFromScales, expX0, symmetricScale } from '../golden/constants.js';
import { NumericsInputError, fl32 } from '../golden/intmath.js';
import type { NumericsConfig } from '../golden/numerics-config.js';
import { dyadicTable, ibertBlockConstants, layerNormBiases, lisBitsOf } from '../golden/model-constants.js';
import { lisConstants } from '../golden/ops/lis.js';
import type { QLinear, QuantModel } from '../golden/qmodel.js';
import { type RequantPlan, blockRequantPlan, blockResidualPlan, geluExpScale, layerNormOutputScales, linearOutputScales } from '../golden/scale-algebra.js';
import type { BatchConstantResolver } from '../golden/vit-forward.js';
import { vitShape } from '../golden/zoo.js';
import { isvitFieldsOf, sulqBlockConstants, sulqInputFracBits } from '../golden/isvit.js';
import { mseSymmetricRange, sulqSearch } from './isvit-calibration.js';

/**
 * What an activation site's range is: 'minmax' is max |x| over every value of every image (QuantAct's
 * running min/max with momentum −1); a percentile P is the nearest-rank P-th percentile of |x| (the
 * ⌈P/100 · n⌉-th smallest), which ignores the rarest outliers.
 */
export type RangeObserver = { kind: 'minmax' } | { kind: 'percentile'; percentile: number };

export const MINMAX: RangeObserver = { kind: 'minmax' };

/** The k-th smallest value (0-based) of a (scratch) array, by quickselect; the array is reordered. */
function selectKth(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    // median of three as the pivot keeps sorted or constant runs from going quadratic
    const mid = (lo + hi) >>> 1;
    const x = a[lo]!,
      y = a[mid]!,
      z = a[hi]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

/** The observed range of real values v(image, i) over a batch: max |v|, or its percentile. */
function observedRange(counts: readonly number[], value: (image: number, i: number) => number, obs: RangeObserver): number {
  if (obs.kind === 'minmax') {
    let m = 0;
    counts.forEach((n, img) => {
      for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(value(img, i)));
    });
    return m;
  }
  const all = new Float64Array(counts.reduce((a, b) => a + b, 0));
  let o = 0;
  counts.forEach((n, img) => {
    for (let i = 0; i < n; i++) all[o++] = Math.abs(value(img, i));
  });
  if (all.length === 0) return 0;
  return selectKth(all, Math.max(0, Math.ceil((obs.percentile / 100) * all.length) - 1));
}

/** Range of real values z · S_in[channel] over a batch of requant inputs. */
export function requantInputRange(zs: ReadonlyArray<ArrayLike<number>>, sIn: number | Float32Array, channels: number, obs: RangeObserver): number {
  const value = typeof sIn === 'number' ? (img: number, i: number) => zs[img]![i]! * sIn : (img: number, i: number) => zs[img]![i]! * sIn[i % channels]!;
  return observedRange(
    zs.map((z) => z.length),
    value,
    obs,
  );
}

/** Range of a float tensor over a batch (the input image: qact_input). */
export function valueRange(xs: ReadonlyArray<ArrayLike<number>>, obs: RangeObserver): number {
  return observedRange(
    xs.map((x) => x.length),
    (img, i) => xs[img]![i]!,
    obs,
  );
}

export interface CalibrationHooks {
  /** The patch scale is fixed (tokenRange: the patch tokens' observed range): set the class token and position embedding. */
  patchScale(model: QuantModel, tokenRange: number): void;
  /** The input scale of a linear layer is fixed, before the layer runs: e.g. quantise its bias at S_in·S_w. */
  linearInput?(layer: QLinear, sIn: number): void;
}

/**
 * A resolver that fixes each activation scale of `model` from the data reaching it, in forward order.
 * model.scales.input must be set; every other scale is written as its site is reached.
 */
export function calibratingResolver(model: QuantModel, cfg: NumericsConfig, hooks: CalibrationHooks, obs: RangeObserver = MINMAX): BatchConstantResolver {
  if (cfg.layerNorm === 'pts') {
    // PTS writes the output scale directly, so it has to be known first: it is the I-LayerNorm chain's (ptsCalibrator)
    throw new NumericsInputError('calibration runs the I-LayerNorm chain; the PTS LayerNorm scales derive from its LayerNorm inputs (ptsCalibrator)');
  }
  const { headDim } = vitShape(model.config);
  // the low-bit sites of the isvit presets (a1, av, a2, h) take the least-squared-error percentile (isvit-calibration.ts)
  const lowBitRange = (plan: RequantPlan, zs: ReadonlyArray<ArrayLike<number>>, channels: number): number => {
    const total = zs.reduce((a, z) => a + z.length, 0);
    const real = new Float64Array(total);
    let o = 0;
    for (const z of zs) for (let i = 0; i < z.length; i++) real[o++] = z[i]! * (typeof plan.sIn === 'number' ? plan.sIn : plan.sIn[i % channels]!);
    return mseSymmetricRange(real, plan.bits);
  };
  const scaleFrom = (plan: RequantPlan, zs: ReadonlyArray<ArrayLike<number>>, channels: number): number =>
    symmetricScale(fl32(plan.bits < cfg.activationBits ? lowBitRange(plan, zs, channels) : requantInputRange(zs, plan.sIn, channels, obs)), plan.bits);
  const blockInputScale = (b: number): number => (b === 0 ? model.scales.embed : model.blocks[b - 1]!.scales.res2);

  return {
    requant(site, zs, channels) {
      if (site.block !== null) {
        const blk = model.blocks[site.block]!;
        const plan = blockRequantPlan(site.name, blk, headDim, cfg);
        const key = ({ ln1: 'a1', qkv: 'qkv', logit: 'logit', av: 'av', proj: 'proj', ln2: 'a2', fc1: 'gelu', h: 'h', fc2: 'fc2' } as const)[site.name];
        const s = scaleFrom(plan, zs, channels);
        blk.scales[key] = s;
        // the layer this scale feeds
        const next = ({ a1: blk.qkv, av: blk.proj, a2: blk.fc1, h: blk.fc2 } as Partial<Record<typeof key, QLinear>>)[key];
        if (next) hooks.linearInput?.(next, s);
        return dyadicTable(plan, s);
      }
      const sc = model.scales;
      if (site.name === 'patch') {
        const plan: RequantPlan = { sIn: linearOutputScales(sc.input, model.patch), bits: cfg.residualBits };
        const tokenRange = requantInputRange(zs, plan.sIn, channels, obs);
        sc.patch = symmetricScale(fl32(tokenRange), cfg.residualBits);
        hooks.patchScale(model, tokenRange);
        return dyadicTable(plan, sc.patch);
      }
      if (site.name === 'headIn') {
        const plan: RequantPlan = { sIn: layerNormOutputScales(model.norm), bits: cfg.activationBits };
        sc.headIn = scaleFrom(plan, zs, channels);
        hooks.linearInput?.(model.head, sc.headIn);
        return dyadicTable(plan, sc.headIn);
      }
      // logits: one common scale, the largest per-class scale, so the requant never overflows
      const sIn = linearOutputScales(sc.headIn, model.head);
      sc.logits = sIn.reduce((a, b) => Math.max(a, b), 0);
      return dyadicTable({ sIn, bits: cfg.logitBits }, sc.logits);
    },
    residual(site, mains, skips) {
      let sMain: number;
      let sSkip: number;
      if (site.block === null) {
        sMain = model.scales.patch;
        sSkip = model.scales.pos;
      } else {
        const p = blockResidualPlan(site.name, model.blocks[site.block]!, blockInputScale(site.block), cfg);
        sMain = p.sMain;
        sSkip = p.sSkip;
      }
      const range = observedRange(
        mains.map((m) => m.length),
        (img, i) => mains[img]![i]! * sMain + skips[img]![i]! * sSkip,
        obs,
      );
      const sOut = symmetricScale(fl32(range), cfg.residualBits);
      if (site.block === null) model.scales.embed = sOut;
      else model.blocks[site.block]!.scales[site.name] = sOut;
      return { main: dyadicFromScales(sMain, sOut), skip: dyadicFromScales(sSkip, sOut) };
    },
    expX0(site) {
      const blk = model.blocks[site.block]!;
      return site.name === 'softmax' ? expX0(blk.scales.logit, cfg.flavour) : expX0(geluExpScale(blk), cfg.flavour);
    },
    layerNormBias(site) {
      if (site.block === null) return layerNormBiases(model.norm);
      const blk = model.blocks[site.block]!;
      return layerNormBiases(site.name === 'ln1' ? blk.norm1 : blk.norm2);
    },
    ibert(site) {
      return ibertBlockConstants(model.blocks[site.block]!, cfg);
    },
    lis(site) {
      return { ...lisConstants(model.blocks[site.block]!.scales.logit), bits: lisBitsOf(model, cfg) };
    },
    pts() {
      throw new NumericsInputError('calibration does not run PTS LayerNorm'); // refused above
    },
    sulq(site, ps) {
      // η and the range from this block's attention over the batch, recorded in the model's isvit fields
      isvitFieldsOf(model, cfg).sulq[site.block] = sulqSearch(ps, cfg.sulq.bits, sulqInputFracBits(cfg));
      return sulqBlockConstants(model, cfg, site.block);
    },
  };
}
