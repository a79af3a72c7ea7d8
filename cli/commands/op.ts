/** `ivit op <name> --json '<params>'`: evaluate one golden op and print one JSON object. */
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import {
  type JsonObject,
  jsonInt,
  optionalInt,
  optionalIntArray,
  parseJsonObject,
  rejectUnknownKeys,
  requireIntArray,
  requireScale,
  toBigInt,
} from '../json-params.js';
import { GELU_SIGMA_RULES, type NumericsConfig, NUMERICS_PRESETS, isGeluSigmaRule, numericsConfig } from '../../verify/golden/numerics-config.js';
import { dyadicFromScales, expX0, geluSigmaScale } from '../../verify/golden/constants.js';
import { shiftmaxRow } from '../../verify/golden/ops/shiftmax.js';
import { shiftGeluParams, shiftGeluRow } from '../../verify/golden/ops/shiftgelu.js';
import { iLayerNormParams, layerNormRow } from '../../verify/golden/ops/layernorm.js';
import { floorSqrtBig, newtonSqrt10Big } from '../../verify/golden/ops/isqrt.js';
import { requantOne } from '../../verify/golden/ops/requant.js';
import { checkUnsignedBig } from '../../verify/golden/intmath.js';
import { lisAttnV, lisConstants, lisRow } from '../../verify/golden/ops/lis.js';
import { SULQ_DEFAULT_WIDTHS, SULQ_GRIDS, type SulqGrid, sulqAttnV, sulqConstants, sulqParams, sulqRow } from '../../verify/golden/ops/sulq.js';
import { ibertGeluConstants, ibertGeluRow, ibertSoftmaxConstants, ibertSoftmaxRow } from '../../verify/golden/ops/ibert.js';
import { geluUnitOutputScale } from '../../verify/golden/scale-algebra.js';
import { PTS_ALPHA_MAX, ptsChannelConstants, ptsLayerNormRow } from '../../verify/golden/ops/pts-layernorm.js';

type OpFn = (p: JsonObject, cfg: NumericsConfig) => Record<string, unknown>;

const SITE = 'ivit op';

