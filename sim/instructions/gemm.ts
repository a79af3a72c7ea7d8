/** gemm: C = init + A·Bᵀ on the systolic array. */
import type { InstructionBehaviour } from './behaviour.js';
import { type Access, noTraffic, strided } from '../footprint.js';
import { scaleSimSramWords } from '../array/scalesim.js';
import { executeGemm, executeGemmDetailed } from '../exec/gemm.js';
import { gemmCost, gemmShape, machineDataflow } from '../timing/units.js';

export const gemm: InstructionBehaviour<'gemm'> = {
  reportClass: 'gemm',
  footprint(f, cfg) {
    const esize = f.atype === 'i16' ? 2 : 1;
    const accesses: Access[] = [
      strided('spad', f.a, f.m, f.k, f.astride, esize, false, 'A'),
      { space: 'spad', lo: f.b, hi: f.b + (f.n - 1) * f.bstride + (f.k - 1) * f.bstep + 1, write: false, what: 'B' },
      strided('acc', f.c, f.m, f.n, f.cstride, 1, true, 'C'),
    ];
    if (f.init === 'bias') accesses.push({ space: 'acc', lo: f.bias, hi: f.bias + f.n, write: false, what: 'bias' });
    // SRAM traffic in words (array operand entries), as SCALE-Sim counts it for the configured dataflow
    const words = scaleSimSramWords({ rows: cfg.array.rows, cols: cfg.array.cols }, gemmShape(f), cfg.array.dataflow);
    const traffic = noTraffic();
    traffic.ifmapSram = words.ifmapReads;
    traffic.filterSram = words.filterReads;
    traffic.ofmapSram = words.ofmapWrites;
    return { accesses, traffic };
  },
  cost: (f, cfg, detailed) => gemmCost(gemmShape(f), cfg, detailed),
  execute(st, f, ctx) {
    const a = ctx.config.array;
    if (ctx.detailedArray) executeGemmDetailed(st, f, { rows: a.rows, cols: a.cols }, machineDataflow(ctx.config));
    else executeGemm(st, f);
  },
};
