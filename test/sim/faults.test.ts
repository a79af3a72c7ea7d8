/** Faults stop the run with the PC, the instruction and the cycle: deadlocks, bad addresses, malformed words, limits. */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { assemble } from '../../isa/asm/assembler.js';
import { DEFAULT_CONFIG, applyOverrides } from '../../sim/config.js';
import { runProgram } from '../../sim/run.js';
import { SimFault } from '../../sim/fault.js';
import { INSTRUCTION_BYTES, UNITS } from '../../isa/table.js';

const small = applyOverrides(DEFAULT_CONFIG, [
  'dram.bytes=4096',
  'scratchpad.bytes=1024',
  'scratchpad.banks=4',
  'accumulator.words=256',
  'accumulator.banks=2',
  'queueDepth=4',
]);

function faultOf(text: string, cfg = small, timingOnly = false): SimFault {
  try {
    runProgram(assemble(text), { config: cfg, timingOnly });
  } catch (e) {
    if (e instanceof SimFault) return e;
    throw e;
  }
  assert.fail('expected a SimFault');
}

describe('simulator faults', () => {
  it('a deadlock names the blocked PC, instruction and cycle', () => {
    const f = faultOf('nop unit=load, signal=s1\nnop unit=compute, wait=s0, signal=s2\nnop unit=sdu, wait=s2');
    assert.equal(f.kind, 'deadlock');
    assert.equal(f.pc, 1);
    assert.match(
      f.message,
      /deadlock fault at cycle \d+, pc 1 \(nop wait=s0, signal=s2, unit=compute\): no unit can proceed: compute pc 1 .* waits for s0=0; sdu pc 2 .* waits for s2=0/,
    );
  });

  it('detects exactly the deadlocks of random synchronisation programs (reference: untimed token game)', () => {
    // each semaphore is waited on by one unit only, so the untimed game is confluent and decides deadlock
    const seen = { deadlock: 0, completed: 0 };
    const prog = fc.array(fc.record({ unit: fc.integer({ min: 0, max: 3 }), wait: fc.integer({ min: 0, max: 3 }), signal: fc.integer({ min: 0, max: 255 }) }), {
      minLength: 1,
      maxLength: 24,
    });
    fc.assert(
      fc.property(prog, fc.integer({ min: 1, max: 4 }), (ins, depth) => {
        // semaphore 2u and 2u+1 belong to unit u's waits
        const waits = ins.map((x) => ((x.wait & 1 ? 1 : 0) << (2 * x.unit)) | ((x.wait & 2 ? 1 : 0) << (2 * x.unit + 1)));
        const cfg = applyOverrides(small, [`queueDepth=${depth}`]);
        const text = ins.map((x, i) => `nop unit=${UNITS[x.unit]}, wait=${waits[i]}, signal=${x.signal}`).join('\n');
        let simDeadlock = false;
        try {
          runProgram(assemble(text), { config: cfg });
        } catch (e) {
          if (!(e instanceof SimFault) || e.kind !== 'deadlock') throw e;
          simDeadlock = true;
        }
        // reference
        const sem = new Array<number>(8).fill(0);
        const queues: number[][] = [[], [], [], []];
        let fetch = 0;
        let done = 0;
        for (let progress = true; progress;) {
          progress = false;
          while (fetch < ins.length && queues[ins[fetch]!.unit]!.length < depth) {
            queues[ins[fetch]!.unit]!.push(fetch++);
            progress = true;
          }
          for (const q of queues) {
            if (!q.length) continue;
            const i = q[0]!;
            let ok = true;
            for (let s = 0; s < 8; s++) if (waits[i]! & (1 << s) && sem[s]! === 0) ok = false;
            if (!ok) continue;
            for (let s = 0; s < 8; s++) {
              if (waits[i]! & (1 << s)) sem[s]!--;
              if (ins[i]!.signal & (1 << s)) sem[s]!++;
            }
            q.shift();
            done++;
            progress = true;
          }
        }
        assert.equal(simDeadlock, done < ins.length);
        seen[simDeadlock ? 'deadlock' : 'completed']++;
      }),
      { numRuns: 400 },
    );
    assert.ok(seen.deadlock > 20 && seen.completed > 20, `both outcomes are exercised: ${JSON.stringify(seen)}`);
  });

  it('detects out-of-range accesses exactly (random DMA shapes against an independent bound)', () => {
    const dma = fc.record({
      store: fc.boolean(),
      dram: fc.integer({ min: 0, max: 5000 }),
      dstride: fc.integer({ min: 0, max: 600 }),
      acc: fc.boolean(),
      local: fc.integer({ min: 0, max: 1300 }),
      lstride: fc.integer({ min: 0, max: 300 }),
      rows: fc.integer({ min: 1, max: 8 }),
      words: fc.integer({ min: 1, max: 64 }),
    });
    const seen = { fault: 0, ok: 0 };
    fc.assert(
      fc.property(dma, fc.boolean(), (d, timingOnly) => {
        const bytes = d.words * 4;
        const text = `${d.store ? 'store' : 'load'} dram=${d.dram}, dstride=${d.dstride}, space=${d.acc ? 'acc' : 'spad'}, local=${d.local}, lstride=${d.lstride}, rows=${d.rows}, bytes=${bytes}`;
        const dramEnd = d.dram + (d.rows - 1) * d.dstride + bytes;
        const localEnd = d.acc ? d.local + (d.rows - 1) * d.lstride + d.words : d.local + (d.rows - 1) * d.lstride + bytes;
        const out = dramEnd > 4096 || localEnd > (d.acc ? 256 : 1024);
        let fault: SimFault | undefined;
        try {
          runProgram(assemble(text), { config: small, timingOnly });
        } catch (e) {
          if (!(e instanceof SimFault)) throw e;
          fault = e;
        }
        assert.equal(fault !== undefined, out, fault?.message ?? text);
        seen[fault ? 'fault' : 'ok']++;
        if (fault) {
          assert.equal(fault.kind, 'address');
          assert.equal(fault.pc, 0);
          assert.match(fault.message, /address fault at cycle 0, pc 0 \((load|store) .*\): .* is outside the \d+ (bytes|words) of (dram|spad|acc)/);
        }
      }),
      { numRuns: 400 },
    );
    assert.ok(seen.fault > 20 && seen.ok > 20, `both outcomes are exercised: ${JSON.stringify(seen)}`);
  });

  it('gemm and SDU operands out of range fault with the operand named', () => {
    assert.match(
      faultOf('gemm a=0, astride=64, b=0, bstride=1, c=200, cstride=8, m=8, n=8, k=8').message,
      /C acc\[0xc8\.\.0x107\] is outside the 256 words of acc/,
    );
    assert.match(faultOf('requant s=0, sstride=4, d=1000, dstride=40, rows=2, cols=40, qtab=0').message, /destination spad\[0x3e8\.\.0x437\] is outside/);
  });

  it('a malformed word faults at its PC when it is fetched', () => {
    const p = assemble('nop unit=load\nnop unit=sdu\nnop unit=store');
    const words = Uint8Array.from(p.words);
    words[INSTRUCTION_BYTES + 31] = 0xff; // reserved bits of pc 1
    try {
      runProgram({ ...p, words }, { config: small });
      assert.fail('expected a fault');
    } catch (e) {
      assert.ok(e instanceof SimFault);
      assert.equal(e.kind, 'malformed');
      assert.equal(e.pc, 1);
      assert.match(e.message, /malformed fault at cycle 1, pc 1 \(word 0x[0-9a-f]{64}\): nop: reserved bits/);
    }
  });

  it('a run past the cycle limit faults', () => {
    const cfg = applyOverrides(small, ['cycleLimit=150']);
    const f = faultOf('load dram=0, dstride=0, local=0, lstride=0, rows=1, bytes=64\nload dram=0, dstride=0, local=64, lstride=0, rows=1, bytes=64', cfg);
    assert.equal(f.kind, 'cycle-limit');
    assert.match(f.message, /cycle-limit fault at cycle 150, pc 1 .*passes the cycle limit of 150/);
  });

  it('values that do not fit their destination fault instead of wrapping', () => {
    // Shiftmax with k=16 gives values up to 2^15 − 1: they do not fit an int8 destination
    const text =
      '.data @0, i8, 5, 1, 0, -3\nload dram=0, dstride=4, local=0, lstride=4, rows=1, bytes=4, signal=s0\nshiftmax wait=s0, s=0, sstride=4, d=16, dstride=4, dtype=i8, rows=1, cols=4, x0=-20';
    const f = faultOf(text);
    assert.equal(f.kind, 'value');
    assert.equal(f.pc, 1);
    assert.match(f.message, /shiftmax: value \d+ \(row 0, column 0\) does not fit the i8 destination/);
    // the same program computes nothing in timing-only mode, so it completes
    runProgram(assemble(text), { config: small, timingOnly: true });
  });
});
