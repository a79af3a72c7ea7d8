/**
 * Pipelined exact reciprocal F = ⌊(2^31 − 1)/D⌋, one D per cycle (ShiftGELU's per-element divide).
 *
 * Why it is about half a general divider: the numerator is the constant 2^31 − 1. In restoring division
 * MSB first, the partial remainder before quotient bit j is below 2^(30−j) (it is at most the numerator's top
 * bits, all ones), so the step for bit j only compares 31 − j bits, after checking D's upper bits are zero
 * (otherwise D exceeds the trial value and the bit is 0). The stages form a triangle: Σ(31 − j) ≈ 496
 * subtractor bits instead of 31 × 31.
 */
import { ModuleBuilder, lit, type Expr } from '../hdl/module.js';

export interface RecipPipeParams {
  /** quotient bits resolved between two pipeline registers */
  bitsPerStage: number;
  tagBits: number;
}

const W = 31;

export function recipPipeName(p: RecipPipeParams): string {
  return `ivit_recip_pipe_w${W}_b${p.bitsPerStage}_t${p.tagBits}`;
}

export function recipPipeLatency(p: RecipPipeParams): number {
  return Math.ceil(W / p.bitsPerStage);
}

export function buildRecipPipe(p: RecipPipeParams): ModuleBuilder {
  const latency = recipPipeLatency(p);
  const m = new ModuleBuilder(
    recipPipeName(p),
    [
      `Pipelined exact reciprocal: quot = ⌊(2^31 − 1)/den⌋ for 1 ≤ den < 2^31; ${p.bitsPerStage} quotient bits per stage,`,
      `latency ${latency} cycles, one element per cycle. Triangular restoring stages (the numerator is all ones).`,
    ],
    { reset: false },
  );
  const den = m.input('den', W, false, 'divisor D ≥ 1');
  const tagIn = m.input('tag_in', p.tagBits, false, 'side-band bits delayed with the element');
  let d: Expr = den;
  let tag: Expr = tagIn;
  let rem: Expr | undefined; // partial remainder, 30 − j bits before bit j (absent before bit 30)
  let quot: Expr | undefined; // quotient bits so far, MSB first
  let stagesSinceRegister = 0;
  let registers = 0;
  for (let j = W - 1; j >= 0; j--) {
    const tw = W - j; // width of the trial 2R + 1
    const trial: Expr = rem === undefined ? lit(1, 1) : m.concat([rem, lit(1, 1)]);
    const dLow = m.slice(d, tw - 1, 0);
    const dHighZero = j === 0 ? lit(1, 1) : m.not(m.any(m.slice(d, W - 1, tw)));
    let fits: Expr;
    let next: Expr | undefined;
    if (rem === undefined) {
      fits = dHighZero; // the trial is 1: any D with zero upper bits (D = 1) fits
      next = m.wire(`rem${j}`, m.mux(fits, lit(0, 1), trial));
    } else {
      // when D's upper bits are set, D exceeds the trial: the bit is 0 and the trial stays
      const step = m.subtractIfFits(`step${j}`, trial, dLow, tw, dHighZero);
      fits = step.fits;
      next = j === 0 ? undefined : m.wire(`rem${j}`, step.result); // the last step needs only its bit
    }
    rem = next;
    quot = quot === undefined ? fits : m.concat([quot, fits]);
    stagesSinceRegister++;
    if (stagesSinceRegister === p.bitsPerStage || j === 0) {
      registers++;
      stagesSinceRegister = 0;
      quot = m.delay(`quot_s${registers}`, quot);
      tag = m.delay(`tag_s${registers}`, tag);
      if (j > 0) {
        rem = m.delay(`rem_s${registers}`, rem!);
        d = m.delay(`den_s${registers}`, d);
      }
    }
  }
  if (registers !== latency) throw new Error(`recip pipe: ${registers} registers, expected ${latency}`);
  m.output('quot', quot!, '⌊(2^31 − 1)/den⌋');
  m.output('tag_out', tag, 'side-band bits');
  return m;
}
