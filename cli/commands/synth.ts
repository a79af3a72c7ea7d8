/**
 * `ivit synth <unit> --family ice40|ecp5|xilinx`: yosys cell counts and, for iCE40, place-and-route Fmax against
 * --freq (timing met or not), as one JSON or CSV row or a text summary; --out keeps the tools' logs and the row.
 */
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { FAMILIES, type Family, CSV_HEADER, csvRow, synthText, synthesize } from '../../rtl-gen/synth/run.js';
import { UNITS } from '../../rtl-gen/units/index.js';
import { type RawUnitFlags, addUnitOptions, parseUnit, parseUnitOptions } from './rtl-options.js';
import { ensureOutputDir } from '../output-paths.js';
import { RunProgress } from './run.js';

interface SynthFlags extends RawUnitFlags {
  family: string;
  device?: string;
  seeds: string;
  freq: string;
  format: string;
  out?: string;
}

const FORMATS = ['json', 'csv', 'text'] as const;

export function registerSynth(program: Command): void {
  const cmd = program
    .command('synth')
    .description(
      'synthesise a generated unit with yosys (cells) and, for iCE40, place and route it with nextpnr (Fmax, median of seeds, and whether it meets --freq)',
    )
    .argument('<unit>', UNITS.map((u) => u.name).join(' | '))
    .requiredOption('--family <f>', FAMILIES.join(' | '))
    .option('--device <d>', 'iCE40 device: hx8k (default, no DSP) | up5k (SB_MAC16)')
    .option('--seeds <n>', 'nextpnr seeds (iCE40; 0 = no place and route)', '3')
    .option('--freq <mhz>', 'clock constraint for nextpnr; timingMet says whether the median Fmax reaches it', '100')
    .option('--format <f>', 'json | csv (the header, then the row) | text', 'json')
    .option('--out <dir>', 'keep yosys.log, yosys-wrapper.log, nextpnr-seed<N>.log and the row (synth.json) in this directory');
  addUnitOptions(cmd).action((unit: string, opts: SynthFlags) => {
    const entry = parseUnit(unit);
    if (!(FAMILIES as readonly string[]).includes(opts.family)) throw new UserError(`--family must be one of ${FAMILIES.join(', ')}, got '${opts.family}'`);
    if (opts.device !== undefined && opts.device !== 'hx8k' && opts.device !== 'up5k')
      throw new UserError(`--device must be hx8k or up5k, got '${opts.device}'`);
    if (opts.device !== undefined && opts.family !== 'ice40') throw new UserError('--device applies to --family ice40 only');
    if (!/^\d+$/.test(opts.seeds) || Number(opts.seeds) > 20) throw new UserError(`--seeds must be an integer 0..20, got '${opts.seeds}'`);
    if (!/^\d+(\.\d+)?$/.test(opts.freq) || Number(opts.freq) <= 0) throw new UserError(`--freq must be a positive number of MHz, got '${opts.freq}'`);
    if (!(FORMATS as readonly string[]).includes(opts.format)) throw new UserError(`--format must be one of ${FORMATS.join(', ')}, got '${opts.format}'`);
    if (opts.out !== undefined) ensureOutputDir(opts.out);
    const u = entry.build(parseUnitOptions(opts, entry));
    const seeds = opts.family === 'ice40' ? Number(opts.seeds) : 0;
    // one phase for yosys, one per nextpnr seed (the wrapper's synthesis counts with the first seed)
    const progress = new RunProgress(1 + seeds);
    progress.step(`yosys: ${u.top}`);
    let row;
    try {
      row = synthesize(u, entry.maxRowLength, {
        family: opts.family as Family,
        ...(opts.device ? { device: opts.device as 'hx8k' | 'up5k' } : {}),
        seeds: Number(opts.seeds),
        targetMhz: Number(opts.freq),
        ...(opts.out !== undefined ? { logDir: opts.out } : {}),
        onSeed: (seed, total) => progress.step(`nextpnr: seed ${seed}/${total} at ${opts.freq} MHz`),
      });
    } finally {
      progress.finish();
    }
    if (opts.out !== undefined) writeFileSync(join(opts.out, 'synth.json'), `${JSON.stringify(row, null, 2)}\n`);
    const text = opts.format === 'csv' ? `${CSV_HEADER}\n${csvRow(row)}\n` : opts.format === 'text' ? synthText(row) : `${JSON.stringify(row)}\n`;
    process.stdout.write(text);
  });
}
