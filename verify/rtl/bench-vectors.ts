/**
 * Seeded golden-model stimulus for a generated unit's stream test bench, as files next to the bench:
 * `vectors.in` (what the bench reads: one line per input beat), `vectors.expected` (the golden model's output
 * beats, one line per beat in the bench's `O` field format: one hex word per output port) and `vectors.json`
 * (which unit, how the beats group into rows, the output ports to unpack lanes with). `ivit rtl -o DIR
 * --vectors N` writes them; `ivit rtl check DIR` (bench-check.ts) runs the bench and compares.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GeneratedUnit, StreamPort } from '../../rtl-gen/design.js';
import { testbenchName } from '../../rtl-gen/testbench.js';
import { Rng } from '../model/prng.js';
import { type UnitAdapter, packLanes, streamLines } from './cosim.js';
import {
  type ExpLaneCase,
  type ExpRow,
  type LayerNormRowCase,
  type RequantBeat,
  expLaneAdapter,
  layerNormAdapter,
  recipPipeAdapter,
  requantAdapter,
  shiftGeluAdapter,
  shiftmaxAdapter,
} from './adapters.js';
import { type PtsRowCase, ptsLayerNormAdapter } from './pts-layernorm-adapter.js';
import { type LisLaneCase, lisConstants, lisExpReference, lisLaneAdapter } from './lis-adapter.js';

export const VECTORS_FORMAT = 'ivit-rtl-vectors';
export const VECTORS_VERSION = 1;

/** vectors.json: what `ivit rtl check` needs besides the two beat files. */
export interface VectorsManifest {
  format: typeof VECTORS_FORMAT;
  version: number;
  unit: string;
  top: string;
  testbench: string;
  seed: number;
  /** rows for the row units (shiftmax, shiftgelu, layernorm); beats for the element units */
  vectors: number;
  vectorKind: 'rows' | 'beats';
  inputBeats: number;
  /** output beats of each vector, in order (their sum is the line count of vectors.expected) */
  outputBeatsPerVector: number[];
  outputs: StreamPort[];
}

export interface BenchVectors {
  manifest: VectorsManifest;
  inputLines: string[];
  expectedLines: string[];
}

/** The largest stimulus `--vectors` accepts: the files stay a few megabytes and the bench a few seconds. */
export const MAX_VECTORS = 100000;

function numberParam(u: GeneratedUnit, name: string, fallback: number): number {
  const v = u.params[name];
  return typeof v === 'number' ? v : fallback;
}

/** A row length: mostly short rows over a few beats, now and then up to `max`, so both ragged and long rows occur. */
function rowLength(rng: Rng, lanes: number, max: number): number {
  return rng.uniform() < 0.85 ? rng.int(1, Math.min(max, 4 * lanes + 3)) : rng.int(1, Math.min(max, 256));
}

function signedRange(bits: number): [number, number] {
  return [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1];
}

function expRows(u: GeneratedUnit, rng: Rng, count: number, maxRowLength: number): ExpRow[] {
  const lanes = numberParam(u, 'lanes', 1);
  const [lo, hi] = signedRange(numberParam(u, 'inputBits', 8));
  // |x0| ≥ 1 and within the configuration port; 255 is the largest the golden scales give (test/rtl/support.ts)
  const x0Max = Math.min(255, 2 ** numberParam(u, 'x0Bits', 8) - 1);
  return Array.from({ length: count }, () => {
    const len = rowLength(rng, lanes, maxRowLength);
    const top = rng.int(lo, hi); // the row max: rows with negative maxima too
    return { x: Array.from({ length: len }, () => rng.int(lo, top)), x0Mag: rng.int(1, x0Max) };
  });
}

