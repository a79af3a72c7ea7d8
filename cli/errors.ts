/** Errors the CLI reports as one clear line with exit code 2 (bad input), never a stack trace. */
import { NumericsInputError, WidthOverflowError } from '../verify/golden/intmath.js';
import { ModelConfigError } from '../verify/golden/zoo.js';
import { SafetensorsError } from '../verify/model/safetensors.js';

/** A problem with what the user gave us: a file, a flag, a value. The message names the offending thing. */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** Error classes that mean "bad input" wherever they come from. Other areas register theirs here. */
const userErrorClasses: Array<abstract new (...args: never[]) => Error> = [
  UserError,
  NumericsInputError,
  WidthOverflowError,
  ModelConfigError,
  SafetensorsError,
  SyntaxError,
  RangeError,
];

export function registerUserErrorClass(cls: abstract new (...args: never[]) => Error): void {
  userErrorClasses.push(cls);
}

export function isUserError(e: unknown): e is Error {
  return e instanceof Error && userErrorClasses.some((cls) => e instanceof cls);
}
