/** A model or machine the compiler cannot map: the message names the offending size and what would fit. */
export class CompileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CompileError';
  }
}
