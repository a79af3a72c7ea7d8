/**
 * Pipeline cuts: a generator names the points where a register may go and passes the values live there;
 * the pipelining policy decides which points get a register. The latency is then counted, not guessed.
 */
import type { Expr, ModuleBuilder } from './module.js';

export class Stager {
  /** registers passed so far (the pipeline's latency at the current point) */
  latency = 0;
  private readonly seen: string[] = [];

  constructor(
    private readonly m: ModuleBuilder,
    private readonly registered: ReadonlySet<string>,
  ) {}

  /** Values after the point `name`: registered copies where the policy puts a register, else the same values. */
  cut<T extends Record<string, Expr>>(name: string, live: T): T {
    this.seen.push(name);
    if (!this.registered.has(name)) return live;
    this.latency++;
    const out: Record<string, Expr> = {};
    for (const [k, v] of Object.entries(live)) out[k] = this.m.delay(`${k}_s${this.latency}`, v);
    return out as T;
  }

  /** Every cut point visited, in order (for documentation and policy checks). */
  points(): readonly string[] {
    return this.seen;
  }
}

/** Pick `count` of the candidate points, spread evenly and always including the last one (the output register). */
export function spreadCuts(candidates: readonly string[], count: number): Set<string> {
  if (count < 0 || count > candidates.length) {
    throw new RangeError(`pipeline depth ${count} is outside 0..${candidates.length}`);
  }
  const chosen = new Set<string>();
  for (let i = 1; i <= count; i++) {
    const idx = Math.round((i * candidates.length) / count) - 1;
    chosen.add(candidates[idx]!);
  }
  return chosen;
}
