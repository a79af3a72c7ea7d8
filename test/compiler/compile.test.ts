/**
 * Compiler-level checks: every zoo model compiles; a shape-only graph compiles to the same schedule as the
 * model's; compilation and simulation are deterministic; invalid models and machines give clear errors.
 */
import { strict as assert } from 'node:assert';
import { DEFAULT_CONFIG, applyOverrides, numericsOf } from '../../sim/config.js';
import { simulate } from '../../sim/engine.js';
import { writeContainer } from '../../isa/container.js';
import { decodeAll } from '../../isa/disasm.js';
import { ModelConfigError, ZOO, type VitConfig } from '../../verify/golden/zoo.js';
import { loadModel } from '../../verify/model/model-source.js';
import { generateSyntheticModel, syntheticImage } from '../../verify/model/synthetic.js';
import { graphFromConfig, graphFromModel } from '../../programs/graph/build.js';
import { compileGraph } from '../../programs/compiler/compile.js';
import { CompileError } from '../../programs/compiler/errors.js';
import { runEndToEnd } from '../../programs/flows/end-to-end.js';
import { compilerReport } from '../../programs/flows/op-report.js';

const numerics = numericsOf(DEFAULT_CONFIG);
const small: VitConfig = {
  family: 'vit',
  name: 'small',
  imageSize: 16,
  patchSize: 4,
  inChannels: 3,
  embedDim: 24,
  depth: 2,
  heads: 3,
  mlpDim: 96,
  numClasses: 7,
};

describe('compiler: the zoo', () => {
  for (const name of Object.keys(ZOO)) {
    it(`${name} compiles (shapes only) to a decodable program whose layers are all placed in DRAM`, () => {
      const g = graphFromConfig(ZOO[name]!, numerics);
      const p = compileGraph(g, DEFAULT_CONFIG);
      const ins = decodeAll(p.image);
      assert.ok(ins.length > 1000);
      assert.equal(p.instructionNodes.length, ins.length);
      assert.equal(p.tensors.length, g.tensors.size);
      const gemmMacs = ins.reduce((a, i) => (i.mnemonic === 'gemm' ? a + i.fields.m * i.fields.n * i.fields.k : a), 0);
      const c = ZOO[name]!;
      const tokens = (c.imageSize / c.patchSize) ** 2 + 1;
      const perBlock =
        tokens * c.embedDim * (3 * c.embedDim) + 2 * tokens * tokens * c.embedDim + tokens * c.embedDim * c.embedDim + 2 * tokens * c.embedDim * c.mlpDim;
      assert.equal(
        gemmMacs,
        (tokens - 1) * c.embedDim * 3 * c.patchSize ** 2 + c.depth * perBlock + c.embedDim * c.numClasses,
        'every MAC of the model is in the program, once',
      );
    });
  }
});

describe('compiler: schedules', () => {
  it('a shape-only graph gives the same instruction count and cycle count as the model (DeiT-T)', () => {
    const { model } = loadModel('deit-t', 1);
    const withValues = compileGraph(graphFromModel(model, numerics), DEFAULT_CONFIG, { image: syntheticImage(model.config, 1) });
    const shapes = compileGraph(graphFromConfig(model.config, numerics), DEFAULT_CONFIG);
    assert.equal(withValues.image.words.length, shapes.image.words.length);
    const a = simulate(withValues.image, { config: withValues.config, timingOnly: true });
    const b = simulate(shapes.image, { config: shapes.config, timingOnly: true });
    assert.equal(a.cycles, b.cycles);
    const r = compilerReport(withValues, a, withValues.config);
    assert.ok(r.macUtilisation > 0.5 && r.macUtilisation <= 1, `MAC utilisation ${r.macUtilisation}`);
    assert.ok(r.sduExposedCycles >= 0 && r.sduExposedCycles <= r.sduBusyCycles);
  });

  it('compiling twice gives the identical container, and simulating it twice the identical cycle count', () => {
    const model = generateSyntheticModel(small, 5);
    const image = syntheticImage(small, 5);
    const p1 = compileGraph(graphFromModel(model, numerics), DEFAULT_CONFIG, { image });
    const p2 = compileGraph(graphFromModel(model, numerics), DEFAULT_CONFIG, { image });
    assert.deepEqual(writeContainer(p1.image), writeContainer(p2.image));
    const r1 = simulate(p1.image, { config: p1.config });
    const r2 = simulate(p1.image, { config: p1.config });
    const r3 = simulate(p1.image, { config: p1.config, timingOnly: true });
    assert.equal(r1.cycles, r2.cycles);
    assert.equal(r1.cycles, r3.cycles, 'values do not change the timing');
    assert.deepEqual(
      r1.executed.map((x) => x.start),
      r2.executed.map((x) => x.start),
    );
  });

  it('a changed weight changes the layers after it in DRAM and not those before (the layer check can fail)', () => {
    const model = generateSyntheticModel(small, 6);
    // a model whose fc2 weights differ from the ones the golden model uses: only layers from block1.fc2 on may differ
    const e = runEndToEnd(model, syntheticImage(small, 6), DEFAULT_CONFIG);
    assert.ok(e.check!.bitExact);
    const tampered = structuredClone(model);
    tampered.blocks[1]!.fc2.weight[0] = tampered.blocks[1]!.fc2.weight[0]! === 127 ? 126 : tampered.blocks[1]!.fc2.weight[0]! + 1;
    const program = compileGraph(graphFromModel(tampered, numerics), DEFAULT_CONFIG, { image: syntheticImage(small, 6) });
    const run = simulate(program.image, { config: program.config });
    const fc2 = program.tensors.find((t) => t.name === 'block1.fc2')!;
    const before = program.tensors.find((t) => t.name === 'block1.gelu')!;
    const golden = e.result.run.state!.dram;
    const same = (t: typeof fc2): boolean =>
      Buffer.compare(Buffer.from(golden.subarray(t.addr, t.addr + 64)), Buffer.from(run.state!.dram.subarray(t.addr, t.addr + 64))) === 0;
    assert.ok(same(before), 'layers before the tampered weight are unchanged');
    assert.ok(!same(fc2), 'the tampered layer changes');
  });
});

