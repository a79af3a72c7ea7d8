import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { buildLayerNormUnit } from '../../rtl-gen/units/layernorm.js';
import { LAYERNORM_DEFAULTS } from '../../rtl-gen/units/layernorm-parts.js';
import { overlapRowSchedule, sduRowTiming, sduRunCycles } from '../../rtl-gen/timing.js';
import { buildLayerNormOverlapUnit } from '../../rtl-gen/units/layernorm-overlap.js';
import { buildSimulation } from '../../verify/rtl/simulate.js';
import { cosimulate } from '../../verify/rtl/cosim.js';
import { type LayerNormRowCase, layerNormAdapter } from '../../verify/rtl/adapters.js';
import { assertRowsMatchGolden } from '../../verify/rtl/property.js';
import { printComparedValues } from './support.js';
import { layerNormRow } from '../../verify/golden/ops/layernorm.js';
import { floorSqrt, newtonSqrt10 } from '../../verify/golden/ops/isqrt.js';

const INT31 = 2 ** 31;
const rowArb: fc.Arbitrary<LayerNormRowCase> = fc.tuple(fc.integer({ min: 1, max: 48 }), fc.constantFrom(1, 3, 40, 190, 2000, 32767)).chain(([c, amp]) =>
  fc.record({
    x: fc.array(fc.integer({ min: Math.max(-32768, -amp), max: amp }), { minLength: c, maxLength: c }),
    bias: fc.array(fc.integer({ min: -INT31, max: INT31 - 1 }), { minLength: c, maxLength: c }),
  }),
);

const zeros = (n: number): number[] => new Array<number>(n).fill(0);

function varianceOf(x: number[]): number {
  return layerNormRow(x, undefined, { sqrt: 'floor', mean: 'half-even', halve: 'floor', inputBits: 16, varianceBits: 64, outputBits: 64 }, 'test').var;
}

/** Rows whose V sits where the 10-step Newton loop and ⌊√V⌋ disagree (numerics.md §5's table). */
function newtonEdgeRows(): LayerNormRowCase[] {
  const rows: LayerNormRowCase[] = [];
  rows.push({ x: zeros(5), bias: [7, -7, 0, INT31 - 1, -INT31] }); // V = 0 → std 64 (Newton) or 1 (floor)
  rows.push({ x: [0, 10], bias: zeros(2) }); // V = 50: unconverged Newton
  rows.push({ x: [-3, 97, 40, -120], bias: zeros(4) }); // V ≈ 2·10^4 < 34596
  // V = t² − 1 (the integer-Newton 2-cycle): searched over small rows [a, b, 0]
  let found = 0;
  for (let a = 1; a < 400 && found < 6; a++) {
    for (let b = -a; b <= a && found < 6; b += 7) {
      const x = [a, b, 0];
      const v = varianceOf(x);
      const t = Math.round(Math.sqrt(v + 1));
      if (t * t === v + 1 && v > 34596) {
        rows.push({ x, bias: zeros(3) });
        found++;
      }
    }
  }
  // the largest V for C = 768: half the channels at +32767, half at −32768 (V ≈ 2^39.6)
  rows.push({ x: Array.from({ length: 768 }, (_, i) => (i % 2 === 0 ? 32767 : -32768)), bias: zeros(768) });
  // mean ties: Σx/C = k + 1/2 for even and odd k, both signs
  for (const x of [
    [0, 1],
    [1, 2],
    [-1, -2],
    [-1, 0],
    [3, 4, 5, 6],
    [-32768, -32767],
  ])
    rows.push({ x, bias: zeros(x.length) });
  return rows;
}

