/**
 * `ivit sweep --model deit-s --rows 8,16,32 --dataflow ws,os --lanes 8,16 --bandwidth 16,32,64`: a design-space
 * sweep, one CSV or JSON row per configuration: timing (the points spread over worker threads) and area (yosys
 * cell counts of the SDU units, cached, plus the array modelled from one PE). `--shard I/N` runs one slice of
 * the configurations; `ivit sweep merge -o all.csv s1.csv ...` joins the slices (docs/scale-out.md).
 */
import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { AcceleratorConfig } from '../../sim/config.js';
import { zooConfig } from '../../verify/golden/zoo.js';
import { sweepCsv } from '../../programs/flows/sweep-point.js';
import { runSweep, sweepConfigs } from '../../programs/flows/sweep-run.js';
import { AreaModel, yosysVersion } from '../../programs/flows/area.js';
import { shardRange } from '../../programs/flows/shard.js';
import { SweepMergeError, mergeSweepShards, shardCsv, sweepFingerprint } from '../../programs/flows/sweep-shard.js';
import { UserError, registerUserErrorClass } from '../errors.js';
import { type MachineFlags, machineFromFlags, machineOptions } from './run.js';
import { checkOutputFile } from '../output-paths.js';
import { CommandProgress } from '../progress.js';
import { SHARD_HELP, parseShard } from '../shard-option.js';

registerUserErrorClass(SweepMergeError);

interface SweepFlags extends MachineFlags {
  model?: string;
  out?: string;
  json?: boolean;
  jobs?: string;
  area?: string;
  areaCache: string;
  shard?: string;
}

function list(v: string | undefined, what: string): string[] | undefined {
  if (v === undefined) return undefined;
  const items = v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (!items.length) throw new UserError(`--${what} needs a comma-separated list`);
  return items;
}

/** The area model, or undefined with --area none (or by default, with a note, when there is no yosys). */
function areaModel(flags: SweepFlags): AreaModel | undefined {
  const mode = flags.area;
  if (mode !== undefined && mode !== 'synth' && mode !== 'none') throw new UserError(`--area must be synth or none, got "${mode}"`);
  if (mode === 'none') return undefined;
  const yosys = yosysVersion();
  if (yosys === undefined) {
    if (mode === 'synth') throw new UserError('--area synth needs yosys on the PATH (apt-get install yosys), or give --area none');
    process.stderr.write('ivit sweep: no yosys on the PATH: the area columns stay empty (install yosys, or give --area none to silence this)\n');
    return undefined;
  }
  return new AreaModel(resolve(flags.areaCache), yosys);
}

