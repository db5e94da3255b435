/**
 * The vector files' encoding of values JSON cannot hold (vectors/README.md): non-finite floats are the strings
 * "NaN", "Infinity" and "-Infinity". Decoding turns them into numbers wherever they appear, so a string field
 * whose value is exactly one of those words is read as the number too (no vector uses such a string).
 */
import type { Json } from './types.ts';

const NON_FINITE: Readonly<Record<string, number>> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

/** Replaces the non-finite spellings with numbers, recursively; returns a fresh value. */
export function decodeNonFinite(value: Json): Json {
  if (typeof value === 'string') return Object.hasOwn(NON_FINITE, value) ? (NON_FINITE[value] as number) : value;
  if (Array.isArray(value)) return value.map(decodeNonFinite);
  if (value !== null && typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(value)) out[k] = decodeNonFinite(v);
    return out;
  }
  return value;
}

/**
 * Brings an adapter's output into the vector's value space: Maps become objects in insertion order, undefined
 * becomes null, and the non-finite spellings decode as in the inputs. Anything else (functions, class
 * instances other than Map/Array) is reported by its description, so it never compares equal by accident.
 */
export function normaliseOutput(value: unknown): Json {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'string') return decodeNonFinite(value);
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(normaliseOutput);
  if (value instanceof Map) {
    const out: { [key: string]: Json } = {};
    for (const [k, v] of value) out[String(k)] = normaliseOutput(v);
    return out;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(value)) out[k] = normaliseOutput(v);
    return out;
  }
  return `<unsupported output value: ${Object.prototype.toString.call(value)}>`;
}

/** The inverse of decoding, for printing and `--json` reports: non-finite numbers become their spellings. */
export function encodeNonFinite(value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
  if (Array.isArray(value)) return value.map(encodeNonFinite);
  if (value instanceof Map) return encodeNonFinite(Object.fromEntries(value));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = encodeNonFinite(v);
    return out;
  }
  return value;
}
