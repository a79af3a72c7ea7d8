/** `ivit compile --model <zoo name | model file> -o program.ivp [--asm program.s]`: the program alone, no simulation. */
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { writeContainer } from '../../isa/container.js';
import { disassemble } from '../../isa/disasm.js';
import { numericsOf } from '../../sim/config.js';
import { loadModel } from '../../verify/model/model-source.js';
import { syntheticImage } from '../../verify/model/synthetic.js';
import { readImage } from '../../verify/model/qmodel-file.js';
import { zooConfig } from '../../verify/golden/zoo.js';
import { graphFromConfig, graphFromModel } from '../../programs/graph/build.js';
import { compileGraph } from '../../programs/compiler/compile.js';
import { UserError } from '../errors.js';
import { parseSeed } from './golden.js';
import { type MachineFlags, machineFromFlags, machineOptions } from './run.js';
import { checkOutputFile } from '../output-paths.js';

interface CompileFlags extends MachineFlags {
  model: string;
  seed: string;
  image?: string;
  out?: string;
  asm?: string;
  shapeOnly?: boolean;
}

export function registerCompile(program: Command): void {
  machineOptions(
    program
      .command('compile')
      .description('compile a model to an ISA program (container with the DRAM image of weights, constants and input)')
      .requiredOption('--model <name|file>', 'a zoo model or a quantised model file')
      .option('--seed <n>', 'seed of the synthetic weights and input image', '1')
      .option('--image <file>', 'an input image file; default: a seeded synthetic image')
      .option('-o, --out <file>', 'program container to write (.ivp)')
      .option('--asm <file>', 'also write the program as assembly text')
      .option('--shape-only', "a zoo model's shapes only: the same instruction stream with zeroed data (for timing-only simulation)"),
  ).action((flags: CompileFlags) => {
    if (!flags.out && !flags.asm) throw new UserError('nothing to write: give -o <program.ivp> and/or --asm <program.s>');
    for (const f of [flags.out, flags.asm]) if (f) checkOutputFile(f);
    const config = machineFromFlags(flags);
    const numerics = numericsOf(config);
    let compiled;
    if (flags.shapeOnly) {
      compiled = compileGraph(graphFromConfig(zooConfig(flags.model), numerics), config);
    } else {
      const seed = parseSeed(flags.seed);
      const { model } = loadModel(flags.model, seed);
      const image = flags.image ? readImage(flags.image, model.config) : syntheticImage(model.config, seed);
      compiled = compileGraph(graphFromModel(model, numerics), config, { image });
    }
    if (flags.out) writeFileSync(flags.out, writeContainer(compiled.image));
    if (flags.asm) writeFileSync(flags.asm, disassemble(compiled.image));
    const n = compiled.image.words.length / 32;
    const dram = compiled.image.dram.reduce((a, s) => a + s.bytes.length, 0);
    process.stdout.write(
      `${compiled.graph.config.name}: ${n} instructions (${compiled.relays} relay NOPs), ${dram} bytes of DRAM image, row tile ${compiled.plan.rowTile}${flags.out ? ` → ${flags.out}` : ''}${flags.asm ? ` → ${flags.asm}` : ''}\n`,
    );
    for (const note of compiled.notes) process.stdout.write(`note: ${note}\n`);
  });
}
