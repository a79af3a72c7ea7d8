import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { PTS_LAYERNORM_DEFAULTS, buildPtsLayerNormUnit, ptsLayerNormWidths } from '../../rtl-gen/units/pts-layernorm.js';
import { ptsLayerNormTiming } from '../../rtl-gen/timing.js';
import { describeUnit } from '../../rtl-gen/descriptor.js';
import { buildSimulation } from '../../verify/rtl/simulate.js';
import { cosimulate } from '../../verify/rtl/cosim.js';
import { assertRowsMatchGolden } from '../../verify/rtl/property.js';
import { type PtsRowCase, ptsLayerNormAdapter } from '../../verify/rtl/pts-layernorm-adapter.js';
import { printComparedValues } from './support.js';

const rowArb = (maxLen: number): fc.Arbitrary<PtsRowCase> =>
  fc.integer({ min: 1, max: maxLen }).chain((c) =>
    fc.record({
      q: fc.array(fc.integer({ min: -128, max: 127 }), { minLength: c, maxLength: c }),
      alpha: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: c, maxLength: c }),
      m: fc.array(fc.integer({ min: -255, max: 255 }), { minLength: c, maxLength: c }),
      n: fc.array(fc.integer({ min: 0, max: 31 }), { minLength: c, maxLength: c }),
      b: fc.array(fc.oneof(fc.integer({ min: -2000, max: 2000 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })), { minLength: c, maxLength: c }),
    }),
  );

/** a row of C channels, each with one constant set */
function uniform(q: number[], alpha: number, m: number, n: number, b: number): PtsRowCase {
  return { q, alpha: q.map(() => alpha), m: q.map(() => m), n: q.map(() => n), b: q.map(() => b) };
}

describe('rtl: FQ-ViT PTS LayerNorm unit', function () {
  this.timeout(300000);
  after(printComparedValues);
  const u1 = buildPtsLayerNormUnit(PTS_LAYERNORM_DEFAULTS);
  const u4 = buildPtsLayerNormUnit({ ...PTS_LAYERNORM_DEFAULTS, lanes: 4 });

  it('matches the golden op on drawn rows (fast-check, every α, signed M, every N, wide B), 1 and 4 lanes, Verilator', () => {
    for (const u of [u1, u4]) {
      const edge: PtsRowCase[] = [
        uniform([5], 0, 255, 0, 0), // C = 1: D = 0, std = 1
        uniform(new Array<number>(64).fill(-128), 3, -255, 31, -(2 ** 31)), // D = 0 for a constant row
        uniform([-128, 127, -128, 127, 0, 0, 1, -1], 3, 255, 0, 2 ** 31 - 1), // saturation both ways
        uniform([1, 0, 0], 0, 255, 0, 0), // D = 2·… small: factor near 2^31
        { ...uniform([-128, 127, 3, 2], 0, 100, 7, 5), alpha: [3, 0, 1, 2] },
        uniform(
          Array.from({ length: 768 }, (_, i) => ((i * 97) % 256) - 128),
          3,
          201,
          9,
          -77,
        ), // DeiT-S width, the widest D
      ];
      const run = assertRowsMatchGolden(ptsLayerNormAdapter(u), buildSimulation(u, 'verilator', 1024), rowArb(200), { numRuns: 60, seed: 11, extraRows: edge });
      assert.ok(run.vectors > 1000);
    }
  });

  it('Icarus agrees with the golden op (second simulator), 3 lanes', () => {
    const u3 = buildPtsLayerNormUnit({ ...PTS_LAYERNORM_DEFAULTS, lanes: 3 });
    assertRowsMatchGolden(ptsLayerNormAdapter(u3), buildSimulation(u3, 'icarus', 64), rowArb(40), { numRuns: 25, seed: 4 });
  });

  it('measured latency and II = descriptor = ptsLayerNormTiming; a wrong expectation is caught', () => {
    const { dBits } = ptsLayerNormWidths(PTS_LAYERNORM_DEFAULTS);
    for (const u of [u1, u4]) {
      const lanes = u.params.lanes as number;
      const lengths = [1, 2, 5, 64, 197];
      const rows = lengths.map((c, i) =>
        uniform(
          Array.from({ length: c }, (_, j) => ((j * 37 + i) % 256) - 128),
          i % 4,
          150,
          10,
          3,
        ),
      );
      rows.push(uniform([0], 0, 1, 0, 0));
      const adapter = ptsLayerNormAdapter(u);
      const build = buildSimulation(u, 'verilator', 1024);
      const r = cosimulate(adapter, build, rows);
      assert.deepEqual(r.mismatches, []);
      const desc = describeUnit(u, 1024);
      lengths.forEach((c, i) => {
        const t = ptsLayerNormTiming({ rowLength: c, lanes, dBits });
        assert.deepEqual({ latency: r.timing[i]!.latency, initiationInterval: r.timing[i]!.initiationInterval }, t, `C = ${c}, L = ${lanes}`);
        const ex = desc.timing.examples.find((e) => e.rowLength === c);
        if (ex) assert.deepEqual({ latency: ex.latency, initiationInterval: ex.initiationInterval }, t);
      });
      const wrong = { ...adapter, expected: (row: PtsRowCase) => adapter.expected({ ...row, b: row.b.map((b, i) => b + 2 ** row.n[i]!) }) };
      assert.ok(cosimulate(wrong, build, rows.slice(3, 4)).mismatches.length > 0);
    }
  });
});
