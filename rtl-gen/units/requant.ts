/**
 * Dyadic requant unit (numerics.md §2): out = clamp(round(z·m / 2^c)) per element, with a per-channel (m, c)
 * streamed beside z. Rounding is exact: the floor shift gives the quotient, and the bits shifted out are
 * moved to the top by a left shift by (width − c), where the round bit and the sticky OR are read.
 * Three registers: product, shift + round, clamp. One beat per cycle.
 */
import { ModuleBuilder, bitsFor, lit, type Expr } from '../hdl/module.js';
import type { GeneratedUnit } from '../design.js';
import { requantTiming } from '../timing.js';
import { lane } from './row-control.js';
import type { TieRule } from '../../verify/golden/intmath.js';

export interface RequantUnitParams {
  lanes: number;
  /** signed width of z (33: the LayerNorm output) */
  zBits: number;
  /** signed width of m (33 holds the +2^31 the reference keeps) */
  mBits: number;
  /** unsigned width of c */
  cBits: number;
  /** signed output width */
  outBits: number;
  tie: TieRule;
}

export const REQUANT_DEFAULTS: RequantUnitParams = { lanes: 1, zBits: 33, mBits: 33, cBits: 6, outBits: 8, tie: 'half-even' };

export function buildRequantUnit(p: RequantUnitParams): GeneratedUnit {
  const L = p.lanes;
  const top = `ivit_requant_l${L}_z${p.zBits}_m${p.mBits}_c${p.cBits}_o${p.outBits}_${p.tie === 'half-up' ? 'hu' : 'he'}`;
  const pw = p.zBits + p.mBits; // exact product width
  if ((1 << p.cBits) - 1 > pw) throw new RangeError(`requant: shifts up to 2^${p.cBits} − 1 exceed the ${pw}-bit product`);
  const m = new ModuleBuilder(top, [
    `Dyadic requant, ${L} lane(s): out = clamp_${p.outBits}(round(z·m / 2^c)), ties ${p.tie}; z int${p.zBits}, m int${p.mBits}, c uint${p.cBits}.`,
    'Three pipeline registers (product, round, clamp); one beat per cycle.',
  ]);
  const inValid = m.input('in_valid', 1, false, 'a beat is offered (always taken)');
  const inZ = m.input('in_z', L * p.zBits, false, 'z, lane 0 in the low bits');
  const inM = m.input('in_m', L * p.mBits, false, 'per-channel multiplier m');
  const inC = m.input('in_c', L * p.cBits, false, 'per-channel shift c');
  const v1 = m.flag('valid_s1', inValid);
  const v2 = m.flag('valid_s2', v1);
  const v3 = m.flag('valid_s3', v2);
  const outs: Expr[] = [];
  const sw = bitsFor(pw); // width of (pw − c)
  for (let j = 0; j < L; j++) {
    const z = lane(m, inZ, j, p.zBits, true);
    const mm = lane(m, inM, j, p.mBits, true);
    const c = lane(m, inC, j, p.cBits, false);
    // stage 1: the exact product
    const prod = m.delay(`prod${j}`, m.mul(z, mm), undefined);
    const c1 = m.delay(`c${j}_s1`, c);
    // stage 2: floor quotient and the rounding decision
    const prodS = m.asSigned(prod);
    const floorQ = m.wire(`floor${j}`, m.shrVar(prodS, c1));
    const lostShift = m.wire(`lost_shift${j}`, m.sub(lit(pw, sw), c1, sw + 1), { discards: 'top bit: c ≤ product width' });
    // the shifted-out bits, moved to the top (ties upward read only the round bit)
    const lost = m.wire(
      `lost${j}`,
      m.shlVar(prod, m.truncate(lostShift, sw, false), pw),
      p.tie === 'half-up' ? { discards: 'ties upward need only the round bit' } : {},
    );
    const roundBit = m.msb(lost);
    const up = p.tie === 'half-up' ? roundBit : m.and(roundBit, m.or(m.any(m.slice(lost, pw - 2, 0)), m.bit(floorQ, 0)));
    // floor + 1 cannot overflow: a round-up needs c ≥ 1, so |floor| < 2^(pw − 1)
    const rounded = m.delay(`rounded${j}`, m.asSigned(m.add(floorQ, m.extend(up, 1), pw)));
    // stage 3: clamp
    outs.push(m.saturateSigned(m.asSigned(rounded), p.outBits));
  }
  const outQ = m.delay('result_q', m.concat(outs.map((o) => m.asUnsigned(o)).reverse()));
  m.output('out_valid', v3, 'a beat of results');
  m.output('out_q', outQ, `results, int${p.outBits} per lane`);
  return {
    unit: 'requant',
    top,
    modules: [m],
    params: { ...p },
    inputs: [
      { name: 'in_z', laneBits: p.zBits, lanes: L, signed: true, doc: 'z' },
      { name: 'in_m', laneBits: p.mBits, lanes: L, signed: true, doc: 'm' },
      { name: 'in_c', laneBits: p.cBits, lanes: L, signed: false, doc: 'c' },
    ],
    outputs: [{ name: 'out_q', laneBits: p.outBits, lanes: L, signed: true, doc: 'clamped, rounded results' }],
    handshake: 'always',
    passes: 1,
    timing: (rowLength) => requantTiming({ rowLength, lanes: L, stages: 3 }),
    timingDoc: 'Three registers (product; floor shift and round; clamp), one beat per cycle: latency ⌈N/L⌉ − 1 + 3, II ⌈N/L⌉.',
  };
}
