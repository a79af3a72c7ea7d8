/**
 * Synthesis of a generated unit with yosys 0.23 (synth_ice40 / synth_ecp5 / synth_xilinx + stat) and, for
 * iCE40, place and route with nextpnr-ice40 on the registered-I/O wrapper for Fmax over several seeds.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GeneratedUnit } from '../design.js';
import { unitSources } from '../emit.js';
import { buildSynthWrapper, synthWrapperName } from './wrapper.js';

export type Family = 'ice40' | 'ecp5' | 'xilinx';
export const FAMILIES: readonly Family[] = ['ice40', 'ecp5', 'xilinx'];

export interface SynthOptions {
  family: Family;
  /** iCE40 device for nextpnr: hx8k (no DSP) or up5k (SB_MAC16 DSPs, synth_ice40 -dsp) */
  device?: 'hx8k' | 'up5k';
  /** place-and-route seeds (iCE40 only); 0 skips place and route */
  seeds?: number;
  /** the clock constraint given to nextpnr, MHz (100 when absent); timingMet compares the median Fmax with it */
  targetMhz?: number;
  /** keep the logs here (created if missing): yosys.log, yosys-wrapper.log, nextpnr-seed<N>.log */
  logDir?: string;
  /** called as each place-and-route seed starts (seed from 1), for a progress display */
  onSeed?: (seed: number, seeds: number) => void;
}

export interface SynthRow {
  unit: string;
  top: string;
  family: Family;
  device: string;
  params: Record<string, string | number | boolean>;
  lut: number;
  ff: number;
  carry: number;
  dsp: number;
  bram: number;
  /** every cell type yosys reported */
  cells: Record<string, number>;
  /** post-route Fmax per seed (iCE40), MHz, and their median */
  fmaxSeeds: number[];
  fmaxMedianMhz: number | null;
  /** the clock constraint nextpnr was given, MHz */
  targetMhz: number;
  /** median Fmax ≥ targetMhz; null when there was no place and route (other families, or seeds 0) */
  timingMet: boolean | null;
  /** how many seeds reached targetMhz; null without place and route */
  seedsMet: number | null;
  latencyExample: { rowLength: number; latency: number; initiationInterval: number };
  yosysSeconds: number;
  pnrSeconds: number;
}

export const CELL_CLASSES: Record<Family, { lut: RegExp; ff: RegExp; carry: RegExp; dsp: RegExp; bram: RegExp }> = {
  ice40: { lut: /^SB_LUT4$/, ff: /^SB_DFF/, carry: /^SB_CARRY$/, dsp: /^SB_MAC16$/, bram: /^SB_RAM/ },
  ecp5: { lut: /^LUT4$/, ff: /^TRELLIS_FF$/, carry: /^CCU2C$/, dsp: /^MULT18X18D$|^ALU54B$/, bram: /^DP16KD$|^PDPW16KD$/ },
  xilinx: { lut: /^LUT[1-6]$/, ff: /^FD[RSCP]E?$/, carry: /^CARRY4$/, dsp: /^DSP48E1$/, bram: /^RAMB/ },
};

