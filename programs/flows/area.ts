/**
 * The area columns of a sweep: iCE40 cell counts (yosys synth_ice40 on HX8K, no DSP, no place and route) of
 * the SDU's four datapaths at the configuration's lanes and numerics, plus the systolic array as rows ×
 * columns copies of one synthesised int8 MAC PE (the array RTL does not exist yet, so that part is modelled).
 *
 * Synthesis time grows with the lanes (requant: 12 s at 1 lane, 45 s at 2, 106 s at 4 on this machine), so
 * each unit is synthesised at 1 and 2 lanes only; a configuration with L > 2 lanes is modelled as
 * area(1) + (L − 1)·(area(2) − area(1)) (at 4 lanes that is within 0.2–3% of the synthesised figure, see
 * docs/scale-out.md). Every synthesis is cached as one JSON file named by a hash of the unit, its parameters,
 * its Verilog and the yosys version, so a second sweep synthesises nothing.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AcceleratorConfig, ConfigError } from '../../sim/config.js';
import type { GeneratedUnit } from '../../rtl-gen/design.js';
import { unitSources } from '../../rtl-gen/emit.js';
import { synthesize } from '../../rtl-gen/synth/run.js';
import { MAC_PE_DEFAULTS, type PeDataflow, buildMacPe } from '../../rtl-gen/units/mac-pe.js';
import { machineUnits } from './sdu-units.js';

/** Bump when what a cache entry means changes (the synthesis script, the counted cells). */
const CACHE_FORMAT = 1;
const SYNTH = 'synth_ice40 (hx8k, no DSP, no place and route)';

export interface Cells {
  lut: number;
  ff: number;
  dsp: number;
}

/** One cache file: what was synthesised, with what, and its counts. */
export interface CachedSynthesis extends Cells {
  format: number;
  unit: string;
  top: string;
  params: Record<string, string | number | boolean>;
  yosys: string;
  synth: string;
  carry: number;
  yosysSeconds: number;
}

/** The area fields of a sweep row (SweepRow takes them as they are). */
export interface AreaColumns {
  areaLut: number;
  areaFf: number;
  areaDsp: number;
  areaSduLut: number;
  areaArrayLut: number;
  areaBasis: string;
}

