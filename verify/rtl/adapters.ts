/** Row ↔ beat mapping and golden expectations for each generated unit. */
import type { GeneratedUnit } from '../../rtl-gen/design.js';
import type { UnitAdapter } from './cosim.js';
import { shiftmaxRow } from '../golden/ops/shiftmax.js';
import { shiftGeluRow } from '../golden/ops/shiftgelu.js';
import { layerNormRow } from '../golden/ops/layernorm.js';
import { requantOne } from '../golden/ops/requant.js';
import { shiftExp } from '../golden/ops/shift-exp.js';
import type { Flavour } from '../golden/constants.js';

/** Split a row into beats of `lanes` elements; the last beat is padded with `pad` and its keep bits cleared. */
export function chunk<T>(xs: readonly T[], lanes: number, pad: T): Array<{ values: T[]; keep: bigint[] }> {
  const beats: Array<{ values: T[]; keep: bigint[] }> = [];
  for (let i = 0; i < xs.length; i += lanes) {
    const values: T[] = [];
    const keep: bigint[] = [];
    for (let j = 0; j < lanes; j++) {
      const has = i + j < xs.length;
      values.push(has ? xs[i + j]! : pad);
      keep.push(has ? 1n : 0n);
    }
    beats.push({ values, keep });
  }
  return beats;
}

const big = (v: number): bigint => BigInt(v);

export interface ExpRow {
  x: number[];
  /** |x0| ≥ 1 */
  x0Mag: number;
}

function numberParam(u: GeneratedUnit, name: string): number {
  const v = u.params[name];
  if (typeof v !== 'number') throw new Error(`unit ${u.top} has no numeric parameter ${name}`);
  return v;
}

/** A row unit's expected output: one beat per `lanes` results, carrying last, keep and the values. */
function rowOutputBeats(values: readonly number[], lanes: number): bigint[][][] {
  return chunk(values, lanes, 0).map((b, i, all) => [[i === all.length - 1 ? 1n : 0n], b.keep, b.values.map(big)]);
}

/** Parameters both exp units are generated with, read from the unit. */
function expUnitParams(u: GeneratedUnit): { lanes: number; n: number; k: number; inputBits: number; flavour: Flavour } {
  return {
    lanes: numberParam(u, 'lanes'),
    n: numberParam(u, 'n'),
    k: numberParam(u, 'k'),
    inputBits: numberParam(u, 'inputBits'),
    flavour: u.params.flavour as Flavour,
  };
}

/** An exp unit's input: the row streamed `passes` times, each beat carrying last, keep, the lanes and |x0|. */
function expRowBeats(row: ExpRow, lanes: number, passes: number): bigint[][][] {
  const pass = chunk(row.x, lanes, 0).map((b, i, all) => [[i === all.length - 1 ? 1n : 0n], b.keep, b.values.map(big), [big(row.x0Mag)]]);
  return Array.from({ length: passes }, () => pass).flat();
}

export function shiftmaxAdapter(u: GeneratedUnit): UnitAdapter<ExpRow> {
  const { lanes, n, k, inputBits, flavour } = expUnitParams(u);
  const overlap = u.params.form === 'overlap';
  return {
    unit: u,
    beats: (row) => {
      if (!overlap) return expRowBeats(row, lanes, 3);
      // the max, exp and norm passes, tagged by in_pass (0, 1, 2); |x0| is read at the max pass's first beat
      const pass = (code: number) =>
        chunk(row.x, lanes, 0).map((b, i, all) => [[i === all.length - 1 ? 1n : 0n], b.keep, [big(code)], b.values.map(big), [big(row.x0Mag)]]);
      return [0, 1, 2].flatMap(pass);
    },
    ...(overlap ? { parts: { beats: (row: ExpRow) => [0, 1, 2].map(() => Math.ceil(row.x.length / lanes)), order: [1, 0, 2] } } : {}),
    expected: (row) => {
      const g = shiftmaxRow(row.x, { x0: -row.x0Mag, n, k, flavour, inputBits, expBits: 32 }, 'rtl cosim');
      return rowOutputBeats(g.out, lanes);
    },
    describe: (row) => `x0 = -${row.x0Mag}, x = [${row.x.join(', ')}]`,
  };
}

export function shiftGeluAdapter(u: GeneratedUnit): UnitAdapter<ExpRow> {
  const { lanes, n, k, inputBits, flavour } = expUnitParams(u);
  return {
    unit: u,
    beats: (row) => expRowBeats(row, lanes, 2),
    expected: (row) => {
      const sigmaRule = u.params.sigmaRule === 'saturate' ? 'saturate' : 'reference';
      const g = shiftGeluRow(row.x, { x0: -row.x0Mag, n, k, flavour, inputBits, sigmaRule, expBits: 32 }, 'rtl cosim');
      return rowOutputBeats(g.out, lanes);
    },
    describe: (row) => `x0 = -${row.x0Mag}, x = [${row.x.join(', ')}]`,
  };
}

