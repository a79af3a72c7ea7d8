/**
 * The memory plan follows the machine (issue 16): tall weight-stationary arrays get row tiles of at least 2R rows,
 * large scratchpads keep a bank per row slot, and the compile report says why it chose each tile and names the
 * resource that limits it.
 */
import { strict as assert } from 'node:assert';
import { DEFAULT_CONFIG, applyOverrides, numericsOf } from '../../sim/config.js';
import { simulate } from '../../sim/engine.js';
import { ZOO } from '../../verify/golden/zoo.js';
import { graphFromConfig } from '../../programs/graph/build.js';
import { compileGraph } from '../../programs/compiler/compile.js';
import { maxRowTile } from '../../programs/compiler/plan.js';
import { compilerReport } from '../../programs/flows/op-report.js';

const numerics = numericsOf(DEFAULT_CONFIG);
const deitT = graphFromConfig(ZOO['deit-t']!, numerics);

function timed(overrides: string[]) {
  const cfg = applyOverrides(DEFAULT_CONFIG, overrides);
  const p = compileGraph(deitT, cfg);
  const run = simulate(p.image, { config: p.config, timingOnly: true });
  return { plan: p.plan, report: compilerReport(p, run, p.config) };
}

describe('compiler: the plan follows the machine', () => {
  it('the longest row tile grows to the shortest balanced tile of at least 2R rows on tall WS arrays', () => {
    const at = (rows: number, dataflow = 'ws') => maxRowTile(197, applyOverrides(DEFAULT_CONFIG, [`array.rows=${rows}`, `array.dataflow=${dataflow}`]));
    assert.equal(at(16), 64);
    assert.equal(at(32), 66); // 3 tiles of ≤ 66 ≥ 64 = 2R
    assert.equal(at(64), 197); // 2R = 128: one tile
    assert.equal(at(32, 'os'), 64);
  });

  it('a 32×32 WS array streams tiles of at least 64 rows when the scratchpad holds them, and says so', function () {
    this.timeout(120000);
    const { plan, report } = timed(['array.rows=32', 'array.cols=32', 'sdu.lanes=64']);
    assert.ok(plan.rowTile >= 64, `row tile ${plan.rowTile}`);
    assert.match(report.plan[0]!, /row tiles: 3 of 66 tokens: the longest balanced tile .* at least 2R = 64/);
  });

  it('a 16 MiB scratchpad (1 MiB banks) keeps a bank per row slot and stays within 5% of the 1 MiB machine', function () {
    this.timeout(120000);
    const small = timed([]);
    const large = timed(['scratchpad.bytes=16777216']);
    assert.ok(large.plan.spad.row.slotSize >= 16777216 / DEFAULT_CONFIG.scratchpad.banks, `row slot ${large.plan.spad.row.slotSize}`);
    assert.ok(large.report.macUtilisation >= 0.95 * small.report.macUtilisation, `${large.report.macUtilisation} vs ${small.report.macUtilisation}`);
  });

  it('a small scratchpad names itself as the limit of the row tile, and the fold wait it costs', function () {
    this.timeout(120000);
    const { report } = timed(['scratchpad.bytes=262144']);
    assert.match(report.plan[0]!, /scratchpad: 256 KiB holds row tiles of \d+; 50 need at least [\d.]+ KiB/);
    assert.ok(report.plan.some((l) => /shorter than 2R = 32: each weight-stationary fold waits 32 cycles/.test(l)));
  });
});
