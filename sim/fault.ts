/** A fault stops the run: it names the cycle, the PC and the instruction, never leaving a wrong answer behind. */
export class SimFault extends Error {
  constructor(
    readonly kind: 'address' | 'malformed' | 'deadlock' | 'cycle-limit' | 'value',
    readonly detail: string,
    readonly cycle: number,
    readonly pc: number,
    readonly instruction: string,
  ) {
    super(`${kind} fault at cycle ${cycle}, pc ${pc} (${instruction}): ${detail}`);
    this.name = 'SimFault';
  }
}

/** Raised by the value and footprint code; the engine turns it into a SimFault with PC and cycle. */
export class ExecError extends Error {
  constructor(
    readonly kind: 'address' | 'value',
    message: string,
  ) {
    super(message);
    this.name = 'ExecError';
  }
}
