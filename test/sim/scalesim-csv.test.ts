/**
 * The SCALE-Sim CSVs of a whole DeiT-T run (timing only), parsed back: rows aligned across the three files with
 * integer LayerIDs in execution order, Total Cycles summing to the run's cycles, stalls never above the total,
 * utilisations within 100%, the MACs and every access count summing to the run's, bandwidths = count / layer cycles.
 * scripts/scalesim-compare.mjs --reader loads the same files with SCALE-Sim's own reader (docs/simulator.md).
 */
import { strict as assert } from 'node:assert';
import { DEFAULT_CONFIG, applyOverrides, numericsOf } from '../../sim/config.js';
import { zooConfig } from '../../verify/golden/zoo.js';
import { graphFromConfig } from '../../programs/graph/build.js';
import { compileGraph } from '../../programs/compiler/compile.js';
import { runProgram } from '../../sim/run.js';
import { scaleSimReportFiles } from '../../sim/report/csv.js';

type Table = { header: string[]; rows: number[][] };

function parseScaleSim(text: string): Table {
  const lines = text.trim().split('\n');
  const cells = lines.map((l) => {
    assert.ok(l.endsWith(','), l);
    return l.slice(0, -1).split(', ');
  });
  const rows = cells.slice(1).map((r) => r.map(Number));
  for (const r of rows) for (const v of r) assert.ok(Number.isFinite(v), r.join());
  return { header: cells[0]!, rows };
}

const col = (t: Table, name: string): number[] => {
  const i = t.header.indexOf(name);
  assert.ok(i >= 0, name);
  return t.rows.map((r) => r[i]!);
};
const sum = (v: number[]): number => v.reduce((a, b) => a + b, 0);

for (const model of ['overlap', 'scalesim'] as const) {
  describe(`SCALE-Sim CSVs of a DeiT-T run (array.model ${model})`, () => {
    const cfg = applyOverrides(DEFAULT_CONFIG, [`array.model=${model}`]);
    const compiled = compileGraph(graphFromConfig(zooConfig('deit-t'), numericsOf(cfg)), cfg, {});
    const { run, report } = runProgram(compiled.image, { config: compiled.config, timingOnly: true });
    const files = new Map(scaleSimReportFiles(run, report, cfg));
    const compute = parseScaleSim(files.get('COMPUTE_REPORT.csv')!);
    const bw = parseScaleSim(files.get('BANDWIDTH_REPORT.csv')!);
    const detail = parseScaleSim(files.get('DETAILED_ACCESS_REPORT.csv')!);
    const pes = cfg.array.rows * cfg.array.cols;

    it('has one row per layer in every file, LayerID 0, 1, 2, … in execution order', () => {
      assert.equal(compute.rows.length, report.regions.length);
      const ids = report.regions.map((_, i) => i);
      assert.deepEqual(col(compute, 'LayerID'), ids);
      assert.deepEqual(col(bw, 'LayerID'), ids);
      assert.deepEqual(col(detail, 'LayerID'), ids);
      const firstPcs = report.regions.map((r) => r.firstPc);
      assert.deepEqual(
        firstPcs,
        [...firstPcs].sort((a, b) => a - b),
      );
      const names = files.get('SCALESIM_LAYERS.csv')!.trim().split('\n').slice(1);
      assert.equal(names.length, report.regions.length);
    });

    it('sums Total Cycles to the run, stalls within the total, utilisations within 100%', () => {
      const total = col(compute, 'Total Cycles');
      const stall = col(compute, 'Stall Cycles');
      assert.equal(sum(total), report.totalCycles);
      total.forEach((t, i) => {
        assert.ok(Number.isInteger(t) && t >= 0);
        assert.ok(stall[i]! >= 0 && stall[i]! <= t, `layer ${i}: stall ${stall[i]} of ${t}`);
      });
      for (const name of ['Overall Util %', 'Mapping Efficiency %', 'Compute Util %'])
        for (const v of col(compute, name)) assert.ok(v >= 0 && v <= 100.0001, `${name} ${v}`);
      // the MACs the windows hold add up to the run's (Overall Util % × R·C × cycles)
      const macs = sum(col(compute, 'Overall Util %').map((u, i) => (u / 100) * pes * total[i]!));
      assert.ok(Math.abs(macs - report.macs) / report.macs < 1e-5, `${macs} vs ${report.macs}`);
      // the array is busy in the cycles that are not stalls: Σ busy = the compute unit's busy cycles
      assert.equal(sum(total) - sum(stall), run.unitBusy.compute);
    });

    it('sums every access count to the run and gives bandwidth as words per layer cycle', () => {
      const classes = report.regions.map((r) => r.classes.gemm);
      const words = (k: 'ifmapSram' | 'filterSram' | 'ofmapSram'): number => sum(classes.map((c) => c?.[k] ?? 0));
      assert.equal(sum(col(detail, 'SRAM IFMAP Reads')), words('ifmapSram'));
      assert.equal(sum(col(detail, 'SRAM Filter Reads')), words('filterSram'));
      assert.equal(sum(col(detail, 'SRAM OFMAP Writes')), words('ofmapSram'));
      assert.equal(sum(col(detail, 'DRAM IFMAP Reads')) + sum(col(detail, 'DRAM Filter Reads')), report.dma.bytesRead);
      assert.equal(sum(col(detail, 'DRAM OFMAP Writes')), report.dma.bytesWritten);
      const total = col(compute, 'Total Cycles');
      const pairs: Array<[string, string]> = [
        ['Avg IFMAP SRAM BW', 'SRAM IFMAP Reads'],
        ['Avg FILTER SRAM BW', 'SRAM Filter Reads'],
        ['Avg OFMAP SRAM BW', 'SRAM OFMAP Writes'],
        ['Avg IFMAP DRAM BW', 'DRAM IFMAP Reads'],
        ['Avg FILTER DRAM BW', 'DRAM Filter Reads'],
        ['Avg OFMAP DRAM BW', 'DRAM OFMAP Writes'],
      ];
      for (const [b, c] of pairs) {
        const rate = col(bw, b);
        col(detail, c).forEach((n, i) => assert.ok(Math.abs(rate[i]! - (total[i]! > 0 ? n / total[i]! : 0)) < 1e-4, `${b} layer ${i}`));
      }
      for (const [start, stop] of [
        ['SRAM IFMAP Start Cycle', 'SRAM IFMAP Stop Cycle'],
        ['DRAM OFMAP Start Cycle', 'DRAM OFMAP Stop Cycle'],
      ] as const)
        col(detail, start).forEach((s, i) => assert.ok(s <= col(detail, stop)[i]! && col(detail, stop)[i]! < report.totalCycles));
    });

    it('puts every SDU class of the run in SDU_REPORT.csv', () => {
      const rows = files
        .get('SDU_REPORT.csv')!
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(', '));
      const busy = new Map<string, number>();
      for (const r of rows) busy.set(r[2]!, (busy.get(r[2]!) ?? 0) + Number(r[4]));
      for (const [k, c] of Object.entries(report.classes)) if (!['gemm', 'dma', 'sync'].includes(k)) assert.equal(busy.get(k), c!.busyCycles, k);
    });
  });
}