describe('rtl: I-LayerNorm row unit', function () {
  this.timeout(300000);
  after(printComparedValues);

  it('the edge rows really separate the Newton replay from ⌊√V⌋ (so the tests below can tell them apart)', () => {
    const rows = newtonEdgeRows();
    const differ = rows.filter((r) => newtonSqrt10(varianceOf(r.x)) !== Math.max(1, floorSqrt(varianceOf(r.x))));
    assert.ok(differ.length >= 5, `${differ.length} rows differ`);
  });

  for (const sqrt of ['newton10', 'floor'] as const) {
    for (const lanes of [1, 4]) {
      it(`matches layerNormRow (${sqrt}) bit for bit, ${lanes} lane(s): fast-check rows + Newton/mean-tie edge rows, Verilator`, () => {
        const u = buildLayerNormUnit({ ...LAYERNORM_DEFAULTS, lanes, sqrt });
        const run = assertRowsMatchGolden(layerNormAdapter(u), buildSimulation(u, 'verilator', 768), rowArb, {
          numRuns: 150,
          seed: lanes * 7 + (sqrt === 'floor' ? 1 : 0),
          extraRows: newtonEdgeRows(),
        });
        assert.ok(run.vectors > 3000);
      });
    }
  }

  it('the Newton unit fails the floor-sqrt expectation on the edge rows (the replay is not a true isqrt)', () => {
    const u = buildLayerNormUnit({ ...LAYERNORM_DEFAULTS, lanes: 2, sqrt: 'newton10' });
    const asFloor = layerNormAdapter(buildLayerNormUnit({ ...LAYERNORM_DEFAULTS, lanes: 2, sqrt: 'floor' }));
    const r = cosimulate({ ...asFloor, unit: u }, buildSimulation(u, 'verilator', 768), newtonEdgeRows());
    assert.ok(r.mismatches.length > 0);
  });

  it('Icarus agrees (second simulator), 2 lanes, Newton', () => {
    const u = buildLayerNormUnit({ ...LAYERNORM_DEFAULTS, lanes: 2 });
    assertRowsMatchGolden(layerNormAdapter(u), buildSimulation(u, 'icarus', 64), rowArb, { numRuns: 25, seed: 21, extraRows: newtonEdgeRows().slice(0, 6) });
  });

  it('measured latency and II = sduRowTiming (Newton) and the descriptor formula (floor)', () => {
    for (const [lanes, sqrt] of [
      [1, 'newton10'],
      [4, 'newton10'],
      [3, 'floor'],
    ] as const) {
      const u = buildLayerNormUnit({ ...LAYERNORM_DEFAULTS, lanes, sqrt });
      const lengths = [1, 2, 5, 8, 64, 192];
      const rows = [...lengths, 1].map((n) => ({ x: Array.from({ length: n }, (_, i) => ((i * 977) % 2001) - 1000), bias: zeros(n) }));
      const r = cosimulate(layerNormAdapter(u), buildSimulation(u, 'verilator', 256), rows);
      assert.deepEqual(r.mismatches, []);
      lengths.forEach((n, i) => {
        const want = sqrt === 'newton10' ? sduRowTiming({ unit: 'layernorm', rowLength: n, lanes, form: 'serial' }) : u.timing(n);
        assert.deepEqual(r.timing[i], want, `N = ${n}, L = ${lanes}, ${sqrt}`);
      });
    }
  });
});

