/** SDU instructions not covered by the examples: reductions, LayerNorm into the accumulator, the TVM variant. */
import { strict as assert } from 'node:assert';
import { assemble } from '../../isa/asm/assembler.js';
import { DEFAULT_CONFIG, applyOverrides, numericsOf } from '../../sim/config.js';
import { runProgram } from '../../sim/run.js';
import { shiftmaxRow } from '../../verify/golden/ops/shiftmax.js';
import { layerNormRow } from '../../verify/golden/ops/layernorm.js';
import { requantOne } from '../../verify/golden/ops/requant.js';
import { initialDram, readI16, readI32, readI8 } from './helpers.js';

const base = applyOverrides(DEFAULT_CONFIG, ['dram.bytes=65536']);
const R = 6;
const C = 37;

function rows<T>(v: ArrayLike<T>, r: number): T[] {
  return Array.from({ length: C }, (_, c) => v[r * C + c]!);
}

describe('SDU instructions', () => {
  it('reduce max and sum over int8 and int16 rows', () => {
    const p = assemble(`
      .rand @0x0, i8, count=${R * C}, seed=1
      .rand @0x400, i16, count=${R * C}, seed=2
      load dram=0x0, dstride=${C}, local=0x0, lstride=${C}, rows=${R}, bytes=${C}
      load dram=0x400, dstride=${2 * C}, local=0x10000, lstride=${2 * C}, rows=${R}, bytes=${2 * C}, signal=s0
      reduce wait=s0, s=0x0, sstride=${C}, d=0x0, dstride=1, rows=${R}, cols=${C}, kind=max
      reduce s=0x10000, sstride=${C}, stype=i16, d=0x10, dstride=1, rows=${R}, cols=${C}, kind=sum
      reduce s=0x0, sstride=${C}, d=0x20000, dspace=spad, dtype=i16, dstride=1, rows=${R}, cols=${C}, kind=sum, signal=s1
      store wait=s1, dram=0x1000, dstride=0, space=acc, local=0x0, lstride=0, rows=1, bytes=${4 * 32}
      store dram=0x1100, dstride=0, local=0x20000, lstride=0, rows=1, bytes=${2 * R}`);
    const { run } = runProgram(p, { config: base });
    const init = initialDram(p, base.dram.bytes);
    const a = readI8(init, 0x0, R * C);
    const b = readI16(init, 0x400, R * C);
    const acc = readI32(run.state!.dram, 0x1000, 32);
    for (let r = 0; r < R; r++) {
      assert.equal(acc[r], Math.max(...rows(a, r)));
      assert.equal(
        acc[16 + r],
        rows(b, r).reduce((x, y) => x + y, 0),
      );
    }
    assert.deepEqual(
      readI16(run.state!.dram, 0x1100, R),
      Array.from({ length: R }, (_, r) => rows(a, r).reduce((x, y) => x + y, 0)),
    );
  });

  it('the TVM numerics variant (config numerics.preset=tvm): Shiftmax n=16, k=8 and requant ties upward', () => {
    const cfg = applyOverrides(base, ['numerics.preset=tvm']);
    const n = numericsOf(cfg);
    const p = assemble(`
      .rand @0x0, i8, count=${R * C}, seed=3
      .data @0x800, i32, 1073741824, 33
      load dram=0x0, dstride=${C}, local=0x0, lstride=${C}, rows=${R}, bytes=${C}
      load dram=0x800, dstride=8, local=0x30000, lstride=8, rows=1, bytes=8, signal=s0
      shiftmax wait=s0, s=0x0, sstride=${C}, d=0x10000, dstride=${C}, dtype=i8, rows=${R}, cols=${C}, x0=-17, n=16, k=8
      requant sspace=spad, s=0x0, sstride=${C}, stype=i8, d=0x20000, dstride=${C}, rows=${R}, cols=${C}, qtab=0x30000, signal=s1
      store wait=s1, dram=0x1000, dstride=${C}, local=0x10000, lstride=${C}, rows=${R}, bytes=${C}
      store dram=0x2000, dstride=${C}, local=0x20000, lstride=${C}, rows=${R}, bytes=${C}`);
    const { run } = runProgram(p, { config: cfg });
    const x = readI8(initialDram(p, cfg.dram.bytes), 0x0, R * C);
    const sm = readI8(run.state!.dram, 0x1000, R * C);
    const rq = readI8(run.state!.dram, 0x2000, R * C);
    for (let r = 0; r < R; r++) {
      const want = shiftmaxRow(rows(x, r), { x0: -17, n: 16, k: 8, flavour: 'tvm', inputBits: 8, expBits: n.expBits }, 't').out;
      assert.deepEqual(rows(sm, r), want);
    }
    // x / 4 with ties upward (TVM) differs from half-even on odd multiples of 2
    assert.deepEqual(
      Array.from(rq),
      Array.from(x, (v) => requantOne(v, { m: 1073741824, c: 33 }, 8, 'half-up')),
    );
    assert.ok(Array.from(x).some((v) => requantOne(v, { m: 1073741824, c: 33 }, 8, 'half-up') !== requantOne(v, { m: 1073741824, c: 33 }, 8, 'half-even')));
  });

  it('LayerNorm without bias or fused requant writes int32 into the accumulator buffer', () => {
    const p = assemble(`
      .rand @0x0, i16, count=${R * C}, seed=4, min=-2000, max=2000
      load dram=0x0, dstride=${2 * C}, local=0x0, lstride=${2 * C}, rows=${R}, bytes=${2 * C}, signal=s0
      layernorm wait=s0, s=0x0, sstride=${C}, d=0x100, dstride=${C}, rows=${R}, cols=${C}, signal=s1
      store wait=s1, dram=0x1000, dstride=${4 * C}, space=acc, local=0x100, lstride=${C}, rows=${R}, bytes=${4 * C}`);
    const { run } = runProgram(p, { config: base });
    const n = numericsOf(base);
    const x = readI16(initialDram(p, base.dram.bytes), 0x0, R * C);
    const got = readI32(run.state!.dram, 0x1000, R * C);
    for (let r = 0; r < R; r++) {
      const want = layerNormRow(
        rows(x, r),
        undefined,
        { sqrt: n.sqrt, mean: n.lnMean, halve: n.lnHalve, inputBits: 16, varianceBits: n.lnVarianceBits, outputBits: n.lnOutputBits },
        't',
      ).out;
      assert.deepEqual(rows(got, r), want);
    }
  });
});
