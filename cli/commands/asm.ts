/** `ivit asm <source> [-o program.ivp]`: assemble text into a program container. */
import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { UserError, registerUserErrorClass } from '../errors.js';
import { AssemblyError, assemble } from '../../isa/asm/assembler.js';
import { ContainerError, instructionCount, writeContainer } from '../../isa/container.js';
import { MalformedInstructionError } from '../../isa/encoding.js';
import { ConfigError } from '../../sim/config.js';
import { SimFault } from '../../sim/fault.js';
import { checkOutputFile } from '../output-paths.js';

registerUserErrorClass(AssemblyError);
registerUserErrorClass(ContainerError);
registerUserErrorClass(MalformedInstructionError);
registerUserErrorClass(ConfigError);
registerUserErrorClass(SimFault);

export function registerAsm(program: Command): void {
  program
    .command('asm')
    .description('assemble an ivit assembly file into a program container (.ivp)')
    .argument('<source>', 'assembly text (.s)')
    .option('-o, --output <file>', 'container to write (default: the source with .ivp)')
    .action((source: string, opts: { output?: string }) => {
      let text: string;
      try {
        text = readFileSync(source, 'utf8');
      } catch (e) {
        throw new UserError(`cannot read ${source}: ${(e as Error).message}`);
      }
      const p = assemble(text, source);
      const out = opts.output ?? source.replace(/\.[^./]*$/, '') + '.ivp';
      checkOutputFile(out);
      const bytes = writeContainer(p);
      writeFileSync(out, bytes);
      process.stdout.write(
        `${out}: ${instructionCount(p)} instructions, ${p.dram.reduce((a, s) => a + s.bytes.length, 0)} bytes of DRAM image, ${bytes.length} bytes\n`,
      );
    });
}