function layerNormRows(u: GeneratedUnit, rng: Rng, count: number, maxRowLength: number): LayerNormRowCase[] {
  const lanes = numberParam(u, 'lanes', 1);
  const [lo, hi] = signedRange(numberParam(u, 'inputBits', 16));
  const [blo, bhi] = signedRange(numberParam(u, 'biasBits', 32));
  const amplitudes = [1, 3, 40, 190, 2000, hi];
  const maxLen = Math.min(maxRowLength, numberParam(u, 'maxChannels', maxRowLength));
  return Array.from({ length: count }, () => {
    const len = rowLength(rng, lanes, maxLen);
    const amp = amplitudes[rng.int(0, amplitudes.length - 1)]!;
    return {
      x: Array.from({ length: len }, () => rng.int(Math.max(lo, -amp), amp)),
      bias: Array.from({ length: len }, () => rng.int(blo, bhi)),
    };
  });
}

/** Requant beats as in test/rtl/requant.test.ts: int33 or small z, normalised multipliers of both signs, any shift. */
function requantRows(u: GeneratedUnit, rng: Rng, count: number): RequantBeat[][] {
  const lanes = numberParam(u, 'lanes', 1);
  const [zlo, zhi] = signedRange(numberParam(u, 'zBits', 33));
  const cMax = 2 ** numberParam(u, 'cBits', 6) - 1;
  const element = (): RequantBeat => ({
    z: rng.uniform() < 0.5 ? rng.int(zlo, zhi) : rng.int(-300, 300),
    m: (rng.uniform() < 0.5 ? 1 : -1) * rng.int(2 ** 30, 2 ** 31 - 1),
    c: rng.int(0, cMax),
  });
  return Array.from({ length: count }, () => Array.from({ length: lanes }, element));
}

function expLaneRows(u: GeneratedUnit, rng: Rng, count: number): ExpLaneCase[][] {
  const x0Max = Math.min(255, 2 ** numberParam(u, 'x0Bits', 8) - 1);
  // the catalogue's lane keeps |x0| static (carryConfig false, as in the row units): one |x0| for the whole run
  const fixed = u.params.carryConfig === true ? undefined : rng.int(1, x0Max);
  return Array.from({ length: count }, () => [{ delta: rng.int(-255, 0), x0Mag: fixed ?? rng.int(1, x0Max) }]);
}

/** LIS lane beats: a drawn logit scale, Δ and Σ = E times a drawn ratio (so every code and the mask occur). */
function lisLaneRows(u: GeneratedUnit, rng: Rng, count: number): LisLaneCase[][] {
  const sumMax = (1n << BigInt(u.inputs.find((p) => p.name === 'in_sum')!.laneBits)) - 1n;
  return Array.from({ length: count }, () => {
    const k = lisConstants(0.6931 / (rng.int(1, 255) - 0.5));
    const delta = rng.int(-255, 0);
    const e = lisExpReference(delta, k.x0Mag, k.b, k.c);
    const sum = e * BigInt(rng.int(1, 1 << rng.int(1, 17))) + BigInt(rng.int(0, 1000));
    return [{ delta, ...k, sum: sum < sumMax ? sum : sumMax }];
  });
}

/** PTS LayerNorm rows: drawn C, int8 q, α_c, signed M_c, N_c and B_c. */
function ptsRows(rng: Rng, count: number, maxRowLength: number): PtsRowCase[] {
  return Array.from({ length: count }, () => {
    const c = rng.int(1, maxRowLength);
    const draw = (lo: number, hi: number): number[] => Array.from({ length: c }, () => rng.int(lo, hi));
    return { q: draw(-128, 127), alpha: draw(0, 3), m: draw(-255, 255), n: draw(0, 31), b: draw(-100000, 100000) };
  });
}

function dividerRows(rng: Rng, count: number): number[][] {
  return Array.from({ length: count }, () => [rng.uniform() < 0.5 ? rng.int(1, 5000) : rng.int(1, 2 ** 31 - 1)]);
}

/** One output beat as the bench writes it after the cycle: one lowercase hex word per output port. */
function outputLine(u: GeneratedUnit, beat: bigint[][]): string {
  return u.outputs.map((p, i) => packLanes(beat[i]!, p).toString(16)).join(' ');
}

