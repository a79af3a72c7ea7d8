/**
 * Chrome / Perfetto trace-event JSON: one track per unit (load, compute, sdu, store), one complete event per
 * instruction and one per stall (the unit idle with a blocked instruction at its head), timestamps in microseconds
 * at the configured clock. Open it in ui.perfetto.dev or chrome://tracing.
 */
import type { SimRun } from '../engine.js';
import type { AcceleratorConfig } from '../config.js';
import { UNITS } from '../../isa/table.js';
import { formatInstruction } from '../../isa/disasm.js';
import type { ProgramImage } from '../../isa/container.js';
import { regionNames } from './stats.js';
import { unitSlices } from './activity.js';

interface TraceEvent {
  name: string;
  ph: 'X' | 'M';
  pid: number;
  tid: number;
  ts?: number;
  dur?: number;
  cat?: string;
  args?: Record<string, string | number>;
}

export function traceEvents(run: SimRun, image: ProgramImage, cfg: AcceleratorConfig): { traceEvents: TraceEvent[]; displayTimeUnit: string } {
  const us = (cycles: number): number => cycles / cfg.clockMHz;
  const regions = regionNames(image, run.executed.length);
  const events: TraceEvent[] = [
    { name: 'process_name', ph: 'M', pid: 1, tid: 0, args: { name: `ivit accelerator ${cfg.array.rows}x${cfg.array.cols} ${cfg.array.dataflow}` } },
  ];
  UNITS.forEach((u, i) => events.push({ name: 'thread_name', ph: 'M', pid: 1, tid: i + 1, args: { name: u } }));
  for (const s of unitSlices(run)) {
    const x = run.executed[s.index]!;
    const stalls = Object.entries(x.stalls)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    const tid = UNITS.indexOf(s.unit) + 1;
    if (s.kind === 'stall') {
      events.push({ name: `stall: ${s.cause!}`, cat: 'stall', ph: 'X', pid: 1, tid, ts: us(s.start), dur: us(s.end - s.start), args: { pc: x.pc, stalls } });
      continue;
    }
    events.push({
      name: x.ins.mnemonic,
      cat: x.reportClass,
      ph: 'X',
      pid: 1,
      tid,
      ts: us(x.start),
      dur: us(x.end - x.start),
      args: { pc: x.pc, region: regions[x.pc]!, instruction: formatInstruction(x.ins), startCycle: x.start, endCycle: x.end, ...(stalls ? { stalls } : {}) },
    });
  }
  return { traceEvents: events, displayTimeUnit: 'ns' };
}
