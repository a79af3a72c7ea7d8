/**
 * Co-simulation of a generated unit against the golden model: rows become beat lines, the simulator's
 * output beats are compared bit for bit with the golden model's, and each row's latency and initiation
 * interval are measured from the bench's cycle log.
 */
import type { GeneratedUnit, StreamPort } from '../../rtl-gen/design.js';
import { type SimBuild, type SimLog, runSimulation } from './simulate.js';

/** How one unit's rows map onto beats and what the golden model expects. */
export interface UnitAdapter<Row> {
  unit: GeneratedUnit;
  /** every input beat of the row, all passes, one value per lane per input port */
  beats(row: Row): bigint[][][];
  /** every output beat of the row, one value per lane per output port (what the golden model gives) */
  expected(row: Row): bigint[][][];
  describe(row: Row): string;
  /**
   * A unit whose rows overlap takes each row in parts (`beats(row)`: the beats of each part, in the row's order)
   * and expects part p of row r in slot r + p, the parts of one slot in `order`: I-LayerNorm's two in [0, 1]
   * (S0, S1, N0, S2, N1, …), Shiftmax's three in [1, 0, 2] (M0, E0, M1, E1, M2, N0, E2, M3, N1, …).
   * Absent: each row's beats in one piece.
   */
  parts?: { beats(row: Row): number[]; order: readonly number[] };
}

export interface RowMismatch {
  row: number;
  beat: number;
  port: string;
  lane: number;
  expected: bigint;
  got: bigint;
}

export interface CosimResult {
  mismatches: RowMismatch[];
  /** per row: measured latency and (from the next row's start) initiation interval */
  timing: Array<{ latency: number; initiationInterval: number | undefined }>;
  vectors: number;
  log: SimLog;
}

export function packLanes(values: bigint[], port: StreamPort): bigint {
  if (values.length !== port.lanes) throw new RangeError(`${port.name}: ${values.length} values for ${port.lanes} lanes`);
  const mask = (1n << BigInt(port.laneBits)) - 1n;
  let word = 0n;
  values.forEach((v, j) => {
    const lo = port.signed ? -(1n << BigInt(port.laneBits - 1)) : 0n;
    const hi = port.signed ? (1n << BigInt(port.laneBits - 1)) - 1n : mask;
    if (v < lo || v > hi) throw new RangeError(`${port.name} lane ${j}: ${v} does not fit ${port.laneBits} bits`);
    word |= (v & mask) << BigInt(j * port.laneBits);
  });
  return word;
}

export function unpackLanes(word: bigint, port: StreamPort): bigint[] {
  const mask = (1n << BigInt(port.laneBits)) - 1n;
  const out: bigint[] = [];
  for (let j = 0; j < port.lanes; j++) {
    let v = (word >> BigInt(j * port.laneBits)) & mask;
    if (port.signed && v >> BigInt(port.laneBits - 1) === 1n) v -= 1n << BigInt(port.laneBits);
    out.push(v);
  }
  return out;
}

export function beatLine(unit: GeneratedUnit, beat: bigint[][]): string {
  return unit.inputs.map((p, i) => packLanes(beat[i]!, p).toString(16)).join(' ');
}

/** Output values compared bit for bit so far in this process, per unit (for the test summary lines). */
export const comparedValues = new Map<string, number>();

/** The input beat lines of a run of rows in the order the unit takes them, and where each row's first beat is. */
export function streamLines<Row>(adapter: UnitAdapter<Row>, rows: readonly Row[]): { lines: string[]; rowStartBeat: number[] } {
  const lines: string[] = [];
  const rowStartBeat: number[] = [];
  const beatLines = rows.map((row) => adapter.beats(row).map((beat) => beatLine(adapter.unit, beat)));
  if (adapter.parts) {
    const { order } = adapter.parts;
    const offsets = rows.map((row) => adapter.parts!.beats(row).reduce<number[]>((acc, b) => [...acc, acc[acc.length - 1]! + b], [0]));
    for (let t = 0; t < rows.length + order.length - 1; t++) {
      for (const part of order) {
        const r = t - part;
        if (r < 0 || r >= rows.length) continue;
        if (part === 0) rowStartBeat[r] = lines.length;
        lines.push(...beatLines[r]!.slice(offsets[r]![part], offsets[r]![part + 1]));
      }
    }
  } else {
    beatLines.forEach((b) => {
      rowStartBeat.push(lines.length);
      lines.push(...b);
    });
  }
  return { lines, rowStartBeat };
}

export function cosimulate<Row>(adapter: UnitAdapter<Row>, build: SimBuild, rows: readonly Row[]): CosimResult {
  const u = adapter.unit;
  const { lines, rowStartBeat } = streamLines(adapter, rows);
  const expected = rows.map((row) => adapter.expected(row));
  const log = runSimulation(build, lines);
  const mismatches: RowMismatch[] = [];
  const timing: CosimResult['timing'] = [];
  let outIndex = 0;
  let vectors = 0;
  rows.forEach((_, r) => {
    const exp = expected[r]!;
    for (let b = 0; b < exp.length; b++) {
      const got = log.outputs[outIndex + b];
      u.outputs.forEach((port, pi) => {
        const want = exp[b]![pi]!;
        const have = got ? unpackLanes(got.fields[pi]!, port) : want.map(() => -1n);
        want.forEach((w, lane) => {
          if (have[lane] !== w) mismatches.push({ row: r, beat: b, port: port.name, lane, expected: w, got: have[lane]! });
        });
      });
    }
    const last = log.outputs[outIndex + exp.length - 1];
    const first = log.accepted[rowStartBeat[r]!];
    const nextFirst = r + 1 < rows.length ? log.accepted[rowStartBeat[r + 1]!] : undefined;
    timing.push({
      latency: last && first !== undefined ? last.cycle - first : -1,
      initiationInterval: nextFirst !== undefined && first !== undefined ? nextFirst - first : undefined,
    });
    outIndex += exp.length;
    vectors += exp.reduce((s, beat) => s + beat[beat.length - 1]!.length, 0);
  });
  comparedValues.set(`${u.unit} (${build.simulator})`, (comparedValues.get(`${u.unit} (${build.simulator})`) ?? 0) + vectors);
  if (log.outputs.length !== outIndex) {
    mismatches.push({ row: rows.length, beat: 0, port: '(beat count)', lane: 0, expected: BigInt(outIndex), got: BigInt(log.outputs.length) });
  }
  return { mismatches, timing, vectors, log };
}

export function formatMismatch<Row>(adapter: UnitAdapter<Row>, rows: readonly Row[], mm: RowMismatch): string {
  const row = rows[mm.row];
  return `row ${mm.row} (${row === undefined ? 'none' : adapter.describe(row)}): beat ${mm.beat} ${mm.port}[${mm.lane}] expected ${mm.expected} got ${mm.got}`;
}
