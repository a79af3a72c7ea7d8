#!/usr/bin/env node
/**
 * Every distinct gemm shape of the given assembly listings (`ivit compile --asm`), co-simulated on the generated
 * arrays (Verilator) of each dataflow at each geometry: accumulator contents against the golden matmul, cycles
 * against arrayTiming() and detailedArray() of that dataflow. Writes a JSON results file and prints a summary
 * line per dataflow and geometry.
 * Usage: node scripts/bench-array-rtl.mjs <out.json> <dataflows e.g. ws,os> <geometries e.g. 4x4,8x8,16x16> <model.asm>...
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { buildArrayBench, checkGemm } from '../dist/verify/rtl/array-bench.js';
import { mulberry32 } from '../dist/isa/asm/prng.js';

const [out, flowList, geoList, ...asms] = process.argv.slice(2);
const shapes = new Map();
for (const file of asms) {
  const model = basename(file).replace(/\.asm$/, '');
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!/^\s*gemm\b/.test(line)) continue;
    const get = (k) => Number(new RegExp(`\\b${k}=(\\d+)`).exec(line)[1]);
    const a16 = /atype=i16/.test(line);
    const key = `${get('m')}x${get('n')}x${get('k')}${a16 ? 'i16' : 'i8'}`;
    const s = shapes.get(key) ?? { m: get('m'), n: get('n'), k: get('k'), a16, models: new Set(), count: 0 };
    s.models.add(model);
    s.count++;
    shapes.set(key, s);
  }
}
const rows = [];
for (const dataflow of flowList.split(','))
  for (const geo of geoList.split(',')) {
    const [R, C] = geo.split('x').map(Number);
    const g = { rows: R, cols: C };
    const build = buildArrayBench(g, dataflow, 'verilator');
    let match = 0;
    for (const [key, s] of shapes) {
      const next = mulberry32(s.m * 7919 + s.n * 104729 + s.k);
      const rnd = (lo, span) => lo + (next() % span);
      const A = s.a16 ? Int16Array.from({ length: s.m * s.k }, () => rnd(-32768, 65536)) : Int8Array.from({ length: s.m * s.k }, () => rnd(-128, 256));
      const B = Int8Array.from({ length: s.n * s.k }, () => rnd(-128, 256));
      const initValues = Int32Array.from({ length: s.n }, () => rnd(-100000, 200000));
      // int16 A with large k can overflow int32: keep the high bytes small there, as the compiler's operands are
      if (s.a16) for (let x = 0; x < A.length; x++) A[x] = A[x] % 2048;
      const r = checkGemm(build, { m: s.m, n: s.n, k: s.k, a16: s.a16, A, B, bLayout: s.a16 ? 'transposed' : 'rows', init: 'bias', initValues, pad: 1 }, true);
      const ok = r.firstValueMismatch < 0 && r.rtlCycles === r.closedForm && r.rtlCycles === r.detailed;
      if (ok) match++;
      rows.push({ dataflow, geometry: geo, shape: key, models: [...s.models], instructions: s.count, ...r, ok });
      process.stdout.write(
        `${dataflow} ${geo} ${key}: rtl ${r.rtlCycles} closed ${r.closedForm} detailed ${r.detailed} values ${r.firstValueMismatch < 0 ? 'equal' : 'DIFFER'}\n`,
      );
    }
    process.stdout.write(`${dataflow} ${geo}: ${match}/${shapes.size} shapes equal in values and cycles\n`);
  }
writeFileSync(out, JSON.stringify({ command: `node scripts/bench-array-rtl.mjs ${process.argv.slice(2).join(' ')}`, results: rows }, null, 1) + '\n');
const bad = rows.filter((r) => !r.ok).length;
process.exit(bad === 0 ? 0 : 1);