const OPS: Record<string, { keys: readonly string[]; run: OpFn }> = {
  shiftmax: {
    keys: ['x', 'scale', 'n', 'k'],
    run: (p, cfg) => {
      const x = requireIntArray(p, 'x', 'shiftmax');
      const scale = requireScale(p, 'scale', 'shiftmax');
      const n = optionalInt(p, 'n', cfg.softmax.n, 'shiftmax', 1, 30);
      const k = optionalInt(p, 'k', cfg.softmax.k, 'shiftmax', 2, 32);
      const x0 = expX0(scale, cfg.flavour);
      const r = shiftmaxRow(x, { x0, n, k, flavour: cfg.flavour, inputBits: cfg.activationBits, expBits: cfg.expBits }, SITE);
      return { out: r.out, x0, sum: r.sum, factor: r.factor };
    },
  },
  shiftgelu: {
    keys: ['x', 'scale', 'n', 'k'],
    run: (p, cfg) => {
      const x = requireIntArray(p, 'x', 'shiftgelu');
      const scale = requireScale(p, 'scale', 'shiftgelu');
      const n = optionalInt(p, 'n', cfg.gelu.n, 'shiftgelu', 1, 30);
      const k = optionalInt(p, 'k', cfg.gelu.k, 'shiftgelu', 2, 32);
      const x0 = expX0(geluSigmaScale(scale), cfg.flavour);
      const r = shiftGeluRow(x, { ...shiftGeluParams(cfg, x0), n, k }, SITE);
      return { out: r.out, sigma: r.sigma, x0, sigmaRule: cfg.geluSigma };
    },
  },
  layernorm: {
    keys: ['x', 'bias'],
    run: (p, cfg) => {
      const x = requireIntArray(p, 'x', 'layernorm');
      const bias = optionalIntArray(p, 'bias', 'layernorm');
      if (bias && bias.length !== x.length) throw new UserError(`layernorm: "bias" has ${bias.length} entries for ${x.length} channels`);
      const r = layerNormRow(x, bias, iLayerNormParams(cfg), SITE);
      return { out: r.out, mean: r.mean, var: r.var, std: r.std, factor: r.factor };
    },
  },
  lis: {
    keys: ['x', 'scale', 'bits', 'v', 'vFracBits'],
    run: (p, cfg) => {
      const x = requireIntArray(p, 'x', 'lis');
      const scale = requireScale(p, 'scale', 'lis');
      const bits = optionalInt(p, 'bits', cfg.lis.bits, 'lis', 1, 8);
      const v = optionalIntArray(p, 'v', 'lis');
      if (v && v.length !== x.length) throw new UserError(`lis: "v" has ${v.length} entries for ${x.length} scores`);
      const vFracBits = optionalInt(p, 'vFracBits', cfg.lis.vFracBits, 'lis', 0, 24);
      const k = lisConstants(scale);
      const u = cfg.lis;
      const r = lisRow(x, { ...k, bits, inputBits: cfg.activationBits, polyBits: u.polyBits, sumBits: u.sumBits }, SITE);
      const attnV = v ? { attnV: lisAttnV(r.codes, r.masked, v, { vFracBits, vBits: cfg.activationBits, accBits: u.accBits }, SITE), vFracBits } : {};
      return { codes: r.codes, masked: r.masked, x0: k.x0, b: k.b, c: k.c, sum: jsonInt(r.sum), ...attnV };
    },
  },
  sulq: {
    keys: ['p', 'eta', 'bits', 'grid', 'inputFracBits', 'pMin', 'pMax', 'v'],
    run: (p, cfg) => {
      const probs = requireIntArray(p, 'p', 'sulq');
      const eta = requireScale(p, 'eta', 'sulq');
      const bits = optionalInt(p, 'bits', SULQ_DEFAULT_WIDTHS.bits, 'sulq', 2, 8);
      const grid = p.grid ?? SULQ_DEFAULT_WIDTHS.grid;
      if (typeof grid !== 'string' || !(SULQ_GRIDS as readonly string[]).includes(grid)) {
        throw new UserError(`sulq: "grid" must be one of ${SULQ_GRIDS.join(', ')}, got ${JSON.stringify(grid)}`);
      }
      // the input is Shiftmax's output, scale 2^−(k−1), unless the caller names another scale
      const f = optionalInt(p, 'inputFracBits', cfg.softmax.k - 1, 'sulq', 1, 30);
      const pMin = optionalInt(p, 'pMin', 0, 'sulq', 0, 2 ** f);
      const pMax = optionalInt(p, 'pMax', 2 ** f, 'sulq', 0, 2 ** f);
      const v = optionalIntArray(p, 'v', 'sulq');
      if (v && v.length !== probs.length) throw new UserError(`sulq: "v" has ${v.length} entries for ${probs.length} probabilities`);
      const k = sulqConstants(eta, bits, f, grid as SulqGrid, { pMin, pMax });
      const codes = sulqRow(probs, sulqParams(k), SITE);
      const attnV = v ? { attnV: sulqAttnV(codes, v, k, SULQ_DEFAULT_WIDTHS, SITE) } : {};
      return { codes, eta: k.eta, inputFracBits: f, levels: k.levels, thresholds: k.thresholds, shifts: k.shifts, ...attnV };
    },
  },
  'ibert-softmax': {
    keys: ['x', 'scale', 'k'],
    run: (p, cfg) => {
      const x = requireIntArray(p, 'x', 'ibert-softmax');
      const scale = requireScale(p, 'scale', 'ibert-softmax');
      const u = cfg.ibert;
      // out ≤ 2^k must fit the 32-bit product E16·F ≤ 2^32 shifted by 32 − k
      const k = optionalInt(p, 'k', u.softmaxOutputBits, 'ibert-softmax', 1, 31);
      const c = ibertSoftmaxConstants(scale);
      const widths = { inputBits: cfg.activationBits, polyBits: u.softmaxPolyBits, expRequantBits: u.expRequantBits, sumBits: u.sumBits, outputBits: k };
      const r = ibertSoftmaxRow(x, { ...c, ...widths }, SITE);
      return { out: r.out, k, x0: c.x0, b: c.b, c: c.c, max: r.max, exp: r.exp, shift: r.shift, exp16: r.exp16, sum: r.sum, factor: r.factor };
    },
  },
  'ibert-gelu': {
    keys: ['x', 'scale'],
    run: (p, cfg) => {
      const x = requireIntArray(p, 'x', 'ibert-gelu');
      const scale = requireScale(p, 'scale', 'ibert-gelu');
      const u = cfg.ibert;
      const c = ibertGeluConstants(scale, u.erfBits);
      const r = ibertGeluRow(x, { ...c, inputBits: cfg.activationBits, erfBits: u.erfBits, polyBits: u.geluPolyBits }, SITE);
      const outScale = geluUnitOutputScale(scale, { ...cfg, geluUnit: 'ibert' }); // S·|S_erf| / 2, as the whole model
      return { out: r.out, sigma: r.sigma, erf: r.erf, b: c.b, c: c.c, n: c.n, shift: c.shift, erfScale: c.erfScale, outScale };
    },
  },
  'pts-layernorm': {
    keys: ['x', 'alpha', 'gamma', 'beta', 'sOut'],
    run: (p, cfg) => {
      const x = requireIntArray(p, 'x', 'pts-layernorm');
      const alpha = optionalIntArray(p, 'alpha', 'pts-layernorm') ?? x.map(() => 0);
      const gamma = optionalFloatArray(p, 'gamma', x.length) ?? x.map(() => 1);
      const beta = optionalFloatArray(p, 'beta', x.length) ?? x.map(() => 0);
      if (alpha.length !== x.length) throw new UserError(`pts-layernorm: "alpha" has ${alpha.length} entries for ${x.length} channels`);
      const bad = alpha.findIndex((a) => a < 0 || a > PTS_ALPHA_MAX);
      if (bad >= 0) throw new UserError(`pts-layernorm: alpha[${bad}] = ${alpha[bad]} is outside 0…${PTS_ALPHA_MAX}`);
      const sOut = p.sOut === undefined ? 1 : requireScale(p, 'sOut', 'pts-layernorm');
      const mnb = ptsChannelConstants(gamma, beta, sOut);
      const params = { sqrt: cfg.pts.sqrt, inputBits: cfg.activationBits, varianceBits: cfg.pts.varianceBits, outputBits: cfg.activationBits };
      const r = ptsLayerNormRow(x, { alpha, ...mnb }, params, SITE);
      return { out: r.out, m: mnb.m, n: mnb.n, b: mnb.b, sum: r.sum, d: r.d, std: r.std, factor: r.factor };
    },
  },
  isqrt: {
    keys: ['v'],
    run: (p, cfg) => {
      if (p.v === undefined) throw new UserError('isqrt: "v" is required (a non-negative integer, as a number or a decimal string)');
      const v = toBigInt(p.v, 'isqrt: v');
      checkUnsignedBig(v, 64, 'isqrt input', SITE);
      // I-LayerNorm's square root: the reference's 10 Newton steps from 2^16 (not always ⌊√v⌋), or --sqrt floor
      return cfg.sqrt === 'floor'
        ? { root: jsonInt(floorSqrtBig(v)), rule: 'floor: the true ⌊√v⌋' }
        : { root: jsonInt(newtonSqrt10Big(v)), rule: 'newton10: 10 Newton steps from 2^16, as the I-ViT reference (numerics.md §5; --sqrt floor for ⌊√v⌋)' };
    },
  },
  requant: {
    keys: ['z', 'sIn', 'sOut', 'bits'],
    run: (p, cfg) => {
      const z = requireIntArray(p, 'z', 'requant');
      const sIn = requireScale(p, 'sIn', 'requant', 'signed'); // negative for a channel with γ < 0, as on the model path
      const sOut = requireScale(p, 'sOut', 'requant');
      const bits = optionalInt(p, 'bits', 8, 'requant', 2, 32);
      const d = dyadicFromScales(sIn, sOut);
      return { out: z.map((v) => requantOne(v, d, bits, cfg.requantTie)), m: d.m, c: d.c };
    },
  },
};

