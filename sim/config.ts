/**
 * The one description of the simulated machine: array, dataflow, scratchpads, accumulator buffer, DMA, SDU,
 * queues, clock and numerics variant. The simulator and its report headers read it, and `ivit rtl|synth --config`
 * generates the SDU units with its lanes and numerics preset; a JSON file gives it and CLI flags override single keys
 * (`--set dma.bytesPerCycle=32`).
 */
import { readFileSync } from 'node:fs';
import {
  ATTENTION_UNITS,
  GELU_SIGMA_RULES,
  GELU_UNITS,
  LAYERNORM_UNITS,
  NUMERICS_PRESETS,
  type NumericsConfig,
  type NumericsPresetName,
  isGeluSigmaRule,
  numericsConfig,
} from '../verify/golden/numerics-config.js';
import type { GeluSigmaRule, SqrtRule } from '../verify/golden/numerics-config.js';
import { SDU_FORMS, type SduForm } from '../rtl-gen/timing.js';

/** ws and os are this machine's array (sim/array/timing.ts); is exists in SCALE-Sim's timing model only */
export type Dataflow = 'ws' | 'os' | 'is';
export const DATAFLOWS: readonly Dataflow[] = ['ws', 'os', 'is'];

/**
 * How a gemm's array time is counted. overlap: this machine's array, whose shadow weight registers (WS) or
 * drain chains (OS) overlap one fold with the next (sim/array/timing.ts). scalesim: SCALE-Sim v2's fold-by-fold
 * compute model, no overlap (sim/array/scalesim.ts), to compare figures with that tool's. Values are the same.
 */
export type ArrayModel = 'overlap' | 'scalesim';
export const ARRAY_MODELS: readonly ArrayModel[] = ['overlap', 'scalesim'];

export interface AcceleratorConfig {
  /** clock in MHz: converts cycles to milliseconds in every report */
  clockMHz: number;
  array: {
    rows: number; // R: PE rows (the reduction dimension in weight-stationary)
    cols: number; // C: PE columns (output channels in weight-stationary)
    dataflow: Dataflow;
    model: ArrayModel;
  };
  /** int8/int16/int32 data, byte addressed, split into equal banks by address */
  scratchpad: { bytes: number; banks: number };
  /** int32 accumulator buffer, word addressed, split into equal banks by address */
  accumulator: { words: number; banks: number };
  dram: { bytes: number };
  dma: { bytesPerCycle: number; latency: number };
  /** form: LayerNorm and Shiftmax rows overlap ('overlap') or go one at a time ('serial', the smaller units) */
  sdu: { lanes: number; form: SduForm };
  /** instructions each unit's queue holds; the fetch stage stalls while the target queue is full */
  queueDepth: number;
  /** a run past this many cycles stops with a fault */
  cycleLimit: number;
  /** attention / geluUnit / layerNorm: 'preset' keeps the preset's unit, a unit name replaces it (one unit swapped: docs/ablation.md) */
  numerics: {
    preset: NumericsPresetName;
    sqrt: SqrtRule;
    geluSigma: GeluSigmaRule;
    attention: UnitChoice<NumericsConfig['attention']>;
    geluUnit: UnitChoice<NumericsConfig['geluUnit']>;
    layerNorm: UnitChoice<NumericsConfig['layerNorm']>;
  };
}

/** A non-linear unit of the machine's numerics: the preset's own, or one named. */
export type UnitChoice<U extends string> = U | 'preset';

/** The unit keys of the machine's numerics and the units each may name (besides 'preset'). */
const UNIT_KEYS = { attention: ATTENTION_UNITS, geluUnit: GELU_UNITS, layerNorm: LAYERNORM_UNITS } as const;

function deepFreeze<T>(o: T): T {
  for (const v of Object.values(o as object)) if (typeof v === 'object' && v !== null) deepFreeze(v);
  return Object.freeze(o);
}