export interface LayerNormRowCase {
  x: number[];
  bias: number[];
}

export function layerNormAdapter(u: GeneratedUnit): UnitAdapter<LayerNormRowCase> {
  const lanes = numberParam(u, 'lanes');
  const inputBits = numberParam(u, 'inputBits');
  const outputBits = numberParam(u, 'outputBits');
  const sqrt = u.params.sqrt === 'floor' ? 'floor' : 'newton10';
  const overlap = u.params.form === 'overlap';
  return {
    unit: u,
    beats: (row) => {
      const xs = chunk(row.x, lanes, 0);
      const bs = chunk(row.bias, lanes, 0);
      const withBias = (i: number, on: boolean) => (on ? bs[i]!.values : bs[i]!.values.map(() => 0)).map(big);
      if (overlap) {
        // stats pass (in_pass 0), then norm pass (in_pass 1, with the bias)
        const pass = (norm: boolean) => xs.map((b, i) => [[i === xs.length - 1 ? 1n : 0n], b.keep, [norm ? 1n : 0n], b.values.map(big), withBias(i, norm)]);
        return [...pass(false), ...pass(true)];
      }
      const beat = (pass: number) => xs.map((b, i) => [[i === xs.length - 1 ? 1n : 0n], b.keep, b.values.map(big), withBias(i, pass === 2)]);
      return [...beat(0), ...beat(1), ...beat(2)];
    },
    ...(overlap ? { parts: { beats: (row: LayerNormRowCase) => [0, 1].map(() => Math.ceil(row.x.length / lanes)), order: [0, 1] } } : {}),
    expected: (row) => {
      const g = layerNormRow(row.x, row.bias, { sqrt, mean: 'half-even', halve: 'floor', inputBits, varianceBits: 64, outputBits }, 'rtl cosim');
      return rowOutputBeats(g.out, lanes);
    },
    describe: (row) => `x = [${row.x.join(', ')}], bias = [${row.bias.join(', ')}]`,
  };
}

export interface RequantBeat {
  z: number;
  m: number;
  c: number;
}

/** Requant rows are runs of independent elements, `lanes` per beat. */
export function requantAdapter(u: GeneratedUnit): UnitAdapter<RequantBeat[]> {
  const lanes = numberParam(u, 'lanes');
  const outBits = numberParam(u, 'outBits');
  const tie = u.params.tie === 'half-up' ? 'half-up' : 'half-even';
  const pad: RequantBeat = { z: 0, m: 1 << 30, c: 0 };
  return {
    unit: u,
    beats: (row) => chunk(row, lanes, pad).map((b) => [b.values.map((e) => big(e.z)), b.values.map((e) => big(e.m)), b.values.map((e) => big(e.c))]),
    expected: (row) => chunk(row, lanes, pad).map((b) => [b.values.map((e) => big(requantOne(e.z, { m: e.m, c: e.c }, outBits, tie)))]),
    describe: (row) => row.map((e) => `(z ${e.z}, m ${e.m}, c ${e.c})`).join(' '),
  };
}

export interface ExpLaneCase {
  delta: number;
  x0Mag: number;
}

/** The stand-alone shift-exp lane: each case is one beat; expected E from the golden shift-exp. */
export function expLaneAdapter(u: GeneratedUnit): UnitAdapter<ExpLaneCase[]> {
  const n = numberParam(u, 'n');
  const flavour = u.params.flavour as Flavour;
  return {
    unit: u,
    beats: (row) => row.map((c) => [[big(c.delta)], [big(c.x0Mag)]]),
    expected: (row) => row.map((c) => [[big(shiftExp(c.delta, -c.x0Mag, n, flavour).e)]]),
    describe: (row) => row.map((c) => `(Δ ${c.delta}, x0 -${c.x0Mag})`).join(' '),
  };
}

/** The stand-alone GELU reciprocal divider: one D per beat, expected ⌊(2^31 − 1)/D⌋. */
export function recipPipeAdapter(u: GeneratedUnit): UnitAdapter<number[]> {
  const numerator = 2n ** 31n - 1n;
  return {
    unit: u,
    beats: (row) => row.map((d) => [[big(d)]]),
    expected: (row) => row.map((d) => [[numerator / big(d)]]),
    describe: (row) => `D = [${row.join(', ')}]`,
  };
}
