/** `ivit synth <unit> --family ice40|ecp5|xilinx`: yosys cell counts (and iCE40 place-and-route Fmax) as one JSON or CSV row. */
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { FAMILIES, type Family, CSV_HEADER, csvRow, synthesize } from '../../rtl-gen/synth/run.js';
import { UNITS } from '../../rtl-gen/units/index.js';
import { type RawUnitFlags, addUnitOptions, parseUnit, parseUnitOptions } from './rtl-options.js';

interface SynthFlags extends RawUnitFlags {
  family: string;
  device?: string;
  seeds: string;
  freq: string;
  format: string;
}

export function registerSynth(program: Command): void {
  const cmd = program
    .command('synth')
    .description('synthesise a generated unit with yosys (cells) and, for iCE40, place and route it with nextpnr (Fmax, median of seeds)')
    .argument('<unit>', UNITS.map((u) => u.name).join(' | '))
    .requiredOption('--family <f>', FAMILIES.join(' | '))
    .option('--device <d>', 'iCE40 device: hx8k (default, no DSP) | up5k (SB_MAC16)')
    .option('--seeds <n>', 'nextpnr seeds (iCE40; 0 = no place and route)', '3')
    .option('--freq <mhz>', 'clock constraint for nextpnr', '100')
    .option('--format <f>', 'json | csv (csv prints the header, then the row)', 'json');
  addUnitOptions(cmd).action((unit: string, opts: SynthFlags) => {
    const entry = parseUnit(unit);
    if (!(FAMILIES as readonly string[]).includes(opts.family)) throw new UserError(`--family must be one of ${FAMILIES.join(', ')}, got '${opts.family}'`);
    if (opts.device !== undefined && opts.device !== 'hx8k' && opts.device !== 'up5k')
      throw new UserError(`--device must be hx8k or up5k, got '${opts.device}'`);
    if (opts.device !== undefined && opts.family !== 'ice40') throw new UserError('--device applies to --family ice40 only');
    if (!/^\d+$/.test(opts.seeds) || Number(opts.seeds) > 20) throw new UserError(`--seeds must be an integer 0..20, got '${opts.seeds}'`);
    if (!/^\d+(\.\d+)?$/.test(opts.freq)) throw new UserError(`--freq must be a number of MHz, got '${opts.freq}'`);
    if (opts.format !== 'json' && opts.format !== 'csv') throw new UserError(`--format must be json or csv, got '${opts.format}'`);
    const u = entry.build(parseUnitOptions(opts, entry));
    const row = synthesize(u, entry.maxRowLength, {
      family: opts.family as Family,
      ...(opts.device ? { device: opts.device as 'hx8k' | 'up5k' } : {}),
      seeds: Number(opts.seeds),
      targetMhz: Number(opts.freq),
    });
    process.stdout.write(opts.format === 'csv' ? `${CSV_HEADER}\n${csvRow(row)}\n` : `${JSON.stringify(row)}\n`);
  });
}
