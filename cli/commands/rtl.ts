/** `ivit rtl <unit> [options] -o dir`: write a unit's Verilog, its test bench and its JSON descriptor. */
import type { Command } from 'commander';
import { writeUnit } from '../../rtl-gen/emit.js';
import { describeUnit } from '../../rtl-gen/descriptor.js';
import { UNITS } from '../../rtl-gen/units/index.js';
import { type RawUnitFlags, addUnitOptions, parseUnit, parseUnitOptions } from './rtl-options.js';
import { ensureOutputDir } from '../output-paths.js';

export function registerRtl(program: Command): void {
  const cmd = program
    .command('rtl')
    .description('generate Verilog-2005, a stream test bench and a JSON descriptor (ports, latency, II, parameters) for a unit')
    .argument('<unit>', UNITS.map((u) => u.name).join(' | '))
    .requiredOption('-o, --out <dir>', 'output directory');
  addUnitOptions(cmd);
  cmd.action((unit: string, opts: RawUnitFlags & { out: string }) => {
    ensureOutputDir(opts.out);
    const entry = parseUnit(unit);
    const u = entry.build(parseUnitOptions(opts, entry));
    const files = writeUnit(u, opts.out, entry.maxRowLength);
    const d = describeUnit(u, entry.maxRowLength);
    process.stdout.write(`${u.top}: ${entry.what}\n`);
    for (const f of files) process.stdout.write(`  wrote ${f.path} (${f.kind})\n`);
    const ex = d.timing.examples.map((e) => `N=${e.rowLength}: ${e.latency}/${e.initiationInterval}`).join(', ');
    process.stdout.write(`  latency/II in cycles: ${ex}\n`);
  });
}
