/**
 * The library API example of docs/api.md: assemble and simulate a program, make a small model, write and
 * read it back, run the golden model, compile it and check the simulator against the golden model, and
 * generate a Verilog unit. test/api/api.test.ts runs this file as it is here (imports by package name, which
 * Node and TypeScript resolve to this package itself) and again compiled against an installed tarball.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type VitConfig,
  DEFAULT_CONFIG,
  applyOverrides,
  assemble,
  compileModel,
  generateRtl,
  generateSyntheticModel,
  goldenForward,
  instructionCount,
  numericsOf,
  readModel,
  runModel,
  simulate,
  syntheticImage,
  writeModel,
} from 'ivit-hw';

const out = (line: string): void => void process.stdout.write(`${line}\n`);
const work = mkdtempSync(join(tmpdir(), 'ivit-api-example-'));
try {
  // 1. Assembly text → program image → simulated run (timing and values).
  const program = assemble(
    [
      '.rand @0x0, i8, count=64, seed=1',
      'load dram=0x0, dstride=64, local=0x0, lstride=64, rows=1, bytes=64, signal=s0',
      'store wait=s0, dram=0x100, dstride=64, local=0x0, lstride=64, rows=1, bytes=64',
    ].join('\n'),
    'copy.s',
  );
  const copied = simulate(program);
  const dram = copied.run.state!.dram;
  const same = dram.subarray(0, 64).every((b, i) => b === dram[0x100 + i]);
  out(`assembled ${instructionCount(program)} instructions; simulated ${copied.report.totalCycles} cycles; copy equal: ${same}`);

  // 2. A small seeded ViT, written to a model file and read back.
  const config: VitConfig = {
    family: 'vit',
    name: 'tiny',
    imageSize: 8,
    patchSize: 4,
    inChannels: 3,
    embedDim: 16,
    depth: 1,
    heads: 2,
    mlpDim: 32,
    numClasses: 10,
  };
  const file = join(work, 'tiny.safetensors');
  writeModel(file, generateSyntheticModel(config, 7));
  const model = readModel(file);
  const image = syntheticImage(config, 7);

  // 3. The golden integer model, then the compiled program on the simulator, compared layer by layer.
  const machine = applyOverrides(DEFAULT_CONFIG, ['array.rows=8', 'array.cols=8', 'sdu.lanes=4']);
  const golden = goldenForward(model, image, numericsOf(machine));
  const compiled = compileModel(model, machine, { image });
  const run = runModel(model, image, machine);
  out(`golden argmax ${golden.argmax} checksum ${golden.checksum}`);
  out(`compiled ${instructionCount(compiled.image)} instructions; simulated ${run.result.report.totalCycles} cycles; bit-exact: ${run.check?.bitExact}`);

  // 4. Verilog for a 4-lane Shiftmax unit, with its test bench and descriptor.
  const rtl = generateRtl('shiftmax', { lanes: 4 });
  rtl.write(join(work, 'rtl'));
  const example = rtl.descriptor.timing.examples[0]!;
  out(`${rtl.unit.top}: ${rtl.sources.size} modules, ${readdirSync(join(work, 'rtl')).length} files; N=${example.rowLength} latency ${example.latency}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
