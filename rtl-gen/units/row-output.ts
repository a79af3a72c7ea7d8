/** The output side every row unit shares: the registered output beat, keep, last and valid, and the stream ports. */
import { type Expr, type ModuleBuilder, lit } from '../hdl/module.js';

/** Register one beat of lane results (lane 0 in the low bits) with its keep and control, and drive the outputs. */
export function registerRowOutputs(
  m: ModuleBuilder,
  lanes: readonly Expr[],
  keep: Expr,
  ctl: { valid: Expr; data: Expr },
  inReady: Expr,
  valueDoc: string,
): { valid: Expr; last: Expr } {
  const values = m.delay('out_y_q', m.concat([...lanes].reverse()));
  const outKeep = m.delay('out_keep_q', keep);
  const last = m.delay('out_last_q', ctl.data);
  const valid = m.flag('out_valid_q', ctl.valid);
  m.output('in_ready', inReady, 'the unit takes a beat this cycle');
  m.output('out_valid', valid, 'a beat of results');
  m.output('out_last', last, 'last beat of the row');
  m.output('out_keep', outKeep, 'lanes holding a channel');
  m.output('out_y', values, valueDoc);
  return { valid, last };
}

/** The next state of a row unit's controller: the first transition whose condition holds, else stay. */
export function nextState(m: ModuleBuilder, state: Expr, transitions: ReadonlyArray<readonly [Expr, number]>): Expr {
  let ns: Expr = state;
  for (let i = transitions.length - 1; i >= 0; i--) {
    const [cond, to] = transitions[i]!;
    ns = m.mux(cond, lit(to, state.width), ns);
  }
  return ns;
}