/** The default machine: the one home of its figures (`ivit config` prints it as a JSON file to start from). */
export const DEFAULT_CONFIG: Readonly<AcceleratorConfig> = deepFreeze({
  clockMHz: 500,
  array: { rows: 16, cols: 16, dataflow: 'ws', model: 'overlap' },
  scratchpad: { bytes: 1 << 20, banks: 16 },
  accumulator: { words: 1 << 16, banks: 8 },
  dram: { bytes: 64 << 20 },
  dma: { bytesPerCycle: 32, latency: 100 },
  sdu: { lanes: 16, form: 'overlap' },
  queueDepth: 32,
  cycleLimit: 2_000_000_000,
  numerics: { preset: 'pytorch', sqrt: 'newton10', geluSigma: 'reference', attention: 'preset', geluUnit: 'preset', layerNorm: 'preset' },
} as AcceleratorConfig);

/** Bad configuration: names the key and the offending value. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function cloneDefault(): AcceleratorConfig {
  return JSON.parse(JSON.stringify(DEFAULT_CONFIG)) as AcceleratorConfig;
}

/** Deep-merge a parsed JSON object over the defaults, rejecting unknown keys and wrong kinds. */
export function configFromJson(value: unknown, where = 'config'): AcceleratorConfig {
  const cfg = cloneDefault();
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(`${where}: must be a JSON object`);
  mergeInto(cfg as unknown as Record<string, Json>, value as Record<string, Json>, where);
  validateConfig(cfg);
  return cfg;
}

function mergeInto(target: Record<string, Json>, src: Record<string, Json>, path: string): void {
  for (const [k, v] of Object.entries(src)) {
    if (!(k in target)) throw new ConfigError(`${path}: unknown key "${k}" (expected ${Object.keys(target).join(', ')})`);
    const t = target[k]!;
    if (typeof t === 'object' && t !== null && !Array.isArray(t)) {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError(`${path}.${k}: must be an object, got ${JSON.stringify(v)}`);
      mergeInto(t as Record<string, Json>, v as Record<string, Json>, `${path}.${k}`);
    } else {
      if (typeof v !== typeof t) throw new ConfigError(`${path}.${k}: must be a ${typeof t}, got ${JSON.stringify(v)}`);
      target[k] = v;
    }
  }
}

export function loadConfigFile(file: string): AcceleratorConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config ${file}: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`config ${file} is not valid JSON: ${(e as Error).message}`);
  }
  return configFromJson(parsed, file);
}

/** Apply `a.b.c=value` overrides (numbers, booleans or strings) to a config, then validate it. */
export function applyOverrides(base: AcceleratorConfig, overrides: readonly string[]): AcceleratorConfig {
  const cfg = JSON.parse(JSON.stringify(base)) as Record<string, Json>;
  for (const o of overrides) {
    const eq = o.indexOf('=');
    if (eq <= 0) throw new ConfigError(`override "${o}" must look like key.path=value`);
    const path = o.slice(0, eq).split('.');
    const raw = o.slice(eq + 1);
    let node: Record<string, Json> = cfg;
    for (let i = 0; i < path.length - 1; i++) {
      const next = node[path[i]!];
      if (typeof next !== 'object' || next === null || Array.isArray(next))
        throw new ConfigError(`override "${o}": no section "${path.slice(0, i + 1).join('.')}"`);
      node = next as Record<string, Json>;
    }
    const key = path[path.length - 1]!;
    if (!(key in node) || (typeof node[key] === 'object' && node[key] !== null)) throw new ConfigError(`override "${o}": unknown key "${path.join('.')}"`);
    const old = node[key];
    if (typeof old === 'number') {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw new ConfigError(`override "${o}": ${path.join('.')} needs a number`);
      node[key] = n;
    } else if (typeof old === 'boolean') {
      if (raw !== 'true' && raw !== 'false') throw new ConfigError(`override "${o}": ${path.join('.')} needs true or false`);
      node[key] = raw === 'true';
    } else {
      node[key] = raw;
    }
  }
  const out = cfg as unknown as AcceleratorConfig;
  validateConfig(out);
  return out;
}

function positiveInt(v: number, what: string, max = 2 ** 40): void {
  if (!Number.isSafeInteger(v) || v < 1 || v > max) throw new ConfigError(`${what} must be an integer in [1, ${max}], got ${v}`);
}

