/** Strict readers for the JSON parameters of `ivit op`: each error names the key and the offending value. */
import { UserError } from './errors.js';
import { fl32 } from '../verify/golden/intmath.js';

export type JsonObject = Record<string, unknown>;

export function parseJsonObject(text: string, what: string): JsonObject {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${what} is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UserError(`${what} must be a JSON object, got ${short(v)}`);
  return v as JsonObject;
}

export function rejectUnknownKeys(o: JsonObject, allowed: readonly string[], what: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw new UserError(`${what}: unknown parameter "${k}" (expected ${allowed.join(', ')})`);
  }
}

export function short(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** An integer given as a JSON number (safe) or a decimal string. */
export function toBigInt(v: unknown, what: string): bigint {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new UserError(`${what}: ${short(v)} is not an integer below 2^53 (give larger values as decimal strings)`);
    return BigInt(v);
  }
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return BigInt(v.trim());
  throw new UserError(`${what}: ${short(v)} is not an integer`);
}

export function toSafeInt(v: unknown, what: string): number {
  const b = toBigInt(v, what);
  if (b > BigInt(Number.MAX_SAFE_INTEGER) || b < -BigInt(Number.MAX_SAFE_INTEGER)) throw new UserError(`${what}: ${b} does not fit below 2^53`);
  return Number(b);
}

export function requireIntArray(o: JsonObject, key: string, what: string): number[] {
  const v = o[key];
  if (!Array.isArray(v)) throw new UserError(`${what}: "${key}" must be an array of integers, got ${short(v)}`);
  if (v.length === 0) throw new UserError(`${what}: "${key}" must not be empty`);
  return v.map((e, i) => toSafeInt(e, `${what}: ${key}[${i}]`));
}

export function optionalIntArray(o: JsonObject, key: string, what: string): number[] | undefined {
  return o[key] === undefined ? undefined : requireIntArray(o, key, what);
}

export function optionalInt(o: JsonObject, key: string, dflt: number, what: string, lo: number, hi: number): number {
  const v = o[key];
  if (v === undefined) return dflt;
  const n = toSafeInt(v, `${what}: ${key}`);
  if (n < lo || n > hi) throw new UserError(`${what}: ${key} = ${n} is outside [${lo}, ${hi}]`);
  return n;
}

/** A scale: a positive finite JSON number, taken as the nearest float32. */
/** A float32 scale: positive, or (`signed`) any non-zero value, as a requant input scale S_n·γ with γ < 0 is on the model path. */
export function requireScale(o: JsonObject, key: string, what: string, sign: 'positive' | 'signed' = 'positive'): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || (sign === 'positive' ? v <= 0 : v === 0))
    throw new UserError(`${what}: "${key}" must be a ${sign === 'positive' ? 'positive' : 'non-zero'} finite number, got ${short(v)}`);
  const f = fl32(v);
  if (f === 0 || !Number.isFinite(f)) throw new UserError(`${what}: "${key}" = ${v} is not representable as a float32 scale`);
  return f;
}

/** JSON output: integers as numbers where they fit in 2^53, else decimal strings. */
export function jsonInt(v: number | bigint): number | string {
  if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  return v;
}
