/** The units' activity timeline against a cycle-by-cycle count of the same slices. */
import { strict as assert } from 'node:assert';
import { DEFAULT_CONFIG, applyOverrides } from '../../sim/config.js';
import { runProgram } from '../../sim/run.js';
import { activityTimeline, unitSlices } from '../../sim/report/activity.js';
import { traceEvents } from '../../sim/report/trace.js';
import { UNITS } from '../../isa/table.js';
import { assembleExample } from '../sim/helpers.js';

const cfg = applyOverrides(DEFAULT_CONFIG, ['dram.bytes=1048576']);
const round = (f: number): number => Math.round(f * 1e4) / 1e4;

describe('activity timeline', () => {
  for (const example of ['gemm-requant.s', 'attention-head.s', 'mlp-gelu.s']) {
    it(`${example}: every bin's busy, stall and overlap fractions equal a cycle-by-cycle count`, () => {
      const image = assembleExample(example);
      const { run } = runProgram(image, { config: cfg });
      for (const bins of [1, 7, 64]) {
        const a = activityTimeline(run, bins);
        assert.ok(a.bins <= bins && a.bins >= 1);
        assert.ok(a.bins * a.binCycles >= run.cycles && (a.bins - 1) * a.binCycles < run.cycles);
        // per cycle: which unit is busy, which stalled
        const busy = Object.fromEntries(UNITS.map((u) => [u, new Uint8Array(a.bins * a.binCycles)]));
        const stall = Object.fromEntries(UNITS.map((u) => [u, new Uint8Array(a.bins * a.binCycles)]));
        for (const s of unitSlices(run)) for (let c = s.start; c < s.end; c++) (s.kind === 'busy' ? busy : stall)[s.unit]![c]! += 1;
        for (const u of UNITS) for (const c of busy[u]!) assert.ok(c <= 1, `${u} runs two instructions in one cycle`);
        const binSum = (arr: Uint8Array, b: number, pred: (c: number) => boolean = () => true): number => {
          let n = 0;
          for (let c = b * a.binCycles; c < (b + 1) * a.binCycles; c++) if (arr[c] && pred(c)) n++;
          return n;
        };
        for (let b = 0; b < a.bins; b++) {
          for (const u of UNITS) {
            assert.equal(a.busy[u][b], round(binSum(busy[u]!, b) / a.binCycles), `${u} busy, bin ${b} of ${a.bins}`);
            assert.equal(a.stall[u][b], round(binSum(stall[u]!, b) / a.binCycles), `${u} stall, bin ${b} of ${a.bins}`);
          }
          const both = binSum(busy.compute!, b, (c) => busy.sdu![c] === 1);
          assert.equal(a.arrayAndSdu[b], round(both / a.binCycles), `both, bin ${b}`);
          assert.equal(a.sduAlone[b], round((binSum(busy.sdu!, b) - both) / a.binCycles), `SDU alone, bin ${b}`);
          assert.equal(a.arrayAlone[b], round((binSum(busy.compute!, b) - both) / a.binCycles), `array alone, bin ${b}`);
        }
      }
    });
  }

  it('the Perfetto trace shows exactly the same slices', () => {
    const image = assembleExample('gemm-requant.s');
    const { run } = runProgram(image, { config: cfg });
    const us = (c: number): number => c / cfg.clockMHz;
    const events = traceEvents(run, image, cfg).traceEvents.filter((e) => e.ph === 'X');
    const slices = unitSlices(run);
    assert.equal(events.length, slices.length);
    slices.forEach((s, i) => {
      const e = events[i]!;
      assert.equal(e.tid, UNITS.indexOf(s.unit) + 1);
      assert.equal(e.ts, us(s.start));
      assert.equal(e.dur, us(s.end - s.start));
      assert.equal(e.cat === 'stall', s.kind === 'stall');
      if (s.kind === 'stall') assert.equal(e.name, `stall: ${s.cause}`);
    });
    assert.ok(
      slices.some((s) => s.kind === 'stall'),
      'the example has stalls to show',
    );
  });
});
