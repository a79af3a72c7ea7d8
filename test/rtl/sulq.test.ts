import { strict as assert } from 'node:assert';
import { SULQ_LANE_DEFAULTS, buildSulqLaneUnit, sulqLaneWidths } from '../../rtl-gen/units/sulq-lane.js';
import { sulqLaneTiming } from '../../rtl-gen/timing.js';
import { describeUnit } from '../../rtl-gen/descriptor.js';
import { buildSimulation } from '../../verify/rtl/simulate.js';
import { cosimulate } from '../../verify/rtl/cosim.js';
import { type SulqLaneCase, sulqLaneAdapter } from '../../verify/rtl/sulq-adapter.js';
import { printComparedValues } from './support.js';

const u = buildSulqLaneUnit(SULQ_LANE_DEFAULTS);
const { constants: k, inputBits } = sulqLaneWidths(SULQ_LANE_DEFAULTS);
const P_TOP = 2 ** SULQ_LANE_DEFAULTS.inputFracBits;

/** every P ∈ [0, 2^f] once, V walking over every int8 value; then every threshold's two sides against every V */
function everyInput(): SulqLaneCase[] {
  const cases: SulqLaneCase[] = [];
  for (let p = 0; p <= P_TOP; p++) cases.push({ p, v: (p % 256) - 128 });
  for (const t of k.thresholds) for (const p of [t - 1, t]) for (let v = -128; v <= 127; v++) cases.push({ p, v });
  return cases;
}
const BENCH_ROWS = P_TOP + 1 + 2 * k.thresholds.length * 256;

describe('rtl: I&S-ViT SULQ decode lane', function () {
  this.timeout(300000);
  after(printComparedValues);

  it('code, shift and V << shift for every P ∈ [0, 2^15], and every code edge against every int8 V, Verilator', () => {
    const cases = everyInput();
    assert.equal(cases.length, BENCH_ROWS);
    assert.equal(inputBits, 16);
    const adapter = sulqLaneAdapter(u, SULQ_LANE_DEFAULTS);
    const r = cosimulate(adapter, buildSimulation(u, 'verilator', BENCH_ROWS), [cases]);
    assert.equal(r.vectors, BENCH_ROWS);
    assert.deepEqual(r.mismatches.slice(0, 3), []);
    const codes = new Set(adapter.expected(cases).map((b) => Number(b[0]![0])));
    assert.equal(codes.size, k.levels + 1, 'the stimulus reaches every code');
  });

  it('Icarus agrees on every code edge against every int8 V', () => {
    const cases = everyInput().slice(P_TOP + 1);
    const r = cosimulate(sulqLaneAdapter(u, SULQ_LANE_DEFAULTS), buildSimulation(u, 'icarus', cases.length), [cases]);
    assert.deepEqual(r.mismatches.slice(0, 3), []);
  });

  it('measured latency and II = descriptor = sulqLaneTiming; a wrong expectation is caught', () => {
    const rows: SulqLaneCase[][] = [1, 2, 5, 64].map((len) => Array.from({ length: len }, (_, j) => ({ p: j * 500, v: j - 30 })));
    const adapter = sulqLaneAdapter(u, SULQ_LANE_DEFAULTS);
    const build = buildSimulation(u, 'verilator', BENCH_ROWS);
    const r = cosimulate(adapter, build, rows);
    assert.deepEqual(r.mismatches, []);
    const desc = describeUnit(u, BENCH_ROWS);
    rows.forEach((row, i) => {
      const t = sulqLaneTiming({ rowLength: row.length, lanes: 1 });
      assert.equal(r.timing[i]!.latency, t.latency, `N = ${row.length}`);
      const ex = desc.timing.examples.find((e) => e.rowLength === row.length);
      if (ex) assert.deepEqual({ latency: ex.latency, initiationInterval: ex.initiationInterval }, t);
    });
    // one below each threshold expected as if on it: the lane must disagree
    const wrong = { ...adapter, expected: (row: SulqLaneCase[]) => adapter.expected(row.map((c) => ({ ...c, p: c.p + 1 }))) };
    const bad = cosimulate(wrong, build, [k.thresholds.map((t) => ({ p: t - 1, v: 5 }))]);
    assert.equal(bad.mismatches.length > 0, true);
  });
});