export function registerSweep(program: Command): void {
  // `ivit sweep merge -o x` must reach merge's own -o, not sweep's: options are read where they stand
  program.enablePositionalOptions();
  const sweep = machineOptions(
    program
      .command('sweep')
      .description(
        'design-space sweep: array sizes, dataflows, SDU lanes, DRAM bandwidth; timing (all cores) and area (yosys, cached) per configuration, one CSV/JSON row each',
      )
      .enablePositionalOptions()
      .option('--model <name>', 'a zoo model (required)')
      .option('-o, --out <file>', 'write the rows here (.csv, or .json with --json) instead of stdout')
      .option('--json', 'JSON rows instead of CSV')
      .option('--jobs <n>', 'worker threads for the timing points (default: one per core)')
      .option(
        '--area <mode>',
        'synth: SDU cell counts from yosys synth_ice40 (cached), array from one synthesised PE × rows × cols; none: no area columns (default: synth when yosys is installed)',
      )
      .option('--area-cache <dir>', 'where the area syntheses are cached, one JSON file per unit configuration', '.cache/area')
      .option('--shard <I/N>', SHARD_HELP),
  ).action(async (flags: SweepFlags) => {
    if (flags.model === undefined) throw new UserError("required option '--model <name>' not specified");
    zooConfig(flags.model); // an unknown model fails before any synthesis
    if (flags.out) checkOutputFile(flags.out);
    const shard = parseShard(flags.shard);
    if (shard && flags.json) throw new UserError('--shard writes CSV (ivit sweep merge joins CSV shards): leave out --json');
    // the machine flags take lists here: --rows 8,16,32 sweeps them; a single value just sets it
    const axes: Array<[string, string[] | undefined]> = [
      ['array.rows', list(flags.rows, 'rows')],
      ['array.cols', list(flags.cols, 'cols')],
      ['array.dataflow', list(flags.dataflow, 'dataflow')],
      ['sdu.lanes', list(flags.lanes, 'lanes')],
      ['dma.bytesPerCycle', list(flags.bandwidth, 'bandwidth')],
    ];
    const base = machineFromFlags({ ...flags, rows: undefined, cols: undefined, dataflow: undefined, lanes: undefined, bandwidth: undefined });
    const all = sweepConfigs(base, axes);
    const jobs = flags.jobs === undefined ? availableParallelism() : Number(flags.jobs);
    if (!Number.isInteger(jobs) || jobs < 1) throw new UserError(`--jobs must be a positive integer, got "${flags.jobs}"`);
    const area = areaModel(flags);
    const range = shard ? shardRange(all.length, shard) : { first: 0, count: all.length };
    const configs: AcceleratorConfig[] = all.slice(range.first, range.first + range.count);
    const progress = new CommandProgress('ivit sweep', area ? 2 : 1);
    if (shard) progress.note(`shard ${shard.index}/${shard.of}: configurations ${range.first + 1}..${range.first + range.count} of ${all.length}`);
    if (area) {
      progress.step('area: yosys synth_ice40 of the SDU units and the PE');
      const t0 = performance.now();
      const stats = area.prepare(configs, {
        onSynthesis: (_label, done, total) => progress.progress(done, total, { lines: false }),
        onSynthesised: (label, seconds, done, total) => {
          progress.note(`area: synthesised ${label} in ${seconds.toFixed(1)} s (${done}/${total})`);
          progress.progress(done, total, { lines: false });
        },
      });
      progress.note(
        `area: ${stats.needed} unit configurations, ${stats.cached} from the cache, ${stats.synthesised} synthesised (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
      );
    }
    progress.step('timing: compile and simulate each configuration');
    let done = 0;
    const timed = await runSweep(flags.model, configs, jobs, () => progress.progress(++done, configs.length));
    progress.finish();
    const rows = timed.map((r, i) => (area ? { ...r, ...area.areaOf(configs[i]!) } : r));
    const csv = sweepCsv(rows);
    const text = flags.json
      ? `${JSON.stringify(rows, null, 2)}\n`
      : shard
        ? shardCsv(
            { shard: shard.index, of: shard.of, ...range, total: all.length, fingerprint: sweepFingerprint(flags.model, all, area ? 'synth' : 'none') },
            csv,
          )
        : csv;
    if (flags.out) {
      writeFileSync(flags.out, text);
      process.stderr.write(`ivit sweep: wrote ${rows.length} ${flags.json ? 'JSON' : 'CSV'} rows to ${flags.out}\n`);
    } else process.stdout.write(text);
    const failed = rows.filter((r) => r.error !== undefined);
    if (failed.length > 0) {
      for (const r of failed)
        process.stderr.write(`ivit sweep: ${r.rows}×${r.cols} ${r.dataflow}, ${r.sduLanes} lanes, ${r.dmaBytesPerCycle} B/cycle failed: ${r.error}\n`);
      process.exitCode = 1; // the rows are written, with the error in each failed row and no figures
    }
  });
  sweep
    .command('merge')
    .description('join the CSVs of `ivit sweep --shard I/N` runs into the CSV of the whole sweep (refuses missing, overlapping or foreign shards)')
    .requiredOption('-o, --out <file>', 'the merged CSV')
    .argument('<shards...>', 'the shard CSV files, any order')
    .action((files: string[], opts: { out: string }) => {
      checkOutputFile(opts.out);
      const texts = files.map((name) => {
        try {
          return { name, text: readFileSync(name, 'utf8') };
        } catch (e) {
          throw new UserError(`${name}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
        }
      });
      const merged = mergeSweepShards(texts);
      writeFileSync(opts.out, merged);
      process.stderr.write(`ivit sweep merge: wrote ${opts.out} from ${files.length} shard${files.length > 1 ? 's' : ''}\n`);
    });
}