describe('compiler: reports', () => {
  it('the operator and layer figures add up to the run: MACs, instructions, busy cycles, exposed + busy + idle = total', () => {
    const model = generateSyntheticModel(small, 8);
    const e = runEndToEnd(model, syntheticImage(small, 8), DEFAULT_CONFIG);
    const run = e.result.run;
    const r = compilerReport(e.compiled, run, e.compiled.config);
    const count = (m: string): number => run.executed.filter((x) => x.ins.spec.mnemonic === m).length;
    assert.equal(r.operators.gemm.count, count('gemm'));
    assert.equal(r.operators.layernorm.count, count('layernorm'));
    assert.equal(r.operators.residual.count, count('resadd'));
    assert.equal(r.operators.dma.count, count('load') + count('store'));
    assert.equal(
      r.macs,
      r.layers.reduce((a, l) => a + l.macs, 0),
    );
    assert.equal(r.macs, e.result.report.macs);
    assert.equal(r.arrayBusyCycles + r.sduExposedCycles + r.idleCycles, r.totalCycles);
    const sduBusy = run.executed.filter((x) => x.unit === 'sdu' && x.ins.spec.mnemonic !== 'nop').reduce((a, x) => a + x.end - x.start, 0);
    assert.equal(r.sduBusyCycles, sduBusy, 'the SDU runs one instruction at a time, so its union is its sum');
    assert.ok(r.layers.some((l) => l.name === 'block1.fc2' && l.arrayCycles > 0 && l.sduCycles > 0));
    assert.ok(Math.abs(r.macUtilisation - r.macs / (DEFAULT_CONFIG.array.rows * DEFAULT_CONFIG.array.cols * r.totalCycles)) < 1e-12);
  });
});

describe('compiler: invalid models and machines', () => {
  it('a width not divisible by the heads is rejected with the numbers', () => {
    assert.throws(
      () => graphFromConfig({ ...small, embedDim: 25 }, numerics),
      (e: unknown) => e instanceof ModelConfigError && /width 25 is not divisible by 3 heads/.test(e.message),
    );
  });

  it('a scratchpad too small for the minimum tile is rejected, naming what it needs', () => {
    const cfg = applyOverrides(DEFAULT_CONFIG, ['scratchpad.bytes=2048', 'scratchpad.banks=1']);
    for (const bytes of [2048, 131072]) {
      const c = applyOverrides(cfg, [`scratchpad.bytes=${bytes}`, `scratchpad.banks=${bytes === 2048 ? 1 : 16}`]);
      assert.throws(
        () => compileGraph(graphFromConfig(ZOO['deit-s']!, numerics), c),
        (e: unknown) => {
          const m =
            e instanceof CompileError ? /scratchpad too small for the minimum tile: deit-s needs at least (\d+) bytes.*has (\d+) bytes/.exec(e.message) : null;
          return m !== null && Number(m[1]) > Number(m[2]) && Number(m[2]) === bytes;
        },
      );
    }
  });

  it('an accumulator buffer too small for one attention row is rejected', () => {
    const cfg = applyOverrides(DEFAULT_CONFIG, ['accumulator.words=192', 'accumulator.banks=1']);
    assert.throws(
      () => compileGraph(graphFromConfig(ZOO['deit-s']!, numerics), cfg),
      (e: unknown) => e instanceof CompileError && /accumulator buffer too small for the minimum tile/.test(e.message),
    );
  });

  it('an unknown model is rejected naming the zoo', () => {
    assert.throws(
      () => loadModel('deit-xl', 1),
      (e: unknown) => e instanceof ModelConfigError && /unknown model "deit-xl".*deit-s/.test(e.message),
    );
  });
});
