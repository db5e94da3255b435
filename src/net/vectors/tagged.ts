/**
 * The vector files' tagged trees, which keep Python's types through JSON: `{"$float": "3"}` is a Python float,
 * `{"$int": "…"}` an int of any size, `{"$map": [[k, v], …]}` a dict with that key order.
 */
import { PyFloat, pyFloat } from '../python-json.ts';

export function fromTagged(tagged: unknown): unknown {
  if (Array.isArray(tagged)) return tagged.map(fromTagged);
  if (tagged === null || typeof tagged !== 'object') return tagged;
  const obj = tagged as Record<string, unknown>;
  if ('$float' in obj) return pyFloat(Number(obj.$float));
  if ('$int' in obj) return BigInt(obj.$int as string);
  if ('$map' in obj) return new Map((obj.$map as [string, unknown][]).map(([k, v]) => [k, fromTagged(v)]));
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, fromTagged(v)]));
}

export function toTagged(value: unknown): unknown {
  if (value instanceof PyFloat) return { $float: Object.is(value.value, -0) ? '-0.0' : String(value.value) };
  if (typeof value === 'bigint') return { $int: value.toString() };
  if (typeof value === 'number') return Number.isInteger(value) ? { $int: String(value) } : { $float: String(value) };
  if (Array.isArray(value)) return value.map(toTagged);
  if (value instanceof Map) return { $map: [...value.entries()].map(([k, v]) => [k, toTagged(v)]) };
  if (value !== null && typeof value === 'object') return { $map: Object.entries(value).map(([k, v]) => [k, toTagged(v)]) };
  return value;
}