function count(cells: Record<string, number>, re: RegExp): number {
  return Object.entries(cells).reduce((s, [k, v]) => (re.test(k) ? s + v : s), 0);
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function yosysScript(family: Family, files: string[], top: string, dsp: boolean, jsonOut: string | undefined, statOut: string): string {
  const synth =
    family === 'ice40'
      ? `synth_ice40 -top ${top}${dsp ? ' -dsp' : ''}${jsonOut ? ` -json ${jsonOut}` : ''}`
      : family === 'ecp5'
        ? `synth_ecp5 -top ${top}`
        : `synth_xilinx -top ${top}`;
  return [`read_verilog ${files.join(' ')}`, synth, `tee -q -o ${statOut} stat -json`].join('; ');
}

export function synthesize(u: GeneratedUnit, maxRowLength: number, o: SynthOptions): SynthRow {
  const dir = mkdtempSync(join(tmpdir(), 'ivit-synth-'));
  // the logs go to the caller's directory when it wants them kept, else next to the scratch files
  const logDir = o.logDir ?? dir;
  if (o.logDir) mkdirSync(o.logDir, { recursive: true });
  const targetMhz = o.targetMhz ?? 100;
  try {
    const files: string[] = [];
    for (const [name, text] of unitSources(u)) {
      writeFileSync(join(dir, name), text);
      files.push(join(dir, name));
    }
    const device =
      o.family === 'ice40' ? (o.device ?? 'hx8k') : o.family === 'ecp5' ? 'ecp5 (cells only, no nextpnr-ecp5 here)' : 'xilinx 7-series (cells only)';
    const dsp = o.family === 'ice40' && o.device === 'up5k';
    const t0 = Date.now();
    const statFile = join(dir, 'stat.json');
    execFileSync('yosys', ['-q', '-l', join(logDir, 'yosys.log'), '-p', yosysScript(o.family, files, u.top, dsp, undefined, statFile)], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 256 << 20,
    });
    const yosysSeconds = (Date.now() - t0) / 1000;
    const stat = JSON.parse(readFileSync(statFile, 'utf8')) as { design: { num_cells_by_type: Record<string, number> } };
    const cells = stat.design.num_cells_by_type;
    const cls = CELL_CLASSES[o.family];
    const fmaxSeeds: number[] = [];
    const t1 = Date.now();
    if (o.family === 'ice40' && (o.seeds ?? 3) > 0) {
      const wrap = buildSynthWrapper(u);
      const wrapFile = join(dir, `${wrap.name}.v`);
      writeFileSync(wrapFile, wrap.emit());
      const json = join(dir, 'wrap.json');
      execFileSync(
        'yosys',
        [
          '-q',
          '-l',
          join(logDir, 'yosys-wrapper.log'),
          '-p',
          yosysScript('ice40', [...files, wrapFile], synthWrapperName(u), dsp, json, join(dir, 'wrap-stat.json')),
        ],
        { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 << 20 },
      );
      const seeds = o.seeds ?? 3;
      for (let seed = 1; seed <= seeds; seed++) {
        o.onSeed?.(seed, seeds);
        fmaxSeeds.push(placeAndRoute(json, o.device ?? 'hx8k', seed, targetMhz, dir, logDir));
      }
    }
    const pnrSeconds = (Date.now() - t1) / 1000;
    const exampleLength = Math.min(maxRowLength, u.unit === 'shiftgelu' ? 3072 : u.unit === 'layernorm' ? 768 : 197);
    return {
      unit: u.unit,
      top: u.top,
      family: o.family,
      device,
      params: u.params,
      lut: count(cells, cls.lut),
      ff: count(cells, cls.ff),
      carry: count(cells, cls.carry),
      dsp: count(cells, cls.dsp),
      bram: count(cells, cls.bram),
      cells,
      fmaxSeeds,
      fmaxMedianMhz: median(fmaxSeeds),
      targetMhz,
      timingMet: fmaxSeeds.length === 0 ? null : median(fmaxSeeds)! >= targetMhz,
      seedsMet: fmaxSeeds.length === 0 ? null : fmaxSeeds.filter((f) => f >= targetMhz).length,
      latencyExample: { rowLength: exampleLength, ...u.timing(exampleLength) },
      yosysSeconds,
      pnrSeconds,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** nextpnr-ice40 on the wrapper; returns the post-route Fmax of clk (the last figure nextpnr prints). Its log goes to logDir. */
function placeAndRoute(json: string, device: 'hx8k' | 'up5k', seed: number, targetMhz: number, dir: string, logDir: string): number {
  const pkg = device === 'hx8k' ? ['--hx8k', '--package', 'ct256'] : ['--up5k', '--package', 'sg48'];
  // nextpnr logs to stderr; --timing-allow-fail keeps a slow design's Fmax instead of an error
  const r = spawnSync(
    'nextpnr-ice40',
    [
      ...pkg,
      '--json',
      json,
      '--pcf-allow-unconstrained',
      '--freq',
      String(targetMhz),
      '--seed',
      String(seed),
      '--timing-allow-fail',
      '--asc',
      join(dir, `seed${seed}.asc`),
    ],
    {
      cwd: dir,
      encoding: 'utf8',
      maxBuffer: 256 << 20,
    },
  );
  const log = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  writeFileSync(join(logDir, `nextpnr-seed${seed}.log`), log);
  if (r.status !== 0)
    throw new Error(
      `nextpnr-ice40 failed (seed ${seed}): ${
        log
          .split('\n')
          .filter((l) => /ERROR/.test(l))
          .join(' ') || `exit ${r.status}`
      }`,
    );
  const matches = [...log.matchAll(/Max frequency for clock\s+'[^']*':\s+([\d.]+) MHz/g)];
  if (matches.length === 0) throw new Error(`nextpnr-ice40 printed no Fmax (seed ${seed})`);
  return Number(matches[matches.length - 1]![1]);
}

export const CSV_HEADER =
  'unit,top,family,device,lanes,variant,lut,ff,carry,dsp,bram,fmax_median_mhz,fmax_seeds,target_mhz,timing_met,seeds_met,row_length,latency,ii';

export function csvRow(r: SynthRow): string {
  const variant = String(r.params.flavour ?? r.params.sqrt ?? r.params.tie ?? '');
  return [
    r.unit,
    r.top,
    r.family,
    `"${r.device}"`,
    r.params.lanes ?? 1,
    variant,
    r.lut,
    r.ff,
    r.carry,
    r.dsp,
    r.bram,
    r.fmaxMedianMhz ?? '',
    `"${r.fmaxSeeds.join(' ')}"`,
    r.targetMhz,
    r.timingMet ?? '',
    r.seedsMet ?? '',
    r.latencyExample.rowLength,
    r.latencyExample.latency,
    r.latencyExample.initiationInterval,
  ].join(',');
}

/** The row for a person: cells, Fmax against the target and whether timing was met, latency. */
export function synthText(r: SynthRow): string {
  const lines = [`${r.top}: ${r.family}, ${r.device}`];
  lines.push(`  cells: ${r.lut} LUT, ${r.ff} FF, ${r.carry} carry, ${r.dsp} DSP, ${r.bram} BRAM (yosys ${r.yosysSeconds.toFixed(1)} s)`);
  if (r.timingMet === null) {
    lines.push(`  timing: not checked against ${r.targetMhz} MHz (no place and route${r.family === 'ice40' ? ': --seeds 0' : ` for ${r.family}`})`);
  } else {
    const verdict = r.timingMet ? 'met' : 'NOT met';
    lines.push(
      `  Fmax: median ${r.fmaxMedianMhz} MHz over seeds ${r.fmaxSeeds.join(', ')} (nextpnr ${r.pnrSeconds.toFixed(1)} s); target ${r.targetMhz} MHz: timing ${verdict} (${r.seedsMet} of ${r.fmaxSeeds.length} seeds reach it)`,
    );
  }
  const e = r.latencyExample;
  lines.push(`  latency/II at N=${e.rowLength}: ${e.latency}/${e.initiationInterval} cycles`);
  return lines.join('\n') + '\n';
}
