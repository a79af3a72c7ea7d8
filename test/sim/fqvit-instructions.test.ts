/**
 * FQ-ViT on the machine: the lis SDU instruction, the array's shift mode (log-attention × V) and PTS LayerNorm,
 * each element compared with the golden op (verify/golden/ops/lis.ts, pts-layernorm.ts).
 */
import { strict as assert } from 'node:assert';
import { assemble } from '../../isa/asm/assembler.js';
import { DEFAULT_CONFIG, applyOverrides, numericsOf } from '../../sim/config.js';
import { runProgram } from '../../sim/run.js';
import { lisAttnV, lisConstants, lisRow } from '../../verify/golden/ops/lis.js';
import { ptsLayerNormRow } from '../../verify/golden/ops/pts-layernorm.js';
import { mulberry32 } from '../../isa/asm/prng.js';
import { initialDram, readI32, readI8 } from './helpers.js';

const base = applyOverrides(DEFAULT_CONFIG, ['dram.bytes=65536', 'numerics.preset=fqvit']);
const numerics = numericsOf(base);

function row(v: ArrayLike<number>, r: number, cols: number): number[] {
  return Array.from({ length: cols }, (_, c) => v[r * cols + c]!);
}

describe('FQ-ViT instructions (lis, gemm amode=shift, layernorm lnmode=pts)', () => {
  for (const bits of [4, 3]) {
    it(`lis to ${bits}-bit codes, then Σ V >> code on the array, equal to the golden ops element for element`, () => {
      const R = 5;
      const N = 45; // tokens (k of the shift GEMM)
      const D = 19; // head dimension
      const k = lisConstants(0.0625);
      const F = numerics.lis.vFracBits;
      const p = assemble(`
        .rand @0x0, i8, count=${R * N}, seed=${bits}
        .rand @0x800, i8, count=${D * N}, seed=${10 + bits}
        load dram=0x0, dstride=${N}, local=0x0, lstride=${N}, rows=${R}, bytes=${N}
        load dram=0x800, dstride=${N}, local=0x20000, lstride=${N}, rows=${D}, bytes=${N}, signal=s0
        lis wait=s0, s=0x0, sstride=${N}, d=0x10000, dstride=${N}, rows=${R}, cols=${N}, x0=${k.x0}, pb=${k.b}, pc=${k.c}, bits=${bits}, signal=s1
        gemm wait=s1, a=0x10000, astride=${N}, b=0x20000, bstride=${N}, c=0x0, cstride=${D}, m=${R}, n=${D}, k=${N}, amode=shift, fbits=${F}, signal=s2
        store wait=s2, dram=0x1000, dstride=${N}, local=0x10000, lstride=${N}, rows=${R}, bytes=${N}
        store dram=0x2000, dstride=${4 * D}, space=acc, local=0x0, lstride=${D}, rows=${R}, bytes=${4 * D}`);
      const { run, report } = runProgram(p, { config: base });
      const init = initialDram(p, base.dram.bytes);
      const x = readI8(init, 0x0, R * N);
      const v = readI8(init, 0x800, D * N);
      const codes = readI8(run.state!.dram, 0x1000, R * N);
      const out = readI32(run.state!.dram, 0x2000, R * D);
      const lp = { ...k, bits, inputBits: 8, polyBits: numerics.lis.polyBits, sumBits: numerics.lis.sumBits };
      let masked = 0;
      for (let r = 0; r < R; r++) {
        const g = lisRow(row(x, r, N), lp, 'test');
        assert.deepEqual(
          row(codes, r, N),
          g.codes.map((c, j) => (g.masked[j] ? -1 : c)),
          `codes of row ${r}`,
        );
        masked += g.masked.reduce((a, b) => a + b, 0);
        for (let j = 0; j < D; j++) {
          const want = lisAttnV(g.codes, g.masked, row(v, j, N), { vFracBits: F, vBits: 8, accBits: numerics.lis.accBits }, 'test');
          assert.equal(out[r * D + j], want, `attention·V [${r}][${j}]`);
        }
      }
      assert.ok(masked > 0, 'the drawn logits exercise the mask (probability 0)');
      assert.ok(report.classes.lis?.count === 1, 'lis is its own report class');
    });
  }

  it('PTS LayerNorm with per-channel α_c and (M_c, N_c, B_c), equal to the golden op', () => {
    const R = 7;
    const C = 48;
    const rnd = mulberry32(5);
    const int = (lo: number, hi: number): number => lo + (rnd() % (hi - lo + 1));
    const alpha = Array.from({ length: C }, () => int(0, 3));
    const m = Array.from({ length: C }, () => int(-255, 255));
    const n = Array.from({ length: C }, () => int(0, 31));
    const b = Array.from({ length: C }, (_, i) => int(-(2 ** Math.min(20, n[i]! + 6)), 2 ** Math.min(20, n[i]! + 6)));
    const triples = Array.from({ length: C }, (_, i) => `${m[i]}, ${n[i]}, ${b[i]}`).join(', ');
    const p = assemble(`
      .rand @0x0, i8, count=${R * C}, seed=7
      .data @0x800, i8, ${alpha.join(', ')}
      .data @0x900, i32, ${triples}
      load dram=0x0, dstride=${C}, local=0x0, lstride=${C}, rows=${R}, bytes=${C}
      load dram=0x800, dstride=${C}, local=0x30000, lstride=${C}, rows=1, bytes=${C}
      load dram=0x900, dstride=${12 * C}, local=0x30100, lstride=${12 * C}, rows=1, bytes=${12 * C}, signal=s0
      layernorm wait=s0, s=0x0, sstride=${C}, stype=i8, dspace=spad, d=0x10000, dstride=${C}, dtype=i8, rows=${R}, cols=${C}, lnmode=pts, atab=0x30000, ptab=0x30100, signal=s1
      store wait=s1, dram=0x1000, dstride=${C}, local=0x10000, lstride=${C}, rows=${R}, bytes=${C}`);
    const { run } = runProgram(p, { config: base });
    const x = readI8(initialDram(p, base.dram.bytes), 0x0, R * C);
    const got = readI8(run.state!.dram, 0x1000, R * C);
    const pp = { sqrt: numerics.pts.sqrt, inputBits: 8, varianceBits: numerics.pts.varianceBits, outputBits: 8 };
    let distinct = 0;
    for (let r = 0; r < R; r++) {
      const want = ptsLayerNormRow(row(x, r, C), { alpha, m, n, b }, pp, 'test').out;
      assert.deepEqual(row(got, r, C), want, `row ${r}`);
      distinct += new Set(want).size;
    }
    assert.ok(distinct > 3 * R, 'the outputs are not saturated constants');
  });

  it('the assembler rejects a PTS LayerNorm with a bias table, and a 4-bit field past the range', () => {
    assert.throws(
      () => assemble('layernorm s=0x0, sstride=8, stype=i8, dspace=spad, d=0x100, dstride=8, dtype=i8, rows=1, cols=8, lnmode=pts, bmode=table'),
      /lnmode=pts folds bias and requant/,
    );
    assert.throws(
      () => assemble('lis s=0x0, sstride=8, d=0x100, dstride=8, rows=1, cols=8, x0=-11, pb=20, pc=500, bits=8'),
      /bits=8: codes up to 255 need an i16/,
    );
    assert.throws(() => assemble('gemm a=0, astride=1, b=0, bstride=1, c=0, cstride=1, m=1, n=1, k=1, fbits=3'), /fbits \(3\) is only used with amode=shift/);
  });
});
