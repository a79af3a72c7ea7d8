/**
 * One processing element of the systolic array, int8 × int8 into an int32 sum, for area estimates only: the
 * array's RTL does not exist yet, so a sweep synthesises this one PE and scales it by rows × columns
 * (docs/scale-out.md, "Area"). Not in the UNITS catalogue: it has no row stream, test bench or descriptor.
 *
 * Weight-stationary: a weight register loaded from a chain, the activation passed right, the partial sum
 * passed down (psum_out = psum_in + a·w, registered). Output-stationary: the activation passed right and the
 * weight down, the sum kept in place (acc ← a·b on clear, acc_in on drain (a read-out chain), else acc + a·b).
 */
import { ModuleBuilder } from '../hdl/module.js';
import type { GeneratedUnit } from '../design.js';

export type PeDataflow = 'ws' | 'os';

export interface MacPeParams {
  dataflow: PeDataflow;
  /** signed operand widths and the signed accumulator width */
  aBits: number;
  wBits: number;
  accBits: number;
}

export const MAC_PE_DEFAULTS: MacPeParams = { dataflow: 'ws', aBits: 8, wBits: 8, accBits: 32 };

export function buildMacPe(p: MacPeParams): GeneratedUnit {
  const top = `ivit_mac_pe_${p.dataflow}_a${p.aBits}_w${p.wBits}_acc${p.accBits}`;
  const m = new ModuleBuilder(
    top,
    [
      `One ${p.dataflow === 'ws' ? 'weight' : 'output'}-stationary systolic PE: int${p.aBits} × int${p.wBits} into int${p.accBits}, one MAC per cycle.`,
      'For area estimates (a sweep scales it by rows × columns); the array RTL itself is not generated yet.',
    ],
    { reset: false },
  ); // data registers only: nothing to reset
  const a = m.asSigned(m.input('a_in', p.aBits, true, 'activation from the left'));
  m.output('a_out', m.delay('a_q', a), 'activation to the right');
  if (p.dataflow === 'ws') {
    const wIn = m.asSigned(m.input('w_in', p.wBits, true, 'weight from above (the load chain)'));
    const load = m.input('w_load', 1, false, 'load the weight chain');
    const psumIn = m.asSigned(m.input('psum_in', p.accBits, true, 'partial sum from above'));
    const w = m.reg('w_q', p.wBits, { signed: true });
    m.next(w, wIn, load);
    m.output('w_out', w, 'weight to the PE below (the load chain)');
    const product = m.wire('product', m.mul(a, w)); // exact at aBits + wBits: the multiplier is no wider than it needs be
    m.output('psum_out', m.delay('psum_q', m.asSigned(m.add(psumIn, product, p.accBits))), 'partial sum to the PE below');
  } else {
    const b = m.asSigned(m.input('b_in', p.wBits, true, 'weight from above'));
    const clear = m.input('clear', 1, false, 'start a new sum with this product');
    const drain = m.input('drain', 1, false, 'shift the read-out chain: acc takes acc_in');
    const accIn = m.asSigned(m.input('acc_in', p.accBits, true, 'read-out chain from the PE above'));
    m.output('b_out', m.delay('b_q', b), 'weight to the PE below');
    const acc = m.reg('acc_q', p.accBits, { signed: true });
    const product = m.wire('product', m.mul(a, b)); // exact at aBits + wBits, sign-extended into the sum
    m.next(acc, m.mux(clear, product, m.mux(drain, accIn, m.asSigned(m.add(acc, product, p.accBits)))));
    m.output('acc_out', acc, 'the sum (and the read-out chain to the PE below)');
  }
  return {
    unit: 'mac-pe',
    top,
    modules: [m],
    params: { ...p },
    inputs: [],
    outputs: [],
    handshake: 'always',
    passes: 1,
    timing: () => ({ latency: 1, initiationInterval: 1 }),
    timingDoc: 'One registered MAC per cycle.',
  };
}
