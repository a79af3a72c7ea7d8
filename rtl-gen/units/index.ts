/**
 * The catalogue of generated units: names, their options (with defaults) and the builder each maps to.
 * `ivit rtl`, `ivit synth`, the lint test and the benchmark sweep all go through this one table.
 */
import type { GeneratedUnit, UnitName } from '../design.js';
import { SHIFTMAX_DEFAULTS, buildShiftmaxUnit } from './shiftmax.js';
import { buildShiftmaxOverlapUnit } from './shiftmax-overlap.js';
import { SHIFTGELU_DEFAULTS, buildShiftGeluUnit } from './shiftgelu.js';
import { buildLayerNormUnit } from './layernorm.js';
import { LAYERNORM_DEFAULTS } from './layernorm-parts.js';
import { buildLayerNormOverlapUnit } from './layernorm-overlap.js';
import { REQUANT_DEFAULTS, buildRequantUnit } from './requant.js';
import { EXP_LANE_DEFAULTS, buildExpLaneUnit } from './exp-lane-unit.js';
import { buildRecipPipeUnit } from './recip-pipe-unit.js';
import { LIS_LANE_DEFAULTS, buildLisLaneUnit } from './lis-lane.js';
import { SULQ_LANE_DEFAULTS, buildSulqLaneUnit } from './sulq-lane.js';
import { PTS_LAYERNORM_DEFAULTS, buildPtsLayerNormUnit } from './pts-layernorm.js';
import { DEFAULT_PIPELINE, SDU_FORMS, type SduForm } from '../timing.js';
import type { ArrayGeometry, GeneratedArray } from '../array/gemm-io.js';
import { buildWsArray } from '../array/ws-array.js';
import { buildOsArray } from '../array/os-array.js';
import { GELU_SIGMA_RULES, type NumericsConfig, PYTORCH_NUMERICS, TVM_NUMERICS } from '../../verify/golden/numerics-config.js';

/** Options shared by the command line and the sweep; each unit reads the ones that apply to it. */
export interface UnitOptions {
  lanes?: number;
  variant?: string;
  n?: number;
  k?: number;
  expStages?: number;
  divBitsPerStage?: number;
  maxChannels?: number;
  outBits?: number;
  /** ShiftGELU's σ rule: reference | saturate */
  geluSigma?: string;
  /** LayerNorm and Shiftmax: overlap (rows overlap, II below latency) | serial (one row at a time) */
  form?: string;
}

export interface UnitEntry {
  name: UnitName;
  what: string;
  variants: readonly string[];
  /** the longest row the generated test bench is sized for */
  maxRowLength: number;
  /** the options an accelerator configuration implies for this unit (its SDU lanes and numerics), if any */
  fromMachine?(m: MachineView): UnitOptions;
  build(o: UnitOptions): GeneratedUnit;
}

/** What the generator reads of an accelerator configuration (sim/config.ts). */
export interface MachineView {
  lanes: number;
  form: SduForm;
  numerics: NumericsConfig;
}

/** A flavour variant's widths come from the numerics preset of that name (pytorch, tvm). */
function presetOf(variant: string | undefined): NumericsConfig {
  return variant === 'tvm' ? TVM_NUMERICS : PYTORCH_NUMERICS;
}

function pick<T extends string>(v: string | undefined, allowed: readonly T[], unit: string): T {
  const value = v ?? allowed[0]!;
  if (!(allowed as readonly string[]).includes(value)) throw new RangeError(`${unit}: variant '${value}' is not one of ${allowed.join(', ')}`);
  return value as T;
}

