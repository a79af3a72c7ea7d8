/**
 * `ivit fit --model deit-s --rows 32 --cols 32`: the smallest SDU lanes, scratchpad and accumulator with which the
 * model reaches 90% of ideal MAC cycles on that array (programs/flows/fit.ts), each candidate compiled and
 * simulated for timing on worker threads.
 */
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { zooConfig } from '../../verify/golden/zoo.js';
import { DEFAULT_CANDIDATES, FitError, type FitQuery, type FitResource, fitResources, fitText } from '../../programs/flows/fit.js';
import { runSweep } from '../../programs/flows/sweep-run.js';
import { UserError, registerUserErrorClass } from '../errors.js';
import { type MachineFlags, machineFromFlags, machineOptions } from './run.js';
import { checkOutputFile } from '../output-paths.js';
import { CommandProgress } from '../progress.js';

registerUserErrorClass(FitError);

interface FitFlags extends MachineFlags {
  model?: string;
  target: string;
  maxSduExposed?: string;
  tryLanes?: string;
  tryScratchpad?: string;
  tryAccumulator?: string;
  jobs?: string;
  json?: string;
}

/** "256K,1M,4096" → [262144, 1048576, 4096]: K and M are binary (2^10, 2^20). */
export function parseSizeList(text: string, flag: string): number[] {
  const items = text.split(',').map((s) => s.trim());
  return items.map((s) => {
    const m = /^(\d+)([KkMm]?)$/.exec(s);
    if (!m) throw new UserError(`${flag}: "${s}" is not a size (an integer, optionally with K or M)`);
    const mult = m[2] === '' ? 1 : m[2]!.toUpperCase() === 'K' ? 1 << 10 : 1 << 20;
    const v = Number(m[1]) * mult;
    if (!Number.isSafeInteger(v) || v < 1) throw new UserError(`${flag}: "${s}" must be a positive size`);
    return v;
  });
}

function fraction(text: string, flag: string): number {
  const pctForm = /^(\d+(?:\.\d+)?)%$/.exec(text.trim());
  const v = pctForm ? Number(pctForm[1]) / 100 : Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v <= 0 || v > 1) throw new UserError(`${flag} must be a fraction in (0, 1] or a percentage, got "${text}"`);
  return v;
}

export function registerFit(program: Command): void {
  machineOptions(
    program
      .command('fit')
      .description('the smallest SDU lanes, scratchpad and accumulator with which a model reaches a MAC-utilisation target on an array')
      .option('--model <name>', 'a zoo model (required)')
      .option('--target <fraction>', 'MAC utilisation to reach, of ideal MAC cycles (0.9 or 90%)', '0.9')
      .option('--max-sdu-exposed <fraction>', 'also require the SDU exposed at most this fraction of the run (e.g. 5%)')
      .option('--try-lanes <list>', `SDU lane counts to search (default ${DEFAULT_CANDIDATES.lanes.join(',')})`)
      .option('--try-scratchpad <list>', 'scratchpad sizes in bytes to search, K/M binary (default 256K,512K,1M,2M,4M,8M,16M)')
      .option('--try-accumulator <list>', 'accumulator sizes in words to search, K/M binary (default 16K,32K,64K,128K,256K,512K,1M)')
      .option('--jobs <n>', 'worker threads (default: one per core)')
      .option('--json <file>', 'also write the result, every trial included, as JSON'),
  ).action(async (flags: FitFlags) => {
    if (flags.model === undefined) throw new UserError("required option '--model <name>' not specified");
    zooConfig(flags.model);
    if (flags.lanes !== undefined) throw new UserError('ivit fit searches the SDU lanes: give the candidates with --try-lanes, not --lanes');
    if (flags.json) checkOutputFile(flags.json);
    const jobs = flags.jobs === undefined ? availableParallelism() : Number(flags.jobs);
    if (!Number.isInteger(jobs) || jobs < 1) throw new UserError(`--jobs must be a positive integer, got "${flags.jobs}"`);
    const pick = (resource: FitResource, text: string | undefined, flag: string): readonly number[] =>
      text === undefined ? DEFAULT_CANDIDATES[resource] : parseSizeList(text, flag);
    const query: FitQuery = {
      base: machineFromFlags(flags),
      target: fraction(flags.target, '--target'),
      ...(flags.maxSduExposed !== undefined ? { maxSduExposed: fraction(flags.maxSduExposed, '--max-sdu-exposed') } : {}),
      candidates: {
        lanes: pick('lanes', flags.tryLanes, '--try-lanes'),
        scratchpad: pick('scratchpad', flags.tryScratchpad, '--try-scratchpad'),
        accumulator: pick('accumulator', flags.tryAccumulator, '--try-accumulator'),
      },
    };
    const model = flags.model;
    const progress = new CommandProgress('ivit fit', 1);
    progress.step('compile and simulate the candidates');
    const result = await fitResources(query, async (configs) => {
      let done = 0;
      return runSweep(model, configs, jobs, () => progress.progress(++done, configs.length, { lines: false }));
    });
    progress.finish();
    process.stdout.write(fitText(model, query, result));
    if (flags.json) {
      writeFileSync(flags.json, `${JSON.stringify({ model, target: query.target, maxSduExposed: query.maxSduExposed, ...result }, null, 2)}\n`);
      process.stderr.write(`ivit fit: wrote ${flags.json}\n`);
    }
    if (!result.reached) process.exitCode = 1;
  });
}
