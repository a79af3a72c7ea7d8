/**
 * Random small ViTs (width, heads, depth, tokens, patch size, classes) compiled for random machines (array,
 * dataflow, SDU lanes, scratchpad and accumulator sizes) run bit-exact against the golden model, layer by
 * layer, and the simulated schedule respects every data dependency between units. fast-check shrinks a
 * failure to the smallest model and machine that show it. The same holds for the fqvit preset.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { DEFAULT_CONFIG, applyOverrides } from '../../sim/config.js';
import { generateSyntheticModel, syntheticImage } from '../../verify/model/synthetic.js';
import type { VitConfig } from '../../verify/golden/zoo.js';
import { runEndToEnd } from '../../programs/flows/end-to-end.js';
import { footprintOf } from '../../sim/instructions/index.js';
import type { SimRun } from '../../sim/engine.js';
import type { AcceleratorConfig } from '../../sim/config.js';

export const tinyVit = fc
  .record({
    heads: fc.integer({ min: 1, max: 3 }),
    headDim: fc.constantFrom(4, 8, 12, 16),
    depth: fc.integer({ min: 1, max: 3 }),
    patchSize: fc.constantFrom(2, 4, 8),
    side: fc.integer({ min: 1, max: 6 }),
    inChannels: fc.constantFrom(1, 3),
    mlpRatio: fc.constantFrom(2, 4),
    numClasses: fc.integer({ min: 2, max: 12 }),
    seed: fc.integer({ min: 1, max: 1000 }),
  })
  .map((r): { config: VitConfig; seed: number } => ({
    seed: r.seed,
    config: {
      family: 'vit',
      name: `tiny-w${r.heads * r.headDim}h${r.heads}d${r.depth}p${r.patchSize}s${r.side}`,
      imageSize: r.patchSize * r.side,
      patchSize: r.patchSize,
      inChannels: r.inChannels,
      embedDim: r.heads * r.headDim,
      depth: r.depth,
      heads: r.heads,
      mlpDim: r.mlpRatio * r.heads * r.headDim,
      numClasses: r.numClasses,
    },
  }));

const tinyMachine = fc
  .record({
    rows: fc.integer({ min: 2, max: 16 }),
    cols: fc.integer({ min: 2, max: 16 }),
    dataflow: fc.constantFrom('ws', 'os'),
    lanes: fc.constantFrom(1, 4, 16),
    spadKiB: fc.constantFrom(64, 256, 1024),
    accWords: fc.constantFrom(2048, 65536),
  })
  .map((m) =>
    applyOverrides(DEFAULT_CONFIG, [
      `array.rows=${m.rows}`,
      `array.cols=${m.cols}`,
      `array.dataflow=${m.dataflow}`,
      `sdu.lanes=${m.lanes}`,
      `scratchpad.bytes=${m.spadKiB * 1024}`,
      `accumulator.words=${m.accWords}`,
      'dram.bytes=4194304',
    ]),
  );

/** Every pair of instructions on different units that touch overlapping memory (one writing) ran in program order. */
export function assertDependenciesRespected(run: SimRun, cfg: AcceleratorConfig): void {
  const xs = run.executed;
  const fps = xs.map((x) => footprintOf(x.ins, cfg).accesses);
  for (let j = 0; j < xs.length; j++) {
    for (let i = 0; i < j; i++) {
      if (xs[i]!.unit === xs[j]!.unit) continue;
      const clash = fps[j]!.some((a) => fps[i]!.some((b) => a.space === b.space && a.lo < b.hi && b.lo < a.hi && (a.write || b.write)));
      if (clash && xs[j]!.start < xs[i]!.end) {
        assert.fail(
          `pc ${j} (${xs[j]!.ins.spec.mnemonic}, ${xs[j]!.unit}) started at ${xs[j]!.start} before pc ${i} (${xs[i]!.ins.spec.mnemonic}, ${xs[i]!.unit}) ended at ${xs[i]!.end}, and they share memory`,
        );
      }
    }
  }
}

describe('compiled random small ViTs are bit-exact against the golden model', () => {
  it('logits and every layer hash equal the golden model, and no unit overtakes a dependency', () => {
    fc.assert(
      fc.property(tinyVit, tinyMachine, ({ config, seed }, cfg) => {
        const model = generateSyntheticModel(config, seed);
        const e = runEndToEnd(model, syntheticImage(config, seed), cfg);
        const bad = e.check!.layers.filter((l) => !l.match).map((l) => l.name);
        assert.deepEqual(bad, [], `layers that differ from the golden model: ${bad.join(', ')}`);
        assert.ok(e.check!.logitsMatch, 'logits differ');
        assert.equal(e.check!.layers.length, 2 + 12 * config.depth + 3);
        assertDependenciesRespected(e.result.run, e.compiled.config);
      }),
      { numRuns: 40 },
    );
  });

  it('with the fqvit preset (LIS, shift-mode P·V, PTS LayerNorm) too: every layer and the logits, dependencies respected', () => {
    fc.assert(
      fc.property(tinyVit, tinyMachine, ({ config, seed }, machine) => {
        const cfg = applyOverrides(machine, ['numerics.preset=fqvit']);
        const model = generateSyntheticModel(config, seed);
        const e = runEndToEnd(model, syntheticImage(config, seed), cfg);
        const bad = e.check!.layers.filter((l) => !l.match).map((l) => l.name);
        assert.deepEqual(bad, [], `layers that differ from the golden model: ${bad.join(', ')}`);
        assert.ok(e.check!.logitsMatch, 'logits differ');
        assert.equal(e.check!.layers.length, 2 + 12 * config.depth + 3);
        assertDependenciesRespected(e.result.run, e.compiled.config);
      }),
      { numRuns: 20 },
    );
  });
});