function materialise<Row>(adapter: UnitAdapter<Row>, rows: readonly Row[], seed: number, vectorKind: 'rows' | 'beats'): BenchVectors {
  const u = adapter.unit;
  const inputLines = streamLines(adapter, rows).lines;
  const expectedLines: string[] = [];
  const outputBeatsPerVector: number[] = [];
  for (const row of rows) {
    const expected = adapter.expected(row);
    for (const beat of expected) expectedLines.push(outputLine(u, beat));
    outputBeatsPerVector.push(expected.length);
  }
  return {
    manifest: {
      format: VECTORS_FORMAT,
      version: VECTORS_VERSION,
      unit: u.unit,
      top: u.top,
      testbench: testbenchName(u),
      seed,
      vectors: rows.length,
      vectorKind,
      inputBeats: inputLines.length,
      outputBeatsPerVector,
      outputs: u.outputs,
    },
    inputLines,
    expectedLines,
  };
}

/** `count` seeded vectors for the unit and the golden model's outputs for them. */
export function benchVectors(u: GeneratedUnit, maxRowLength: number, count: number, seed: number): BenchVectors {
  if (!Number.isInteger(count) || count < 1 || count > MAX_VECTORS) throw new RangeError(`vectors: ${count} is not in 1..${MAX_VECTORS}`);
  const rng = new Rng(seed, `rtl-vectors:${u.unit}`);
  switch (u.unit) {
    case 'shiftmax':
      return materialise(shiftmaxAdapter(u), expRows(u, rng, count, maxRowLength), seed, 'rows');
    case 'shiftgelu':
      return materialise(shiftGeluAdapter(u), expRows(u, rng, count, maxRowLength), seed, 'rows');
    case 'layernorm':
      return materialise(layerNormAdapter(u), layerNormRows(u, rng, count, maxRowLength), seed, 'rows');
    case 'requant':
      return materialise(requantAdapter(u), requantRows(u, rng, count), seed, 'beats');
    case 'shift-exp-lane':
      return materialise(expLaneAdapter(u), expLaneRows(u, rng, count), seed, 'beats');
    case 'gelu-divider':
      return materialise(recipPipeAdapter(u), dividerRows(rng, count), seed, 'beats');
    case 'pts-layernorm':
      return materialise(ptsLayerNormAdapter(u), ptsRows(rng, count, maxRowLength), seed, 'rows');
    case 'lis':
      return materialise(lisLaneAdapter(u), lisLaneRows(u, rng, count), seed, 'beats');
    default:
      throw new RangeError(`--vectors: no golden-model stimulus for unit ${u.unit} (${STIMULUS_UNITS.join(', ')} have one)`);
  }
}

/** The units benchVectors has a golden-model stimulus for. */
export const STIMULUS_UNITS: readonly string[] = ['shiftmax', 'shiftgelu', 'layernorm', 'requant', 'shift-exp-lane', 'gelu-divider', 'lis', 'pts-layernorm'];

export const VECTOR_FILES = { input: 'vectors.in', expected: 'vectors.expected', manifest: 'vectors.json', output: 'vectors.out' } as const;

/** Write vectors.in, vectors.expected and vectors.json into `dir`; returns their paths. */
export function writeBenchVectors(dir: string, v: BenchVectors): string[] {
  const files: Array<[string, string]> = [
    [VECTOR_FILES.input, v.inputLines.join('\n') + '\n'],
    [VECTOR_FILES.expected, v.expectedLines.join('\n') + '\n'],
    // the per-vector beat counts on one line, not one number per line
    [
      VECTOR_FILES.manifest,
      JSON.stringify({ ...v.manifest, outputBeatsPerVector: '@' }, null, 2).replace('"@"', JSON.stringify(v.manifest.outputBeatsPerVector)) + '\n',
    ],
  ];
  return files.map(([name, text]) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  });
}
