/** The FQ-ViT PTS LayerNorm unit's co-simulation adapter: a row is a token's q_c with its channel constants. */
import type { GeneratedUnit } from '../../rtl-gen/design.js';
import type { UnitAdapter } from './cosim.js';
import { chunk } from './adapters.js';
import { ptsLayerNormRow } from '../golden/ops/pts-layernorm.js';
import { FQVIT_NUMERICS } from '../golden/numerics-config.js';

export interface PtsRowCase {
  q: number[];
  alpha: number[];
  m: number[];
  n: number[];
  b: number[];
}

function num(u: GeneratedUnit, name: string): number {
  const v = u.params[name];
  if (typeof v !== 'number') throw new Error(`unit ${u.top} has no numeric parameter ${name}`);
  return v;
}

export function ptsLayerNormAdapter(u: GeneratedUnit): UnitAdapter<PtsRowCase> {
  const lanes = num(u, 'lanes');
  const inputBits = num(u, 'inputBits');
  const outputBits = num(u, 'outputBits');
  const big = BigInt;
  return {
    unit: u,
    beats: (row) => {
      const cols = [row.q, row.alpha, row.m, row.n, row.b].map((c) => chunk(c, lanes, 0));
      const pass = (norm: boolean) =>
        cols[0]!.map((b, i) => [
          [i === cols[0]!.length - 1 ? 1n : 0n],
          b.keep,
          b.values.map(big),
          cols[1]![i]!.values.map(big),
          ...[2, 3, 4].map((k) => cols[k]![i]!.values.map((v) => (norm ? big(v) : 0n))),
        ]);
      return [...pass(false), ...pass(true)];
    },
    expected: (row) => {
      const g = ptsLayerNormRow(row.q, row, { sqrt: FQVIT_NUMERICS.pts.sqrt, inputBits, varianceBits: 64, outputBits }, 'rtl cosim');
      return chunk(g.out, lanes, 0).map((b, i, all) => [[i === all.length - 1 ? 1n : 0n], b.keep, b.values.map(big)]);
    },
    describe: (row) => JSON.stringify(row),
  };
}
