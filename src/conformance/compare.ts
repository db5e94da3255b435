/**
 * Structural comparison of an output with a vector's expected value (vectors/README.md): numbers compare
 * numerically with a relative tolerance (ints and floats alike; NaN equals NaN; infinities by sign), strings,
 * booleans and null exactly, arrays element by element, objects key by key (and by key order when the
 * adapter says order matters). Every difference is reported with a path such as `$.per_pair[0].score`.
 */
import type { Json } from './types.ts';

export const DEFAULT_RELATIVE_TOLERANCE = 1e-12;

export interface Mismatch {
  readonly path: string;
  readonly message: string;
}

export interface CompareOptions {
  readonly relativeTolerance?: number;
  readonly orderedKeys?: boolean;
  /** Stop after this many mismatches (the rest are not interesting once a case has failed). */
  readonly limit?: number;
}

/** Whether two numbers agree: exactly, both NaN, or within `tol` relative to the larger magnitude. */
export function numbersAgree(expected: number, actual: number, tol: number = DEFAULT_RELATIVE_TOLERANCE): boolean {
  if (expected === actual) return true;
  if (Number.isNaN(expected) || Number.isNaN(actual)) return Number.isNaN(expected) && Number.isNaN(actual);
  if (!Number.isFinite(expected) || !Number.isFinite(actual)) return false;
  return Math.abs(expected - actual) <= tol * Math.max(Math.abs(expected), Math.abs(actual));
}

function show(value: Json | undefined): string {
  if (value === undefined) return '(absent)';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : `"${String(value)}"`;
  const text = JSON.stringify(value, (_k, v: unknown) =>
    typeof v === 'number' && !Number.isFinite(v) ? String(v) : v,
  );
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function kindOf(value: Json): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function keyPath(path: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** An expected output that records an exception of the original: exactly `{error, message}`. */
export function isErrorOutput(value: Json): value is { error: string; message: string } {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.keys(value).length === 2 &&
    typeof value.error === 'string' &&
    typeof value.message === 'string'
  );
}

/** All differences between `expected` and `actual` (empty when they agree). */
export function compareValues(expected: Json, actual: Json, options: CompareOptions = {}): Mismatch[] {
  const tol = options.relativeTolerance ?? DEFAULT_RELATIVE_TOLERANCE;
  const limit = options.limit ?? Infinity;
  const out: Mismatch[] = [];
  const add = (path: string, message: string): void => {
    if (out.length < limit) out.push({ path, message });
  };

  const walk = (e: Json, a: Json, path: string): void => {
    if (out.length >= limit) return;
    if (isErrorOutput(e) && !isErrorOutput(a)) {
      add(path, `expected the original's ${e.error}(${show(e.message)}), got ${show(a)}`);
      return;
    }
    if (isErrorOutput(a) && !isErrorOutput(e)) {
      add(path, `expected ${show(e)}, got ${a.error}(${show(a.message)})`);
      return;
    }
    const ek = kindOf(e);
    const ak = kindOf(a);
    if (ek !== ak) {
      add(path, `expected ${ek} ${show(e)}, got ${ak} ${show(a)}`);
      return;
    }
    if (typeof e === 'number') {
      if (!numbersAgree(e, a as number, tol)) add(path, `expected ${show(e)}, got ${show(a)}`);
      return;
    }
    if (Array.isArray(e)) {
      const aa = a as Json[];
      if (e.length !== aa.length) add(path, `expected ${e.length} items, got ${aa.length}`);
      const n = Math.min(e.length, aa.length);
      for (let i = 0; i < n; i++) walk(e[i] as Json, aa[i] as Json, `${path}[${i}]`);
      return;
    }
    if (e !== null && typeof e === 'object') {
      const ao = a as { [key: string]: Json };
      const eKeys = Object.keys(e);
      const aKeys = Object.keys(ao);
      for (const k of eKeys) if (!Object.hasOwn(ao, k)) add(keyPath(path, k), `missing (expected ${show(e[k])})`);
      for (const k of aKeys) if (!Object.hasOwn(e, k)) add(keyPath(path, k), `unexpected key (got ${show(ao[k])})`);
      for (const k of eKeys) if (Object.hasOwn(ao, k)) walk(e[k] as Json, ao[k] as Json, keyPath(path, k));
      if (options.orderedKeys && eKeys.length === aKeys.length && eKeys.every((k) => Object.hasOwn(ao, k))) {
        if (eKeys.some((k, i) => aKeys[i] !== k)) add(path, `key order: expected [${eKeys.join(', ')}], got [${aKeys.join(', ')}]`);
      }
      return;
    }
    if (e !== a) add(path, `expected ${show(e)}, got ${show(a)}`);
  };

  walk(expected, actual, '$');
  return out;
}
