/**
 * The FQ-ViT LIS lane's co-simulation adapter: each case is one beat (Δ, the layer's i-exp constants, the row
 * sum Σ); expected E, code and mask.
 *
 * PROVISIONAL: until verify/golden/ops/lis.ts lands (helper h-fqgold), the expectation below is FQ-ViT's
 * `QIntSoftmax.int_softmax` + `log_round` evaluated directly in exact integers (floor division for q, exact
 * RNE(Σ/E), the leading-one definition of log_round), written independently of the lane's threshold method.
 * It is to be replaced by the golden op, which owns these semantics.
 */
import type { GeneratedUnit } from '../../rtl-gen/design.js';
import type { UnitAdapter } from './cosim.js';
import { floorDivBig, roundHalfEvenDivBig } from '../golden/intmath.js';

export interface LisLaneCase {
  delta: number;
  x0Mag: number;
  b: number;
  c: number;
  sum: bigint;
}

/** I-BERT i-exp as FQ-ViT's int_exp evaluates it: E = max(0, ⌊z·2^(n − q)⌋). */
export function lisExpReference(delta: number, x0Mag: number, b: number, c: number, n: number): bigint {
  const x0 = BigInt(-x0Mag);
  const d = BigInt(delta);
  const x = d > BigInt(n) * x0 ? d : BigInt(n) * x0;
  const q = floorDivBig(x, x0);
  const r = x - x0 * q;
  const z = r * (r + BigInt(b)) + BigInt(c);
  return z > 0n ? z << (BigInt(n) - q) : 0n;
}

/** FQ-ViT's log_round(RNE(Σ/E)), clamped to 2^b − 1, and the mask for codes ≥ 2^b (E = 0: Σ/E = ∞, masked). */
export function lisCodeReference(sum: bigint, e: bigint, codeBits: number): { code: number; mask: boolean } {
  const top = 2 ** codeBits;
  if (e === 0n) return { code: top - 1, mask: true };
  const v = roundHalfEvenDivBig(sum, e);
  if (v === 0n) return { code: 0, mask: false }; // log2(0) = −∞ rounds and clamps to 0
  const t = v.toString(2).length - 1;
  const up = t >= 1 && ((v >> BigInt(t - 1)) & 1n) === 1n;
  const code = t + (up ? 1 : 0);
  return { code: Math.min(code, top - 1), mask: code >= top };
}

function num(u: GeneratedUnit, name: string): number {
  const v = u.params[name];
  if (typeof v !== 'number') throw new Error(`unit ${u.top} has no numeric parameter ${name}`);
  return v;
}

export function lisLaneAdapter(u: GeneratedUnit): UnitAdapter<LisLaneCase[]> {
  const n = num(u, 'n');
  const codeBits = num(u, 'codeBits');
  const big = BigInt;
  return {
    unit: u,
    beats: (row) => row.map((c) => [[big(c.delta)], [big(c.x0Mag)], [big(c.b)], [big(c.c)], [c.sum]]),
    expected: (row) =>
      row.map((c) => {
        const e = lisExpReference(c.delta, c.x0Mag, c.b, c.c, n);
        const r = lisCodeReference(c.sum, e, codeBits);
        return [[e], [big(r.code)], [r.mask ? 1n : 0n]];
      }),
    describe: (row) => row.map((c) => `(Δ ${c.delta}, x0 -${c.x0Mag}, b ${c.b}, c ${c.c}, Σ ${c.sum})`).join(' '),
  };
}

/** FQ-ViT's i-exp constants for a logit scale S (float64 here: the lane is exact for any constants in range). */
export function lisConstants(scale: number): { x0Mag: number; b: number; c: number } {
  const a = 0.35815147;
  return { x0Mag: -Math.floor(-0.6931 / scale), b: Math.floor(0.96963238 / a / scale), c: Math.floor(1 / a / (scale * scale)) };
}
