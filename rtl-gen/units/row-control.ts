/**
 * Pieces every row unit shares: the masked per-beat max over lanes, the constant multiply n·|x0| by
 * shift-adds, and a control delay line (valid and row markers) that runs beside a data pipeline.
 */
import { type Expr, type ModuleBuilder, type Signal, lit } from '../hdl/module.js';

/** Lane j of a packed bus. */
export function lane(m: ModuleBuilder, bus: Signal, j: number, laneBits: number, signed: boolean): Expr {
  return m.slice(bus, (j + 1) * laneBits - 1, j * laneBits, signed);
}

/** Max of the kept lanes of one beat; lanes not kept count as the most negative value. */
export function maskedBeatMax(m: ModuleBuilder, values: Expr[], keep: Signal, bits: number): Expr {
  const floor = lit(-(1n << BigInt(bits - 1)), bits, true);
  let level: Expr[] = values.map((v, j) => (values.length === 1 ? v : m.mux(m.bit(keep, j), v, floor)));
  while (level.length > 1) {
    const next: Expr[] = [];
    for (let i = 0; i < level.length; i += 2) {
      if (i + 1 === level.length) next.push(level[i]!);
      else next.push(m.wire('beat_max', m.max(level[i]!, level[i + 1]!)));
    }
    level = next;
  }
  return level[0]!;
}

/** c·v for a constant c ≥ 1, as a sum of shifted copies (no multiplier). */
export function constMultiply(m: ModuleBuilder, v: Expr, c: number, width: number): Expr {
  let acc: Expr | undefined;
  for (let i = 0; c >> i > 0; i++) {
    if (((c >> i) & 1) === 0) continue;
    const term = m.extend(m.shlConst(v, i), width);
    acc = acc === undefined ? term : m.add(acc, term, width);
  }
  if (acc === undefined) throw new RangeError('constMultiply by 0');
  return acc;
}

/** Sum of lane values (unsigned) with lanes not kept counted as 0. */
export function maskedSum(m: ModuleBuilder, values: Expr[], keep: Expr, width: number): Expr {
  let level: Expr[] = values.map((v, j) => m.mux(m.bit(m.named(keep, 'keep'), j), m.extend(v, width), lit(0, width)));
  while (level.length > 1) {
    const next: Expr[] = [];
    for (let i = 0; i < level.length; i += 2) {
      if (i + 1 === level.length) next.push(level[i]!);
      else next.push(m.wire('lane_sum', m.add(level[i]!, level[i + 1]!, width)));
    }
    level = next;
  }
  return level[0]!;
}

/** Delay a control bundle by `cycles` registers; the valid bit has a reset, the rest do not. */
export function delayControl(m: ModuleBuilder, prefix: string, valid: Expr, data: Expr, cycles: number): { valid: Expr; data: Expr } {
  let v = valid;
  let d = data;
  for (let i = 1; i <= cycles; i++) {
    v = m.flag(`${prefix}_valid_d${i}`, v);
    d = m.delay(`${prefix}_d${i}`, d);
  }
  return { valid: v, data: d };
}