export function registerOp(program: Command): void {
  program
    .command('op')
    .description(`evaluate one golden op: ${Object.keys(OPS).join(' | ')}`)
    .argument('<name>', 'the op')
    .requiredOption('--json <params>', 'the op parameters as a JSON object')
    .option('--numerics <preset>', `numerics variant: ${Object.keys(NUMERICS_PRESETS).join(' | ')}`, 'pytorch')
    .option('--sqrt <rule>', 'LayerNorm square root: newton10 | floor')
    .option('--gelu-sigma <rule>', GELU_SIGMA_HELP)
    .action((name: string, opts: { json: string; numerics: string; sqrt?: string; geluSigma?: string }) => {
      const op = OPS[name];
      if (!op) throw new UserError(`unknown op "${name}" (expected ${Object.keys(OPS).join(', ')})`);
      const cfg = numericsFromFlags(opts.numerics, opts.sqrt, opts.geluSigma);
      const params = parseJsonObject(opts.json, `--json for ${name}`);
      rejectUnknownKeys(params, op.keys, name);
      process.stdout.write(`${JSON.stringify(op.run(params, cfg))}\n`);
    });
}

function optionalFloatArray(p: JsonObject, key: string, len: number): number[] | undefined {
  const v = p[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length !== len || !v.every((e) => typeof e === 'number' && Number.isFinite(e))) {
    throw new UserError(`pts-layernorm: "${key}" must be an array of ${len} finite numbers`);
  }
  return v as number[];
}

export const GELU_SIGMA_HELP =
  'ShiftGELU σ where E_j passes 2^31 − 1 (|x0| ≥ 256): reference (exact E_j as the published IntGELU, σ ≤ 255) | saturate (σ ≤ 127)';

export function numericsFromFlags(preset: string, sqrt: string | undefined, geluSigma?: string): NumericsConfig {
  if (!(preset in NUMERICS_PRESETS)) throw new UserError(`unknown numerics variant "${preset}" (expected ${Object.keys(NUMERICS_PRESETS).join(', ')})`);
  if (sqrt !== undefined && sqrt !== 'newton10' && sqrt !== 'floor') throw new UserError(`unknown --sqrt rule "${sqrt}" (expected newton10, floor)`);
  if (geluSigma !== undefined && !isGeluSigmaRule(geluSigma))
    throw new UserError(`unknown --gelu-sigma rule "${geluSigma}" (expected ${GELU_SIGMA_RULES.join(', ')})`);
  return numericsConfig(preset as keyof typeof NUMERICS_PRESETS, { ...(sqrt ? { sqrt } : {}), ...(geluSigma ? { geluSigma } : {}) });
}
