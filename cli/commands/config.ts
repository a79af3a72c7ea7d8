/** `ivit config [--config file] [--set key=value ...]`: print the accelerator configuration as JSON. */
import type { Command } from 'commander';
import { type MachineFlags, machineFromFlags, machineOptions } from './run.js';

export function registerConfig(program: Command): void {
  machineOptions(
    program
      .command('config')
      .description(
        'print the accelerator configuration the other commands would use (the built-in default machine with the given file and overrides applied), as JSON',
      ),
  ).action((flags: MachineFlags) => {
    process.stdout.write(`${JSON.stringify(machineFromFlags(flags), null, 2)}\n`);
  });
}
