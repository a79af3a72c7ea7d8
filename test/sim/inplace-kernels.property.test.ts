/**
 * The in-place WebAssembly kernels (requant, resadd, the fused requant of layernorm and shiftgelu) leave the
 * machine memories exactly as the JavaScript paths do, which read the whole source before writing: for random
 * operands in either memory, every element type, strides that overlap, sources that alias the destination,
 * per-tensor and per-channel tables with shifts inside and outside the kernels' range, and both tie rules.
 * The JavaScript paths themselves equal the golden ops (sdu-kernels.property.test.ts; checked here too).
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { DEFAULT_CONFIG, applyOverrides, numericsOf } from '../../sim/config.js';
import { MachineState } from '../../sim/state.js';
import { BEHAVIOURS } from '../../sim/instructions/index.js';
import type { ExecContext } from '../../sim/instructions/index.js';
import { operandRef, readRows } from '../../sim/exec/operands.js';
import { requantOne } from '../../verify/golden/ops/requant.js';
import type { Fields } from '../../isa/table.js';
import type { TieRule } from '../../verify/golden/intmath.js';

const cfg = applyOverrides(DEFAULT_CONFIG, ['scratchpad.bytes=8192', 'accumulator.words=2048', 'dram.bytes=65536']);
const TABLE_AT = 7000; // the requant tables live here, clear of every operand below

type Space = 'spad' | 'acc';
type Elem = 'i8' | 'i16' | 'i32';
interface Operand {
  space: Space;
  addr: number;
  stride: number;
  type: Elem;
}

const BYTES: Record<Elem, number> = { i8: 1, i16: 2, i32: 4 };

/** An operand in the first 5760 scratchpad bytes or 1440 accumulator words, its rows possibly overlapping. */
function operandArb(cols: number): fc.Arbitrary<Operand> {
  return fc
    .record({
      space: fc.constantFrom<Space>('spad', 'spad', 'acc'),
      type: fc.constantFrom<Elem>('i8', 'i16', 'i32'),
      slot: fc.integer({ min: 0, max: 3 }),
      offset: fc.integer({ min: 0, max: 7 }),
      stride: fc.oneof(fc.constant(cols), fc.integer({ min: 0, max: cols + 3 })),
    })
    .map(({ space, type, slot, offset, stride }) => {
      const t: Elem = space === 'acc' ? 'i32' : type;
      // four slots that a block of up to 8 rows × 15 elements cannot leave: distinct slots never overlap; any
      // byte offset, so int16 and int32 rows are unaligned too
      return { space, type: t, addr: slot * (space === 'acc' ? 360 : 1440) + offset, stride };
    });
}

const shift = fc.oneof(fc.integer({ min: 0, max: 62 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: -70, max: 130 }));
const multiplier = fc.oneof(
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  fc.integer({ min: -1000, max: 1000 }),
  fc.constantFrom(0, 1, -1, 2 ** 30, -(2 ** 31)),
);
const tie = fc.constantFrom<TieRule>('half-even', 'half-up');

/** Two machines with the same random memories: one with the in-place kernels, one on the JavaScript paths. */
function twins(seed: number): [MachineState, MachineState] {
  const fast = new MachineState(cfg);
  const slow = new MachineState(cfg, { inPlaceKernels: false });
  assert.ok(fast.kernels, 'the simulator kernels (dist/sim/exec/wasm/sim-kernels.wasm) are built and load');
  let s = seed >>> 0 || 1;
  const next = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
  for (let i = 0; i < cfg.scratchpad.bytes; i++) fast.spad[i] = next() & 0xff;
  // mostly small accumulators, some near the int32 limits
  for (let i = 0; i < cfg.accumulator.words; i++) fast.acc[i] = next() % 7 === 0 ? next() | 0 : (next() % 200001) - 100000;
  slow.spad.set(fast.spad);
  slow.acc.set(fast.acc);
  return [fast, slow];
}

