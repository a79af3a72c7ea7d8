/** `ivit disasm <program.ivp> [-o file.s]`: print a container as canonical assembly text. */
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { disassemble } from '../../isa/disasm.js';
import { readProgramFile } from '../../isa/load.js';
import { checkOutputFile } from '../output-paths.js';

export function registerDisasm(program: Command): void {
  program
    .command('disasm')
    .description('disassemble a program container into assembly text that assembles back to the same container')
    .argument('<program>', 'program container (.ivp)')
    .option('-o, --output <file>', 'write the text here instead of stdout')
    .action((file: string, opts: { output?: string }) => {
      if (opts.output) checkOutputFile(opts.output);
      const text = disassemble(readProgramFile(file));
      if (opts.output) writeFileSync(opts.output, text);
      else process.stdout.write(text);
    });
}
