/**
 * The FQ-ViT LIS lane's co-simulation adapter: each case is one beat (Δ, the layer's i-exp constants, the row
 * sum Σ); expected E, code and mask from the golden op (verify/golden/ops/lis.ts): E = lisExp, the code
 * log_round(RNE(Σ/E)) clamped to 2^b − 1, masked past it or where E = 0, as lisRow does for each element.
 */
import type { GeneratedUnit } from '../../rtl-gen/design.js';
import type { UnitAdapter } from './cosim.js';
import { fl32, roundHalfEvenDivBig } from '../golden/intmath.js';
import { LIS_EXP_N, type LisParams, lisConstants as goldenLisConstants, lisExp, logRound } from '../golden/ops/lis.js';

export interface LisLaneCase {
  delta: number;
  x0Mag: number;
  b: number;
  c: number;
  sum: bigint;
}

function laneParams(x0Mag: number, b: number, c: number, bits: number): LisParams {
  return { x0: -x0Mag, b, c, bits, inputBits: 9, polyBits: 32, sumBits: 64 };
}

/** The golden i-exp of one element reduced by the row max (Δ ≤ 0). */
export function lisExpReference(delta: number, x0Mag: number, b: number, c: number): bigint {
  return lisExp(delta, laneParams(x0Mag, b, c, 4), 'rtl cosim');
}

/** The golden code and mask of one element: lisRow's rule for E_j given the row sum (Σ < E/2 gives code 0). */
export function lisCodeReference(sum: bigint, e: bigint, codeBits: number): { code: number; mask: boolean } {
  const top = 2 ** codeBits - 1;
  const v = e === 0n ? 0n : roundHalfEvenDivBig(sum, e);
  const t = e === 0n ? top + 1 : v === 0n ? 0 : logRound(v);
  return { code: Math.min(t, top), mask: t > top };
}

function num(u: GeneratedUnit, name: string): number {
  const v = u.params[name];
  if (typeof v !== 'number') throw new Error(`unit ${u.top} has no numeric parameter ${name}`);
  return v;
}

export function lisLaneAdapter(u: GeneratedUnit): UnitAdapter<LisLaneCase[]> {
  const codeBits = num(u, 'codeBits');
  if (num(u, 'n') !== LIS_EXP_N) throw new RangeError(`lis: the golden op has n = ${LIS_EXP_N}, the unit ${num(u, 'n')}`);
  const big = BigInt;
  return {
    unit: u,
    beats: (row) => row.map((c) => [[big(c.delta)], [big(c.x0Mag)], [big(c.b)], [big(c.c)], [c.sum]]),
    expected: (row) =>
      row.map((c) => {
        const e = lisExpReference(c.delta, c.x0Mag, c.b, c.c);
        const r = lisCodeReference(c.sum, e, codeBits);
        return [[e], [big(r.code)], [r.mask ? 1n : 0n]];
      }),
    describe: (row) => row.map((c) => `(Δ ${c.delta}, x0 -${c.x0Mag}, b ${c.b}, c ${c.c}, Σ ${c.sum})`).join(' '),
  };
}

/** The golden op's i-exp constants for a logit scale S, as the lane takes them (|x0|). */
export function lisConstants(scale: number): { x0Mag: number; b: number; c: number } {
  const k = goldenLisConstants(fl32(scale));
  return { x0Mag: -k.x0, b: k.b, c: k.c };
}