function writeTable(sts: MachineState[], at: number, table: readonly { m: number; c: number }[]): void {
  for (const st of sts)
    table.forEach((d, i) => {
      st.spadView.setInt32(at + 8 * i, d.m, true);
      st.spadView.setInt32(at + 8 * i + 4, d.c, true);
    });
}

/** Run one instruction on a machine: its error message, or null. */
function attempt(run: () => void): string | null {
  try {
    run();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

function assertSameMemories(fast: MachineState, slow: MachineState, what: string): void {
  assert.ok(Buffer.from(fast.spad).equals(Buffer.from(slow.spad)), `${what}: scratchpads differ`);
  assert.ok(
    Buffer.from(fast.acc.buffer, fast.acc.byteOffset, fast.acc.byteLength).equals(Buffer.from(slow.acc.buffer, slow.acc.byteOffset, slow.acc.byteLength)),
    `${what}: accumulators differ`,
  );
}

function fieldsOf<P extends string>(p: P, o: Operand): Record<string, number | string> {
  return { [`${p}space`]: o.space, [p]: o.addr, [`${p}stride`]: o.stride, [`${p}type`]: o.type };
}

const shape = fc.record({ rows: fc.integer({ min: 1, max: 8 }), cols: fc.integer({ min: 1, max: 12 }) });

describe('in-place kernels = the JavaScript paths, memory for memory', () => {
  it('requant: any operands, aliasing included, both table modes, both tie rules', () => {
    fc.assert(
      fc.property(
        shape.chain(({ rows, cols }) =>
          fc.record({
            rows: fc.constant(rows),
            cols: fc.constant(cols),
            s: operandArb(cols),
            d: fc.oneof(operandArb(cols), fc.constant(null)), // null: d = s, in place
            perChannel: fc.boolean(),
            table: fc.array(fc.record({ m: multiplier, c: shift }), { minLength: cols, maxLength: cols }),
            tie,
            seed: fc.integer(),
          }),
        ),
        ({ rows, cols, s, d, perChannel, table, tie, seed }) => {
          const dst = d ?? s;
          const [fast, slow] = twins(seed);
          writeTable([fast, slow], TABLE_AT, table);
          const f = {
            rows,
            cols,
            qmode: perChannel ? 'channel' : 'tensor',
            qtab: TABLE_AT,
            wait: 0,
            signal: 0,
            ...fieldsOf('s', s),
            ...fieldsOf('d', dst),
          } as unknown as Fields<'requant'>;
          const numerics = { ...numericsOf(cfg), requantTie: tie };
          const ctx: ExecContext = { config: cfg, numerics, detailedArray: false, site: 't' };
          const source = readRows(slow, operandRef(f, 's'), rows, cols);
          const e1 = attempt(() => BEHAVIOURS.requant.execute(fast, f, ctx));
          const e2 = attempt(() => BEHAVIOURS.requant.execute(slow, f, ctx));
          assert.equal(e1, e2);
          assertSameMemories(fast, slow, 'requant');
          if (e2 === null && !d) {
            // in place: each element is the golden op of the value it replaced
            const got = readRows(slow, operandRef(f, 'd'), rows, cols);
            const overlappingRows = rows > 1 && s.stride < cols;
            if (!overlappingRows) source.forEach((z, i) => assert.equal(got[i], requantOne(z, table[perChannel ? i % cols : 0]!, 8 * BYTES[dst.type], tie)));
          }
        },
      ),
      { numRuns: 600 },
    );
  });

  it('resadd: any operands, x or y aliasing the destination, both table modes, both tie rules', () => {
    fc.assert(
      fc.property(
        shape.chain(({ rows, cols }) =>
          fc.record({
            rows: fc.constant(rows),
            cols: fc.constant(cols),
            x: operandArb(cols),
            y: operandArb(cols),
            d: fc.oneof(operandArb(cols), fc.constantFrom('x' as const, 'y' as const)),
            xChannel: fc.boolean(),
            yChannel: fc.boolean(),
            tx: fc.array(fc.record({ m: multiplier, c: shift }), { minLength: cols, maxLength: cols }),
            ty: fc.array(fc.record({ m: multiplier, c: shift }), { minLength: cols, maxLength: cols }),
            tie,
            seed: fc.integer(),
          }),
        ),
        ({ rows, cols, x, y, d, xChannel, yChannel, tx, ty, tie, seed }) => {
          const dst = d === 'x' ? x : d === 'y' ? y : d;
          const [fast, slow] = twins(seed);
          writeTable([fast, slow], TABLE_AT, tx);
          writeTable([fast, slow], TABLE_AT + 8 * 12, ty);
          const f = {
            rows,
            cols,
            qxmode: xChannel ? 'channel' : 'tensor',
            qx: TABLE_AT,
            qymode: yChannel ? 'channel' : 'tensor',
            qy: TABLE_AT + 8 * 12,
            wait: 0,
            signal: 0,
            ...fieldsOf('x', x),
            ...fieldsOf('y', y),
            ...fieldsOf('d', dst),
          } as unknown as Fields<'resadd'>;
          const ctx: ExecContext = { config: cfg, numerics: { ...numericsOf(cfg), requantTie: tie }, detailedArray: false, site: 't' };
          const e1 = attempt(() => BEHAVIOURS.resadd.execute(fast, f, ctx));
          const e2 = attempt(() => BEHAVIOURS.resadd.execute(slow, f, ctx));
          assert.equal(e1, e2);
          assertSameMemories(fast, slow, 'resadd');
        },
      ),
      { numRuns: 600 },
    );
  });

  it('layernorm and shiftgelu with a fused requant: the same destination as the JavaScript paths', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 2, max: 12 }),
        fc.boolean(),
        fc.array(fc.record({ m: multiplier, c: shift }), { minLength: 12, maxLength: 12 }),
        tie,
        fc.integer(),
        fc.integer({ min: -40, max: -8 }),
        // n = 1, k = 18, x0 = −1: a degenerate ShiftGELU whose outputs pass int32 (the JavaScript path takes them)
        fc.constantFrom({ n: 23, k: 8, degenerate: false }, { n: 1, k: 18, degenerate: true }),
        (rows, cols, perChannel, table, tie, seed, x0Drawn, exp) => {
          const x0 = exp.degenerate ? -1 : x0Drawn;
          const [fast, slow] = twins(seed);
          writeTable([fast, slow], TABLE_AT, table);
          const ctx: ExecContext = { config: cfg, numerics: { ...numericsOf(cfg), requantTie: tie }, detailedArray: false, site: 't' };
          const common = { rows, cols, qmode: perChannel ? 'channel' : 'tensor', qtab: TABLE_AT, wait: 0, signal: 0 };
          const ln = {
            ...common,
            ...fieldsOf('s', { space: 'spad', addr: 0, stride: cols, type: 'i16' }),
            ...fieldsOf('d', { space: 'spad', addr: 3000, stride: cols, type: 'i8' }),
            bmode: 'none',
            btab: 0,
          } as unknown as Fields<'layernorm'>;
          assert.equal(
            attempt(() => BEHAVIOURS.layernorm.execute(fast, ln, ctx)),
            attempt(() => BEHAVIOURS.layernorm.execute(slow, ln, ctx)),
          );
          assertSameMemories(fast, slow, 'layernorm');
          const gelu = {
            ...common,
            ...fieldsOf('s', { space: 'spad', addr: 1000, stride: cols, type: exp.degenerate ? 'i16' : 'i8' }),
            ...fieldsOf('d', { space: 'acc', addr: 100, stride: cols, type: 'i32' }),
            x0,
            n: exp.n,
            k: exp.k,
          } as unknown as Fields<'shiftgelu'>;
          assert.equal(
            attempt(() => BEHAVIOURS.shiftgelu.execute(fast, gelu, ctx)),
            attempt(() => BEHAVIOURS.shiftgelu.execute(slow, gelu, ctx)),
          );
          assertSameMemories(fast, slow, 'shiftgelu');
        },
      ),
      { numRuns: 300 },
    );
  });
});