export function validateConfig(c: AcceleratorConfig): void {
  if (!(c.clockMHz > 0) || !Number.isFinite(c.clockMHz)) throw new ConfigError(`clockMHz must be a positive number, got ${c.clockMHz}`);
  positiveInt(c.array.rows, 'array.rows', 1024);
  positiveInt(c.array.cols, 'array.cols', 1024);
  if (!ARRAY_MODELS.includes(c.array.model)) throw new ConfigError(`array.model must be "overlap" or "scalesim", got "${c.array.model}"`);
  if (!DATAFLOWS.includes(c.array.dataflow)) throw new ConfigError(`array.dataflow must be "ws", "os" or "is", got "${c.array.dataflow}"`);
  if (c.array.dataflow === 'is' && c.array.model !== 'scalesim')
    throw new ConfigError(
      'array.dataflow "is" (input-stationary) exists only in the SCALE-Sim timing model: set array.model "scalesim" (--array-model scalesim)',
    );
  positiveInt(c.scratchpad.bytes, 'scratchpad.bytes', 1 << 24);
  positiveInt(c.scratchpad.banks, 'scratchpad.banks', 256);
  if (c.scratchpad.bytes % c.scratchpad.banks !== 0)
    throw new ConfigError(`scratchpad.bytes (${c.scratchpad.bytes}) must be a multiple of scratchpad.banks (${c.scratchpad.banks})`);
  positiveInt(c.accumulator.words, 'accumulator.words', 1 << 24);
  positiveInt(c.accumulator.banks, 'accumulator.banks', 256);
  if (c.accumulator.words % c.accumulator.banks !== 0)
    throw new ConfigError(`accumulator.words (${c.accumulator.words}) must be a multiple of accumulator.banks (${c.accumulator.banks})`);
  positiveInt(c.dram.bytes, 'dram.bytes', 2 ** 32);
  positiveInt(c.dma.bytesPerCycle, 'dma.bytesPerCycle', 4096);
  if (!Number.isSafeInteger(c.dma.latency) || c.dma.latency < 0) throw new ConfigError(`dma.latency must be a non-negative integer, got ${c.dma.latency}`);
  positiveInt(c.sdu.lanes, 'sdu.lanes', 1024);
  if (!(SDU_FORMS as readonly string[]).includes(c.sdu.form)) throw new ConfigError(`sdu.form must be one of ${SDU_FORMS.join(', ')}, got "${c.sdu.form}"`);
  positiveInt(c.queueDepth, 'queueDepth', 1 << 20);
  positiveInt(c.cycleLimit, 'cycleLimit', Number.MAX_SAFE_INTEGER);
  if (!(c.numerics.preset in NUMERICS_PRESETS))
    throw new ConfigError(`numerics.preset must be one of ${Object.keys(NUMERICS_PRESETS).join(', ')}, got "${c.numerics.preset}"`);
  if (c.numerics.sqrt !== 'newton10' && c.numerics.sqrt !== 'floor') throw new ConfigError(`numerics.sqrt must be newton10 or floor, got "${c.numerics.sqrt}"`);
  if (!isGeluSigmaRule(c.numerics.geluSigma))
    throw new ConfigError(`numerics.geluSigma must be one of ${GELU_SIGMA_RULES.join(', ')}, got "${c.numerics.geluSigma}"`);
  for (const [key, units] of Object.entries(UNIT_KEYS) as [keyof typeof UNIT_KEYS, readonly string[]][]) {
    const v = c.numerics[key];
    if (v !== 'preset' && !units.includes(v)) throw new ConfigError(`numerics.${key} must be one of preset, ${units.join(', ')}, got "${v}"`);
  }
}

/** The units the machine names in place of its preset's ({} when it keeps the preset's). */
export function unitOverrides(c: AcceleratorConfig): Partial<Pick<NumericsConfig, keyof typeof UNIT_KEYS>> {
  const n = c.numerics;
  return {
    ...(n.attention !== 'preset' ? { attention: n.attention } : {}),
    ...(n.geluUnit !== 'preset' ? { geluUnit: n.geluUnit } : {}),
    ...(n.layerNorm !== 'preset' ? { layerNorm: n.layerNorm } : {}),
  };
}

/** The numerics variant the SDU computes with. */
export function numericsOf(c: AcceleratorConfig): NumericsConfig {
  return numericsConfig(c.numerics.preset, { sqrt: c.numerics.sqrt, geluSigma: c.numerics.geluSigma, ...unitOverrides(c) });
}