export const UNITS: readonly UnitEntry[] = [
  {
    name: 'shiftmax',
    what: 'Shiftmax row unit: row max, shift-exp lanes, saturating Σ, one sequential reciprocal per row, normalisation',
    variants: ['pytorch', 'tvm'],
    maxRowLength: 1024,
    fromMachine: (m) => ({ lanes: m.lanes, variant: m.numerics.flavour, n: m.numerics.softmax.n, k: m.numerics.softmax.k, form: m.form }),
    build: (o) => {
      const p = {
        ...SHIFTMAX_DEFAULTS,
        lanes: o.lanes ?? 1,
        flavour: pick(o.variant, ['pytorch', 'tvm'] as const, 'shiftmax'),
        n: o.n ?? presetOf(o.variant).softmax.n,
        k: o.k ?? presetOf(o.variant).softmax.k,
        expStages: o.expStages ?? DEFAULT_PIPELINE.expStages,
      };
      return pick(o.form, SDU_FORMS, 'shiftmax form') === 'overlap' ? buildShiftmaxOverlapUnit(p) : buildShiftmaxUnit(p);
    },
  },
  {
    name: 'shiftgelu',
    what: 'ShiftGELU row unit: row max, E_M, per-element exp and exact pipelined reciprocal, σ, x·σ',
    variants: ['pytorch', 'tvm'],
    maxRowLength: 4096,
    fromMachine: (m) => ({ lanes: m.lanes, variant: m.numerics.flavour, n: m.numerics.gelu.n, k: m.numerics.gelu.k, geluSigma: m.numerics.geluSigma }),
    build: (o) =>
      buildShiftGeluUnit({
        ...SHIFTGELU_DEFAULTS,
        lanes: o.lanes ?? 1,
        flavour: pick(o.variant, ['pytorch', 'tvm'] as const, 'shiftgelu'),
        sigmaRule: pick(o.geluSigma ?? presetOf(o.variant).geluSigma, GELU_SIGMA_RULES, 'shiftgelu σ rule'),
        n: o.n ?? presetOf(o.variant).gelu.n,
        k: o.k ?? presetOf(o.variant).gelu.k,
        expStages: o.expStages ?? DEFAULT_PIPELINE.expStages,
        divBitsPerStage: o.divBitsPerStage ?? DEFAULT_PIPELINE.geluDividerBitsPerStage,
      }),
  },
  {
    name: 'layernorm',
    what: 'I-LayerNorm row unit: RNE mean, variance sum, 10-step Newton replay (or floor sqrt), reciprocal, bias',
    variants: ['newton10', 'floor'],
    maxRowLength: 1024,
    fromMachine: (m) => ({ lanes: m.lanes, variant: m.numerics.sqrt, form: m.form }),
    build: (o) => {
      const p = {
        ...LAYERNORM_DEFAULTS,
        lanes: o.lanes ?? 1,
        sqrt: pick(o.variant, ['newton10', 'floor'] as const, 'layernorm'),
        maxChannels: o.maxChannels ?? LAYERNORM_DEFAULTS.maxChannels,
      };
      return pick(o.form, SDU_FORMS, 'layernorm form') === 'overlap' ? buildLayerNormOverlapUnit(p) : buildLayerNormUnit(p);
    },
  },
  {
    name: 'requant',
    what: 'dyadic requant: per-channel (m, c), exact rounding, clamp',
    variants: ['half-even', 'half-up'],
    maxRowLength: 1024,
    fromMachine: (m) => ({ lanes: m.lanes, variant: m.numerics.requantTie }),
    build: (o) =>
      buildRequantUnit({
        ...REQUANT_DEFAULTS,
        lanes: o.lanes ?? 1,
        tie: pick(o.variant, ['half-even', 'half-up'] as const, 'requant'),
        outBits: o.outBits ?? REQUANT_DEFAULTS.outBits,
      }),
  },
  {
    name: 'shift-exp-lane',
    what: 'one shift-exp lane on its own (Δ, |x0| in; E out): the per-lane figures of targets.md',
    variants: ['pytorch', 'tvm'],
    maxRowLength: 65536,
    build: (o) => {
      const flavour = pick(o.variant, ['pytorch', 'tvm'] as const, 'shift-exp-lane');
      if ((o.lanes ?? 1) !== 1) throw new RangeError('shift-exp-lane: one lane only');
      return buildExpLaneUnit({
        ...EXP_LANE_DEFAULTS,
        carryConfig: false,
        flavour,
        n: o.n ?? presetOf(flavour).softmax.n,
        expStages: o.expStages ?? DEFAULT_PIPELINE.expStages,
      });
    },
  },
  {
    name: 'gelu-divider',
    what: "ShiftGELU's per-element exact reciprocal ⌊(2^31 − 1)/D⌋, pipelined, on its own",
    variants: ['pytorch'],
    maxRowLength: 65536,
    build: (o) => {
      if ((o.lanes ?? 1) !== 1) throw new RangeError('gelu-divider: one lane only');
      return buildRecipPipeUnit({ divBitsPerStage: o.divBitsPerStage ?? DEFAULT_PIPELINE.geluDividerBitsPerStage });
    },
  },
  {
    name: 'lis',
    what: 'FQ-ViT Log-Int-Softmax lane: I-BERT i-exp, then the 4-bit log2 code of RNE(Σ/E) by threshold comparisons (no divider)',
    variants: ['fqvit'],
    maxRowLength: LIS_LANE_DEFAULTS.maxRowLength,
    build: (o) => {
      pick(o.variant, ['fqvit'] as const, 'lis');
      if ((o.lanes ?? 1) !== 1) throw new RangeError('lis: one lane only');
      return buildLisLaneUnit({ ...LIS_LANE_DEFAULTS, n: o.n ?? LIS_LANE_DEFAULTS.n });
    },
  },
  {
    name: 'sulq-lane',
    what: 'I&S-ViT SULQ decode lane: the code of a Shiftmax probability by threshold comparisons, its shift, and V << shift (η = 0.01, 4-bit, f = 15)',
    variants: ['isvit'],
    maxRowLength: 65536,
    build: (o) => {
      pick(o.variant, ['isvit'] as const, 'sulq-lane');
      if ((o.lanes ?? 1) !== 1) throw new RangeError('sulq-lane: one lane only');
      return buildSulqLaneUnit(SULQ_LANE_DEFAULTS);
    },
  },
  {
    name: 'pts-layernorm',
    what: 'FQ-ViT PTS LayerNorm row unit: x << α_c, Σ and Σ², D = CΣx² − (Σx)², floor sqrt, reciprocal, per-channel (M_c, N_c, B_c) RNE output',
    variants: ['floor'],
    maxRowLength: PTS_LAYERNORM_DEFAULTS.maxChannels,
    build: (o) => {
      pick(o.variant, ['floor'] as const, 'pts-layernorm');
      return buildPtsLayerNormUnit({
        ...PTS_LAYERNORM_DEFAULTS,
        lanes: o.lanes ?? 1,
        maxChannels: o.maxChannels ?? PTS_LAYERNORM_DEFAULTS.maxChannels,
        outputBits: o.outBits ?? PTS_LAYERNORM_DEFAULTS.outputBits,
      });
    },
  },
];