describe('rtl: I-LayerNorm row unit with overlapping rows', function () {
  this.timeout(300000);
  after(printComparedValues);

  for (const sqrt of ['newton10', 'floor'] as const) {
    for (const lanes of [1, 4]) {
      it(`matches layerNormRow (${sqrt}) bit for bit, ${lanes} lane(s), rows interleaved S, S, N, …: fast-check rows + edge rows, Verilator`, () => {
        const u = buildLayerNormOverlapUnit({ ...LAYERNORM_DEFAULTS, lanes, sqrt });
        const run = assertRowsMatchGolden(layerNormAdapter(u), buildSimulation(u, 'verilator', 768), rowArb, {
          numRuns: 120,
          seed: lanes * 11 + (sqrt === 'floor' ? 1 : 0),
          extraRows: newtonEdgeRows(),
        });
        assert.ok(run.vectors > 2000);
      });
    }
  }

  it('the Newton form fails the floor-sqrt expectation on the edge rows', () => {
    const u = buildLayerNormOverlapUnit({ ...LAYERNORM_DEFAULTS, lanes: 2, sqrt: 'newton10' });
    const asFloor = layerNormAdapter(buildLayerNormOverlapUnit({ ...LAYERNORM_DEFAULTS, lanes: 2, sqrt: 'floor' }));
    const r = cosimulate({ ...asFloor, unit: u }, buildSimulation(u, 'verilator', 768), newtonEdgeRows());
    assert.ok(r.mismatches.length > 0);
  });

  it('Icarus agrees (second simulator), 2 lanes, Newton', () => {
    const u = buildLayerNormOverlapUnit({ ...LAYERNORM_DEFAULTS, lanes: 2 });
    assertRowsMatchGolden(layerNormAdapter(u), buildSimulation(u, 'icarus', 64), rowArb, { numRuns: 20, seed: 23, extraRows: newtonEdgeRows().slice(0, 6) });
  });

  it('measured start and end of every row of back-to-back runs = overlapRowSchedule; isolated latency and steady II = sduRowTiming', () => {
    for (const [lanes, sqrt] of [
      [1, 'newton10'],
      [4, 'newton10'],
      [3, 'floor'],
    ] as const) {
      const u = buildLayerNormOverlapUnit({ ...LAYERNORM_DEFAULTS, lanes, sqrt });
      const build = buildSimulation(u, 'verilator', 800);
      // engine-bound (short rows) and stream-bound (2B above the engine loop) runs of five rows
      for (const n of [1, 5, 64, 192, 700]) {
        const rows = Array.from({ length: 5 }, (_, r) => ({
          x: Array.from({ length: n }, (_, i) => ((i * 977 + r * 131) % 2001) - 1000),
          bias: zeros(n).map(() => r),
        }));
        const r = cosimulate(layerNormAdapter(u), build, rows);
        assert.deepEqual(r.mismatches, []);
        const model = u.timing(n);
        const schedule = overlapRowSchedule(rows.length, model.overlap!.beats, model.overlap!.engine);
        const t0 = r.log.accepted[0]!;
        const starts = r.timing.map((_, i) => t0 + schedule.starts[i]!);
        const measuredStarts = [t0];
        r.timing.forEach((t, i) => {
          if (t.initiationInterval !== undefined) measuredStarts.push(measuredStarts[i]! + t.initiationInterval);
        });
        assert.deepEqual(measuredStarts, starts, `starts, N = ${n}, L = ${lanes}, ${sqrt}`);
        assert.deepEqual(
          r.timing.map((t, i) => measuredStarts[i]! + t.latency - t0),
          schedule.ends,
          `ends, N = ${n}, L = ${lanes}, ${sqrt}`,
        );
        assert.equal(r.log.outputs[r.log.outputs.length - 1]!.cycle - t0, sduRunCycles(model, rows.length));
        if (sqrt === 'newton10') assert.deepEqual(model, sduRowTiming({ unit: 'layernorm', rowLength: n, lanes }));
        // the steady state: rows start II apart once the start-up is over
        assert.equal(r.timing[3]!.initiationInterval, model.initiationInterval, `II, N = ${n}, L = ${lanes}, ${sqrt}`);
        assert.ok(model.initiationInterval < model.latency, `II below latency, N = ${n}`);
        // a row alone: the latency formula
        const alone = cosimulate(layerNormAdapter(u), build, rows.slice(0, 1));
        assert.equal(alone.timing[0]!.latency, model.latency, `latency, N = ${n}, L = ${lanes}, ${sqrt}`);
      }
    }
  });

  it('runs are shorter than the one-row unit on DeiT rows (C = 192, 384, 768 at 16 lanes)', () => {
    for (const c of [192, 384, 768]) {
      const ov = sduRowTiming({ unit: 'layernorm', rowLength: c, lanes: 16 });
      const serial = sduRowTiming({ unit: 'layernorm', rowLength: c, lanes: 16, form: 'serial' });
      assert.ok(sduRunCycles(ov, 197) < sduRunCycles(serial, 197));
    }
  });
});
