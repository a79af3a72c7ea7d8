/** The generator options `ivit rtl` and `ivit synth` share, parsed strictly (bad values are one-line user errors). */
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { UNITS, type UnitEntry, type UnitOptions, findUnit } from '../../rtl-gen/units/index.js';
import { DEFAULT_CONFIG, applyOverrides, loadConfigFile } from '../../sim/config.js';
import { unitOptionsFromMachine } from '../../programs/flows/sdu-units.js';
import { GELU_SIGMA_RULES, isGeluSigmaRule } from '../../verify/golden/numerics-config.js';
import { GELU_SIGMA_HELP } from './op.js';
import { SDU_FORMS } from '../../rtl-gen/timing.js';

const collect = (v: string, acc: string[]): string[] => [...acc, v];

export interface RawUnitFlags {
  config?: string;
  set?: string[];
  lanes?: string;
  variant?: string;
  n?: string;
  k?: string;
  expStages?: string;
  divBitsPerStage?: string;
  maxChannels?: string;
  outBits?: string;
  geluSigma?: string;
  form?: string;
}

/** The --variant help, read from the unit catalogue so that it lists every unit's variants (the first is the default). */
export function variantHelp(): string {
  return `${UNITS.map((u) => `${u.name}: ${u.variants.join('|')}`).join('; ')} (the first is the default)`;
}

export function addUnitOptions(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'accelerator configuration JSON: the SDU units take its lanes and numerics preset (explicit options win)')
    .option('--set <key=value>', 'override one configuration key, e.g. sdu.lanes=8 (repeatable; implies the default machine without --config)', collect, [])
    .option('--lanes <L>', 'parallel lanes (elements per beat)')
    .option('--variant <v>', variantHelp())
    .option('--n <n>', 'exp fraction bits (Shiftmax 15, ShiftGELU 23)')
    .option('--k <k>', 'output bits parameter (Shiftmax 16, ShiftGELU 8)')
    .option('--exp-stages <s>', 'pipeline registers per shift-exp lane')
    .option('--div-bits-per-stage <b>', 'ShiftGELU divider: quotient bits between registers')
    .option('--max-channels <C>', 'LayerNorm: largest row (sets the widths)')
    .option('--out-bits <b>', 'requant output width')
    .option('--gelu-sigma <rule>', GELU_SIGMA_HELP)
    .option('--form <f>', `LayerNorm and Shiftmax: ${SDU_FORMS.join('|')} (rows overlap, the default; or one row at a time, the smaller unit)`);
}

function int(v: string | undefined, flag: string, lo: number, hi: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UserError(`--${flag} must be an integer, got '${v}'`);
  const n = Number(v);
  if (n < lo || n > hi) throw new UserError(`--${flag} must be in ${lo}..${hi}, got ${n}`);
  return n;
}

export function parseUnit(name: string): UnitEntry {
  const entry = findUnit(name);
  if (!entry) throw new UserError(`unknown unit '${name}': one of ${UNITS.map((u) => u.name).join(', ')}`);
  return entry;
}

/** The unit's options: explicit flags, over what the accelerator configuration implies (with --config or --set). */
export function parseUnitOptions(f: RawUnitFlags, entry: UnitEntry): UnitOptions {
  const o: UnitOptions = {};
  if ((f.config !== undefined || (f.set ?? []).length > 0) && entry.fromMachine) {
    const machine = applyOverrides(f.config !== undefined ? loadConfigFile(f.config) : DEFAULT_CONFIG, f.set ?? []);
    if (machine.sdu.lanes > 64) throw new UserError(`the configuration's sdu.lanes = ${machine.sdu.lanes}: the generator builds at most 64 lanes`);
    Object.assign(o, unitOptionsFromMachine(entry, machine));
  }
  const set = <K extends keyof UnitOptions>(k: K, v: UnitOptions[K] | undefined): void => {
    if (v !== undefined) o[k] = v;
  };
  set('lanes', int(f.lanes, 'lanes', 1, 64));
  set('variant', f.variant);
  set('n', int(f.n, 'n', 1, 30));
  set('k', int(f.k, 'k', 2, 32));
  set('expStages', int(f.expStages, 'exp-stages', 1, 6));
  set('divBitsPerStage', int(f.divBitsPerStage, 'div-bits-per-stage', 1, 31));
  set('maxChannels', int(f.maxChannels, 'max-channels', 1, 65536));
  set('outBits', int(f.outBits, 'out-bits', 2, 32));
  if (f.geluSigma !== undefined && !isGeluSigmaRule(f.geluSigma))
    throw new UserError(`--gelu-sigma must be one of ${GELU_SIGMA_RULES.join(', ')}, got '${f.geluSigma}'`);
  set('geluSigma', f.geluSigma);
  if (f.form !== undefined && !(SDU_FORMS as readonly string[]).includes(f.form))
    throw new UserError(`--form must be one of ${SDU_FORMS.join(', ')}, got '${f.form}'`);
  set('form', f.form);
  return o;
}