export function findUnit(name: string): UnitEntry | undefined {
  return UNITS.find((u) => u.name === name);
}

export type ArrayDataflow = 'ws' | 'os';

/** What the array generators read of an accelerator configuration (sim/config.ts array.rows, array.cols, array.dataflow). */
export interface ArrayOptions extends ArrayGeometry {
  dataflow: ArrayDataflow;
}

/**
 * The systolic array with its gemm sequencer: not a row-stream unit (it has memory ports and runs whole gemm
 * instructions), so it has its own entries, its own bench (verify/rtl/array-bench.ts) and its own `ivit rtl check`.
 */
export interface ArrayUnitEntry {
  name: 'array' | 'ws-array' | 'os-array';
  what: string;
  /** the dataflow the name fixes; undefined: the configuration's array.dataflow */
  dataflow?: ArrayDataflow;
  build(o: ArrayOptions): GeneratedArray;
}

const buildArrayOf = (o: ArrayOptions): GeneratedArray => (o.dataflow === 'ws' ? buildWsArray(o) : buildOsArray(o));

export const ARRAY_UNITS: readonly ArrayUnitEntry[] = [
  { name: 'array', what: "systolic array and gemm sequencer of the configuration's array.rows × array.cols and array.dataflow", build: buildArrayOf },
  {
    name: 'ws-array',
    what: 'weight-stationary systolic array (double-buffered weights, fold tags) and gemm sequencer',
    dataflow: 'ws',
    build: (o) => buildArrayOf({ ...o, dataflow: 'ws' }),
  },
  {
    name: 'os-array',
    what: 'output-stationary systolic array (output-register drain chains) and gemm sequencer',
    dataflow: 'os',
    build: (o) => buildArrayOf({ ...o, dataflow: 'os' }),
  },
];

export function findArrayUnit(name: string): ArrayUnitEntry | undefined {
  return ARRAY_UNITS.find((u) => u.name === name);
}
