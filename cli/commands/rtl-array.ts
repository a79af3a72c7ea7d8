/**
 * `ivit rtl array|ws-array|os-array [--config f] [--set k=v] -o dir [--vectors N]`: the systolic array of the
 * configuration's array.rows × array.cols and dataflow, its bench, and with --vectors N seeded gemms with their
 * expected accumulator contents and cycles, which `ivit rtl check dir` runs.
 */
import type { ArrayUnitEntry } from '../../rtl-gen/units/index.js';
import { DEFAULT_CONFIG, applyOverrides, loadConfigFile } from '../../sim/config.js';
import { arrayOptionsFromMachine } from '../../programs/flows/sdu-units.js';
import { drawGemms, writeArrayVectors } from '../../verify/rtl/array-check.js';
import { type RawUnitFlags } from './rtl-options.js';
import { UserError } from '../errors.js';

/** The stream units' generator flags, which do not apply to the array (its options come from the configuration). */
const STREAM_FLAGS: ReadonlyArray<[keyof RawUnitFlags, string]> = [
  ['lanes', '--lanes'],
  ['variant', '--variant'],
  ['n', '--n'],
  ['k', '--k'],
  ['expStages', '--exp-stages'],
  ['divBitsPerStage', '--div-bits-per-stage'],
  ['maxChannels', '--max-channels'],
  ['outBits', '--out-bits'],
  ['geluSigma', '--gelu-sigma'],
];

/** Largest array the generator writes (the bench's Verilog build grows with R·C). */
const MAX_SIDE = 64;

export function writeArrayCommand(entry: ArrayUnitEntry, flags: RawUnitFlags, out: string, vectors: number | undefined, seed: number): void {
  for (const [key, flag] of STREAM_FLAGS)
    if (flags[key] !== undefined)
      throw new UserError(`${flag} does not apply to ${entry.name}: its rows, cols and dataflow come from --config / --set array.*`);
  const machine = applyOverrides(flags.config !== undefined ? loadConfigFile(flags.config) : DEFAULT_CONFIG, flags.set ?? []);
  const o = arrayOptionsFromMachine(entry, machine);
  if (o.rows > MAX_SIDE || o.cols > MAX_SIDE)
    throw new UserError(`array.rows × array.cols = ${o.rows}×${o.cols}: the generator builds at most ${MAX_SIDE}×${MAX_SIDE}`);
  const arr = entry.build(o);
  const draws = drawGemms(arr.geometry, vectors ?? 0, seed);
  const written = writeArrayVectors(out, arr, o.dataflow, draws, seed);
  process.stdout.write(`${arr.top}: ${entry.what} (${o.rows}×${o.cols}, ${o.dataflow})\n`);
  for (const f of written) process.stdout.write(`  wrote ${f}\n`);
  if (vectors !== undefined) process.stdout.write(`  ${vectors} gemms (seed ${seed}): run them with ivit rtl check ${out}\n`);
}
