/**
 * Sequential floor square root (digit by digit, one root bit per cycle): the I-LayerNorm "floor" variant,
 * a true ⌊√V⌋ in place of the reference's 10 Newton steps (numerics.md §5 lists where the two differ).
 * Timing: `start` is sampled at a rising edge; `done` is high one cycle, ⌈valueBits/2⌉ + 1 cycles later.
 */
import { ModuleBuilder, bitsFor, lit } from '../hdl/module.js';

export function seqIsqrtName(valueBits: number): string {
  return `ivit_seq_isqrt_v${valueBits}`;
}

export function seqIsqrtLatency(valueBits: number): number {
  return Math.ceil(valueBits / 2) + 1;
}

export function buildSeqIsqrt(valueBits: number): ModuleBuilder {
  const rootBits = Math.ceil(valueBits / 2);
  const vw = 2 * rootBits; // V padded to an even width
  const m = new ModuleBuilder(seqIsqrtName(valueBits), [
    `Sequential floor square root of a ${valueBits}-bit value: ${rootBits} root bits, one per cycle.`,
    `done pulses ${seqIsqrtLatency(valueBits)} cycles after start; root stays valid until the next start.`,
  ]);
  const start = m.input('start', 1, false, 'load the value and begin');
  const value = m.input('value', valueBits, false, 'V');
  // invariant: rem ≤ 2·root < 2^(rootBits + 1)
  const rw = rootBits + 1;
  const pending = m.reg('pending', vw); // V's unconsumed bit pairs, top first
  const rem = m.reg('rem_q', rw);
  const root = m.reg('root_q', rootBits);
  const countBits = bitsFor(rootBits);
  const count = m.reg('count_q', countBits, { reset: 0 });
  const busy = m.ne(count, lit(0, countBits));
  // one digit: bring down the next two bits of V and try (4·root + 1)
  const brought = m.wire('brought', m.concat([rem, m.slice(pending, vw - 1, vw - 2)]));
  const trial = m.wire('trial', m.concat([root, lit(1, 2)]));
  const { fits, result: remNext } = m.subtractIfFits('step', brought, trial, rw);
  const rootNext = m.concat([m.slice(root, rootBits - 2, 0), fits]);
  const load = m.or(start, busy);
  m.next(rem, m.mux(start, lit(0, rw), remNext), load);
  m.next(root, m.mux(start, lit(0, rootBits), rootNext), load);
  m.next(pending, m.mux(start, m.extend(value, vw), m.concat([m.slice(pending, vw - 3, 0), lit(0, 2)])), load);
  const countNext = m.mux(start, lit(rootBits, countBits), m.sub(count, lit(1, 1), countBits));
  m.next(count, m.truncate(countNext, countBits, false), load);
  const done = m.flag('done_q', m.and(busy, m.eq(count, lit(1, countBits))));
  m.output('done', done, 'root ready (one-cycle pulse)');
  m.output('root', root, '⌊√V⌋');
  return m;
}
