/**
 * A run's total cycles under both array timing models, side by side: the run's own model and, from a second
 * timing-only run of the same program, the other one. Shows what this machine's fold overlap buys against
 * SCALE-Sim's fold-by-fold count (input-stationary exists only in the latter: its overlap figure is null).
 */
import { type AcceleratorConfig, type ArrayModel } from './config.js';
import { simulate } from './engine.js';
import type { ProgramImage } from '../isa/container.js';

export interface ArrayModelTotals {
  /** the model the run itself used */
  model: ArrayModel;
  overlap: number | null;
  scalesim: number;
}

export function arrayModelTotals(image: ProgramImage, cfg: AcceleratorConfig, totalCycles: number): ArrayModelTotals {
  const other: ArrayModel = cfg.array.model === 'overlap' ? 'scalesim' : 'overlap';
  const otherTotal =
    other === 'overlap' && cfg.array.dataflow === 'is'
      ? null
      : simulate(image, { config: { ...cfg, array: { ...cfg.array, model: other } }, timingOnly: true }).cycles;
  return cfg.array.model === 'overlap'
    ? { model: 'overlap', overlap: totalCycles, scalesim: otherTotal! }
    : { model: 'scalesim', overlap: otherTotal, scalesim: totalCycles };
}

const int = (v: number): string => v.toLocaleString('en-US');

/** One line for the terminal report. */
export function arrayModelsText(t: ArrayModelTotals): string {
  const mark = (m: ArrayModel): string => (m === t.model ? ' (this run)' : '');
  const overlap = t.overlap === null ? 'n/a (no input-stationary array)' : `${int(t.overlap)} cycles${mark('overlap')}`;
  const saved = t.overlap === null ? '' : `; fold overlap saves ${((100 * (t.scalesim - t.overlap)) / t.scalesim).toFixed(1)}% of SCALE-Sim's count`;
  return `  array models: overlap ${overlap}, scalesim (SCALE-Sim v2) ${int(t.scalesim)} cycles${mark('scalesim')}${saved}`;
}