/** `yosys -V`'s first line, or undefined when there is no yosys on the PATH. */
export function yosysVersion(): string | undefined {
  try {
    return execFileSync('yosys', ['-V'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim()
      .split('\n')[0];
  } catch {
    return undefined;
  }
}

/** The synthesis of one generated unit, named by its cache key. */
interface SynthJob {
  key: string;
  label: string;
  unit: GeneratedUnit;
  maxRowLength: number;
}

/** area(L) from the 1- and 2-lane figures: exact at 1 and 2, linear beyond (the per-lane increment repeated). */
export function scaleLanes(one: Cells, two: Cells, lanes: number): Cells {
  if (lanes === 1) return one;
  if (lanes === 2) return two;
  const at = (a: number, b: number): number => a + (lanes - 1) * (b - a);
  return { lut: at(one.lut, two.lut), ff: at(one.ff, two.ff), dsp: at(one.dsp, two.dsp) };
}

export interface AreaProgress {
  /** called before each synthesis that is not cached: its label, how many are done and how many in all */
  onSynthesis?(label: string, done: number, total: number): void;
  /** called after one, with its yosys seconds */
  onSynthesised?(label: string, seconds: number, done: number, total: number): void;
}

export interface PrepareStats {
  needed: number;
  cached: number;
  synthesised: number;
  seconds: number;
}

export class AreaModel {
  private readonly results = new Map<string, CachedSynthesis>();
  private readonly yosysShort: string;

  constructor(
    private readonly cacheDir: string,
    private readonly yosys: string,
  ) {
    this.yosysShort = /yosys\s+\S+/i.exec(yosys)?.[0]?.toLowerCase() ?? yosys;
  }

  /** The SDU units at `lanes` lanes for this configuration's numerics. */
  private sduJobs(cfg: AcceleratorConfig, lanes: number): SynthJob[] {
    return machineUnits(cfg).map(({ entry, options }) =>
      this.job(`${entry.name} ${lanes} lane${lanes > 1 ? 's' : ''}`, entry.build({ ...options, lanes }), entry.maxRowLength),
    );
  }

  private peJob(dataflow: PeDataflow): SynthJob {
    return this.job(`${dataflow} MAC PE`, buildMacPe({ ...MAC_PE_DEFAULTS, dataflow }), 1);
  }

  private job(label: string, unit: GeneratedUnit, maxRowLength: number): SynthJob {
    const sources = [...unitSources(unit)].map(([name, text]) => `${name}\n${text}`).join('\n');
    const key = createHash('sha256')
      .update(JSON.stringify({ format: CACHE_FORMAT, unit: unit.unit, top: unit.top, params: unit.params, yosys: this.yosys, synth: SYNTH }))
      .update(sources)
      .digest('hex')
      .slice(0, 32);
    return { key, label, unit, maxRowLength };
  }

  private jobsFor(cfg: AcceleratorConfig): { one: SynthJob[]; two: SynthJob[]; pe: SynthJob } {
    const L = cfg.sdu.lanes;
    return {
      one: L === 2 ? [] : this.sduJobs(cfg, 1),
      two: L === 1 ? [] : this.sduJobs(cfg, 2),
      pe: this.peJob(peDataflow(cfg)),
    };
  }

  /** Synthesises what the configurations need and the cache lacks, one unit at a time (yosys is single-threaded). */
  prepare(configs: readonly AcceleratorConfig[], progress: AreaProgress = {}): PrepareStats {
    const jobs = new Map<string, SynthJob>();
    for (const cfg of configs) {
      const j = this.jobsFor(cfg);
      for (const job of [...j.one, ...j.two, j.pe]) jobs.set(job.key, job);
    }
    const missing: SynthJob[] = [];
    for (const job of jobs.values()) {
      const hit = this.results.get(job.key) ?? this.readCache(job.key);
      if (hit) this.results.set(job.key, hit);
      else missing.push(job);
    }
    let seconds = 0;
    missing.forEach((job, i) => {
      progress.onSynthesis?.(job.label, i, missing.length);
      const row = synthesize(job.unit, job.maxRowLength, { family: 'ice40', seeds: 0 });
      const entry: CachedSynthesis = {
        format: CACHE_FORMAT,
        unit: row.unit,
        top: row.top,
        params: row.params,
        yosys: this.yosys,
        synth: SYNTH,
        lut: row.lut,
        ff: row.ff,
        dsp: row.dsp,
        carry: row.carry,
        yosysSeconds: row.yosysSeconds,
      };
      this.writeCache(job.key, entry);
      this.results.set(job.key, entry);
      seconds += row.yosysSeconds;
      progress.onSynthesised?.(job.label, row.yosysSeconds, i + 1, missing.length);
    });
    return { needed: jobs.size, cached: jobs.size - missing.length, synthesised: missing.length, seconds };
  }

  /** The area columns of one configuration; `prepare` must have seen it. */
  areaOf(cfg: AcceleratorConfig): AreaColumns {
    const j = this.jobsFor(cfg);
    const get = (job: SynthJob): CachedSynthesis => {
      const r = this.results.get(job.key);
      if (!r) throw new Error(`area: ${job.label} was not prepared`);
      return r;
    };
    const L = cfg.sdu.lanes;
    const sdu: Cells = { lut: 0, ff: 0, dsp: 0 };
    const count = Math.max(j.one.length, j.two.length);
    for (let i = 0; i < count; i++) {
      const one = j.one[i] ? get(j.one[i]!) : undefined;
      const two = j.two[i] ? get(j.two[i]!) : undefined;
      const c = L === 1 ? one! : L === 2 ? two! : scaleLanes(one!, two!, L);
      sdu.lut += c.lut;
      sdu.ff += c.ff;
      sdu.dsp += c.dsp;
    }
    const pe = get(j.pe);
    const pes = cfg.array.rows * cfg.array.cols;
    const units = machineUnits(cfg)
      .map((u) => u.entry.name)
      .join(', ');
    const sduBasis =
      L <= 2
        ? `sdu: ${this.yosysShort} ${SYNTH} of ${units} at ${L} lane${L > 1 ? 's' : ''} (measured)`
        : `sdu: ${this.yosysShort} ${SYNTH} of ${units} at 1 and 2 lanes (measured), at ${L} lanes as area(1) + ${L - 1}·(area(2) − area(1)) (modelled)`;
    const arrayBasis = `array: one int8 ${cfg.array.dataflow} MAC PE synthesised the same way (measured: ${pe.lut} LUT, ${pe.ff} FF) × ${cfg.array.rows}×${cfg.array.cols} (modelled; no array RTL yet)`;
    return {
      areaLut: sdu.lut + pes * pe.lut,
      areaFf: sdu.ff + pes * pe.ff,
      areaDsp: sdu.dsp + pes * pe.dsp,
      areaSduLut: sdu.lut,
      areaArrayLut: pes * pe.lut,
      areaBasis: `${sduBasis}; ${arrayBasis}; memories, DMA and control not counted`,
    };
  }

  private readCache(key: string): CachedSynthesis | undefined {
    try {
      const c = JSON.parse(readFileSync(join(this.cacheDir, `${key}.json`), 'utf8')) as CachedSynthesis;
      // a file of another format or yosys, or a damaged one, is synthesised again (and overwritten)
      return c.format === CACHE_FORMAT && c.yosys === this.yosys && [c.lut, c.ff, c.dsp].every(Number.isInteger) ? c : undefined;
    } catch {
      return undefined;
    }
  }

  /** Written to a temporary name and renamed, so that parallel shards sharing the cache never read half a file. */
  private writeCache(key: string, entry: CachedSynthesis): void {
    mkdirSync(this.cacheDir, { recursive: true });
    const tmp = join(this.cacheDir, `.${key}.${process.pid}.tmp`);
    writeFileSync(tmp, `${JSON.stringify(entry, null, 2)}\n`);
    renameSync(tmp, join(this.cacheDir, `${key}.json`));
  }
}

/** The PE the array area is built from: input-stationary exists only as SCALE-Sim timing, with no PE to synthesise. */
function peDataflow(cfg: AcceleratorConfig): PeDataflow {
  if (cfg.array.dataflow === 'is')
    throw new ConfigError('area: there is no input-stationary PE RTL (array.dataflow "is" is SCALE-Sim timing only): use --area none');
  return cfg.array.dataflow;
}
