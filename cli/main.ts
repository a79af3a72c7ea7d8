/** `ivit`: the command-line entry. Each command lives in cli/commands/<name>.ts and registers itself here. */
import { Command, CommanderError } from 'commander';
import chalk from 'chalk';
import { isUserError } from './errors.js';
import { isFileSystemError } from './output-paths.js';
import { registerOp } from './commands/op.js';
import { registerAsm } from './commands/asm.js';
import { registerDisasm } from './commands/disasm.js';
import { registerSim } from './commands/sim.js';
import { registerGolden } from './commands/golden.js';
import { registerRun } from './commands/run.js';
import { registerCompile } from './commands/compile.js';
import { registerSweep } from './commands/sweep.js';
import { registerFit } from './commands/fit.js';
import { registerRtl } from './commands/rtl.js';
import { registerSynth } from './commands/synth.js';
import { registerConfig } from './commands/config.js';
import { registerEval } from './commands/eval.js';
import { registerImport } from './commands/import.js';
import { registerReport } from './commands/report.js';

// NO_COLOR (no-color.org): present and not empty turns colour off, whatever FORCE_COLOR says (chalk reads only FORCE_COLOR).
if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') chalk.level = 0;

// Warnings (e.g. a model file without tensor digests) as one plain line, not Node's two-line default.
process.removeAllListeners('warning');
process.on('warning', (w) => process.stderr.write(`${chalk.yellow('ivit: warning:')} ${w.message}\n`));

const program = new Command();
program
  .name('ivit')
  .description('Integer-only vision transformers in hardware: golden model, ISA, simulator, Verilog generator')
  .version('0.1.0')
  .exitOverride()
  .configureOutput({ outputError: (str, write) => write(chalk.red(str)) });

// One line per command area; keep them in this order.
registerOp(program);
registerAsm(program);
registerDisasm(program);
registerSim(program);
registerGolden(program);
registerRun(program);
registerCompile(program);
registerSweep(program);
registerFit(program);
registerRtl(program);
registerSynth(program);
registerConfig(program);
registerEval(program);
registerImport(program);
registerReport(program);

function fail(message: string, code: number): never {
  process.stderr.write(`${chalk.red('ivit: error:')} ${message}\n`);
  process.exit(code);
}

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // help and version exit 0; usage errors have already been printed by commander
    process.exit(e.exitCode === 0 ? 0 : 2);
  }
  if (isUserError(e)) fail(e.message, 2);
  // a path that cannot be read or written (missing directory, not a directory, no permission): node:fs names it
  if (isFileSystemError(e)) fail(e.message, 2);
  if (process.env.IVIT_DEBUG) throw e;
  fail(`internal error: ${e instanceof Error ? e.message : String(e)} (set IVIT_DEBUG=1 for the stack)`, 1);
}
