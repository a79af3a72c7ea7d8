/**
 * The fetch stage fetches up to the next event in one go; that must give exactly the schedule of fetching one
 * instruction per event cycle (the reference mode): same start and end of every instruction, same stalls, same faults.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { assemble } from '../../isa/asm/assembler.js';
import { DEFAULT_CONFIG, applyOverrides } from '../../sim/config.js';
import { simulate } from '../../sim/engine.js';

const cfgBase = applyOverrides(DEFAULT_CONFIG, [
  'dram.bytes=65536',
  'scratchpad.bytes=65536',
  'scratchpad.banks=8',
  'accumulator.words=8192',
  'accumulator.banks=4',
  'dma.latency=7',
  'dma.bytesPerCycle=8',
]);
const SPAD_BANK = 8192;
const ACC_BANK = 2048;

const op = fc.record({
  kind: fc.constantFrom('load', 'store', 'gemm', 'requant', 'nop'),
  nopUnit: fc.constantFrom('load', 'compute', 'sdu', 'store'),
  wait: fc.integer({ min: 0, max: 3 }),
  signal: fc.integer({ min: 0, max: 255 }),
  bank: fc.integer({ min: 0, max: 7 }),
  bank2: fc.integer({ min: 0, max: 7 }),
  accBank: fc.integer({ min: 0, max: 3 }),
  rows: fc.integer({ min: 1, max: 12 }),
  bytes: fc.integer({ min: 1, max: 64 }),
  m: fc.integer({ min: 1, max: 40 }),
  n: fc.integer({ min: 1, max: 20 }),
  k: fc.integer({ min: 1, max: 40 }),
});

const UNIT_INDEX: Record<string, number> = { load: 0, gemm: 1, requant: 2, store: 3 };

interface Op {
  kind: string;
  nopUnit: string;
  wait: number;
  signal: number;
  bank: number;
  bank2: number;
  accBank: number;
  rows: number;
  bytes: number;
  m: number;
  n: number;
  k: number;
}

function programText(ops: Op[]): string {
  return ops
    .map((o) => {
      const unit = o.kind === 'nop' ? ['load', 'compute', 'sdu', 'store'].indexOf(o.nopUnit) : UNIT_INDEX[o.kind]!;
      // semaphores 2u and 2u+1 are waited on by unit u only
      const wait = ((o.wait & 1) << (2 * unit)) | (((o.wait >> 1) & 1) << (2 * unit + 1));
      const sync = `wait=${wait}, signal=${o.signal}`;
      switch (o.kind) {
        case 'load':
        case 'store':
          return `${o.kind} ${sync}, dram=0, dstride=${o.bytes}, local=${o.bank * SPAD_BANK}, lstride=${o.bytes}, rows=${o.rows}, bytes=${o.bytes}`;
        case 'gemm':
          return `gemm ${sync}, a=${o.bank * SPAD_BANK}, astride=${o.k}, b=${o.bank2 * SPAD_BANK}, bstride=${o.k}, c=${o.accBank * ACC_BANK}, cstride=${o.n}, m=${o.m}, n=${o.n}, k=${o.k}`;
        case 'requant':
          return `requant ${sync}, s=${o.accBank * ACC_BANK}, sstride=${o.n}, d=${o.bank * SPAD_BANK}, dstride=${o.n}, rows=${o.rows}, cols=${o.n}, qtab=${o.bank2 * SPAD_BANK + 4096}`;
        default:
          return `nop ${sync}, unit=${o.nopUnit}`;
      }
    })
    .join('\n');
}

function outcome(text: string, depth: number, unbatched: boolean): string {
  const cfg = applyOverrides(cfgBase, [`queueDepth=${depth}`]);
  try {
    const run = simulate(assemble(text), { config: cfg, timingOnly: true, unbatchedFetch: unbatched });
    return JSON.stringify({ cycles: run.cycles, x: run.executed.map((x) => [x.start, x.end, x.stalls]) });
  } catch (e) {
    return `fault: ${(e as Error).message}`;
  }
}

describe('batched fetch = one instruction per cycle', () => {
  it('identical schedules, stalls and faults on random programs', () => {
    let completed = 0;
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 6 }), (ops, depth) => {
        const text = programText(ops);
        const batched = outcome(text, depth, false);
        assert.equal(batched, outcome(text, depth, true));
        if (!batched.startsWith('fault')) completed++;
      }),
      { numRuns: 300 },
    );
    assert.ok(completed > 30, `programs that complete: ${completed}`);
  });
});
