/** load and store: 2-D strided DMA between DRAM and an on-chip memory, over the one shared DRAM channel. */
import type { Fields } from '../../isa/table.js';
import type { InstructionBehaviour } from './behaviour.js';
import { type Footprint, noTraffic } from '../footprint.js';
import { executeDma } from '../exec/dma.js';
import { dmaCost } from '../timing/units.js';

type DmaFields = Fields<'load'> | Fields<'store'>;

function dmaFootprint(f: DmaFields, direction: 'load' | 'store'): Footprint {
  const isLoad = direction === 'load';
  const total = f.rows * f.bytes;
  const unit = f.space === 'acc' ? 4 : 1; // bytes per on-chip address unit
  const traffic = noTraffic();
  if (isLoad) traffic.dramRead = total;
  else traffic.dramWrite = total;
  return {
    accesses: [
      { space: 'dram', lo: f.dram, hi: f.dram + (f.rows - 1) * f.dstride + f.bytes, write: !isLoad, what: 'DRAM side' },
      { space: f.space, lo: f.local, hi: f.local + ((f.rows - 1) * f.lstride * unit + f.bytes) / unit, write: isLoad, what: 'on-chip side' },
    ],
    traffic,
  };
}

export const load: InstructionBehaviour<'load'> = {
  reportClass: 'dma',
  footprint: (f) => dmaFootprint(f, 'load'),
  cost: (f, cfg) => dmaCost(f.rows * f.bytes, cfg),
  execute: (st, f) => executeDma(st, f, 'load'),
};

export const store: InstructionBehaviour<'store'> = {
  reportClass: 'dma',
  footprint: (f) => dmaFootprint(f, 'store'),
  cost: (f, cfg) => dmaCost(f.rows * f.bytes, cfg),
  execute: (st, f) => executeDma(st, f, 'store'),
};
