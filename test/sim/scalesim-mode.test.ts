/**
 * The SCALE-Sim timing mode (array.model "scalesim") against SCALE-Sim v2 itself: every row of
 * docs/scalesim-comparison.json (written by scripts/scalesim-compare.mjs from SCALE-Sim's own runs) must match
 * to the cycle, and the committed set must cover every distinct gemm shape of DeiT-T and DeiT-S at every array
 * and dataflow. A run in scalesim mode keeps the values bit-exact and charges each gemm SCALE-Sim's cycles.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scaleSimOperands, scaleSimTiming, type ScaleSimDataflow } from '../../sim/array/scalesim.js';
import { arrayTiming } from '../../sim/array/timing.js';
import { DEFAULT_CONFIG, applyOverrides, numericsOf } from '../../sim/config.js';
import { zooConfig } from '../../verify/golden/zoo.js';
import { graphFromConfig } from '../../programs/graph/build.js';
import { compileGraph } from '../../programs/compiler/compile.js';
import { decodeAll } from '../../isa/disasm.js';
import { gemmShape } from '../../sim/timing/units.js';
import { assemble } from '../../isa/asm/assembler.js';
import { runProgram } from '../../sim/run.js';
import { type GemmCase, gemmProgram, goldenGemm } from './gemm-programs.js';
import { initialDram, readI32 } from './helpers.js';
import { REPO } from '../cli/cli-run.js';

interface Row {
  m: number;
  n: number;
  k: number;
  passes: number;
  rows: number;
  cols: number;
  dataflow: ScaleSimDataflow;
  scaleSim: { M: number; N: number; K: number; totalCycles: number; stallCycles: number };
  ours: number;
}

const doc = JSON.parse(readFileSync(join(REPO, 'docs', 'scalesim-comparison.json'), 'utf8')) as { rows: Row[]; mismatches: number };

describe('array.model "scalesim" against SCALE-Sim v2', () => {
  it('equals SCALE-Sim v2 Total Cycles on every committed layer', () => {
    assert.ok(doc.rows.length >= 600, `only ${doc.rows.length} rows`);
    let bad = 0;
    for (const r of doc.rows) {
      const s = { m: r.m, n: r.n, k: r.k, passes: r.passes };
      assert.deepEqual(scaleSimOperands(s, r.dataflow), { M: r.scaleSim.M, N: r.scaleSim.N, K: r.scaleSim.K });
      assert.equal(r.scaleSim.stallCycles, 0);
      const ours = scaleSimTiming({ rows: r.rows, cols: r.cols }, s, r.dataflow).cycles;
      if (ours !== r.scaleSim.totalCycles) bad++;
    }
    assert.equal(bad, 0, `${bad} layers differ from SCALE-Sim`);
    assert.equal(doc.mismatches, 0);
  });

  it('covers every distinct gemm shape of DeiT-T and DeiT-S at 4×4, 8×8, 16×16 and 32×32, ws/os/is', () => {
    const have = new Set(doc.rows.map((r) => `${r.rows}x${r.cols}/${r.dataflow}/${r.m}x${r.n}x${r.k}x${r.passes}`));
    for (const name of ['deit-t', 'deit-s']) {
      const cfg = JSON.parse(JSON.stringify(DEFAULT_CONFIG)) as typeof DEFAULT_CONFIG;
      const compiled = compileGraph(graphFromConfig(zooConfig(name), numericsOf(cfg)), cfg, {});
      for (const ins of decodeAll(compiled.image)) {
        if (ins.mnemonic !== 'gemm') continue;
        const s = gemmShape(ins.fields);
        for (const R of [4, 8, 16, 32])
          for (const df of ['ws', 'os', 'is'])
            assert.ok(have.has(`${R}x${R}/${df}/${s.m}x${s.n}x${s.k}x${s.passes}`), `${name} ${s.m}x${s.n}x${s.k} at ${R}x${R} ${df}`);
      }
    }
  });

  it('WS: never counts fewer cycles than the overlapped array (SCALE-Sim reloads weights between folds)', () => {
    // (OS is not ordered: SCALE-Sim does not count the drain of the last tile, which the overlapped model does)
    for (const r of doc.rows) {
      if (r.dataflow !== 'ws') continue;
      const g = { rows: r.rows, cols: r.cols };
      const s = { m: r.m, n: r.n, k: r.k, passes: r.passes };
      assert.ok(scaleSimTiming(g, s, 'ws').cycles >= arrayTiming(g, s, 'ws').cycles - 1, JSON.stringify(r));
    }
  });

  for (const dataflow of ['ws', 'os', 'is'] as const) {
    it(`a gemm program in scalesim mode (${dataflow}): values equal the golden matmul, each gemm takes SCALE-Sim's cycles`, () => {
      const c: GemmCase = { m: 7, n: 13, k: 11, tm: 7, tn: 13, tk: 11, wide: true, transposedB: false, bias: true, seed: 5 };
      const cfg = applyOverrides(DEFAULT_CONFIG, ['array.rows=4', 'array.cols=4', `array.dataflow=${dataflow}`, 'array.model=scalesim']);
      const p = assemble(gemmProgram(c));
      const { run } = runProgram(p, { config: cfg });
      const gemms = run.executed.filter((x) => x.ins.mnemonic === 'gemm');
      assert.equal(gemms.length, 1);
      assert.equal(gemms[0]!.cost.cycles, scaleSimTiming({ rows: 4, cols: 4 }, { m: 7, n: 13, k: 11, passes: 2 }, dataflow).cycles);
      assert.deepEqual(readI32(run.state!.dram, 0x8000, c.m * c.n), Array.from(goldenGemm(c, initialDram(p, cfg.dram.bytes))));
    });
  }

  it('rejects the detailed PE-by-PE model in scalesim mode', () => {
    const c: GemmCase = { m: 3, n: 3, k: 3, tm: 3, tn: 3, tk: 3, wide: false, transposedB: false, bias: false, seed: 1 };
    const cfg = applyOverrides(DEFAULT_CONFIG, ['array.model=scalesim']);
    assert.throws(() => runProgram(assemble(gemmProgram(c)), { config: cfg, detailedArray: true }), /does not combine with array\.model "scalesim"/);
  });
});
