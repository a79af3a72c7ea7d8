/** gemm: C = init + A·Bᵀ on the systolic array. */
import type { InstructionBehaviour } from './behaviour.js';
import { type Access, noTraffic, strided } from '../footprint.js';
import { ceilDiv } from '../array/shape.js';
import { executeGemm, executeGemmDetailed } from '../exec/gemm.js';
import { gemmCost, gemmShape } from '../timing/units.js';

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
    const R = cfg.array.rows;
    const C = cfg.array.cols;
    const ws = cfg.array.dataflow === 'ws';
    // SCALE-Sim's SRAM traffic: A is re-read per column fold; B once (WS) or per row tile (OS); C per k fold (WS)
    const traffic = noTraffic();
    traffic.ifmapSram = f.m * f.k * esize * ceilDiv(f.n, C);
    traffic.filterSram = f.n * f.k * (ws ? 1 : ceilDiv(f.m, R));
    traffic.ofmapSram = f.m * f.n * 4 * (ws ? ceilDiv(f.k, R) : 1) * (f.init === 'acc' ? 2 : 1);
    return { accesses, traffic };
  },
  cost: (f, cfg, detailed) => gemmCost(gemmShape(f), cfg, detailed),
  execute(st, f, ctx) {
    const a = ctx.config.array;
    if (ctx.detailedArray) executeGemmDetailed(st, f, { rows: a.rows, cols: a.cols }, a.dataflow);
    else executeGemm(st, f);
  },
};
