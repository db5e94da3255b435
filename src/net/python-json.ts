/**
 * Python's `json.dumps(value)` with its defaults (separators `", "` / `": "`, `ensure_ascii=True`,
 * `allow_nan=True`), byte for byte. fiber 2.4.0's validator signs `json.dumps(payload).encode()` and httpx 0.27
 * sends the same bytes, so producing them here lets our validator send exactly what a Python validator sends.
 *
 * JavaScript cannot tell `1` from `1.0`; Python can, and pydantic `float` fields dump as `3.0`. So an
 * integer-valued `number` is written as a Python int, and a value that must look like a Python float is wrapped
 * with `pyFloat(3)`. `bigint` is written as an int of any size. Key order is insertion order, except that plain
 * JS objects list integer-like keys first (a language rule); pass a `Map` when that order matters.
 */

/** Marks a number that Python holds as a `float` (`3` → `3.0`, `1e16` → `1e+16`). */
export class PyFloat {
  constructor(readonly value: number) {}
}

export function pyFloat(value: number): PyFloat {
  return new PyFloat(value);
}

/** Python's `repr(float)`: shortest round-trip digits, exponent form below 1e-4 or from 1e16 on. */
export function pyFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const sign = value < 0 ? '-' : '';
  // toExponential() without an argument gives the same shortest round-trip digits Python's repr uses.
  const [mantissa = '', exp = '0'] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  // Position of the decimal point relative to the first digit, as CPython's format_float_short counts it.
  const decpt = Number(exp) + 1;
  if (decpt <= -4 || decpt > 16) {
    const rest = digits.slice(1);
    const e = decpt - 1;
    const eAbs = String(Math.abs(e)).padStart(2, '0');
    return `${sign}${digits[0]}${rest ? `.${rest}` : ''}e${e < 0 ? '-' : '+'}${eAbs}`;
  }
  if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
  if (decpt >= digits.length) return `${sign}${digits}${'0'.repeat(decpt - digits.length)}.0`;
  return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
}

/** How Python writes a JS number: integers as ints, everything else as a float repr. */
function pyNumber(value: number): string {
  if (Number.isInteger(value)) {
    // Beyond 2^53 the integer is already rounded; BigInt prints every digit as Python's int would. -0 is 0.
    return Number.isSafeInteger(value) ? String(value) : BigInt(value).toString();
  }
  return pyFloatRepr(value);
}

/** `ensure_ascii=True`: everything outside printable ASCII becomes `\uXXXX` (lowercase hex, UTF-16 units). */
export function pyJsonString(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    switch (code) {
      case 0x22: out += '\\"'; break;
      case 0x5c: out += '\\\\'; break;
      case 0x0a: out += '\\n'; break;
      case 0x0d: out += '\\r'; break;
      case 0x09: out += '\\t'; break;
      case 0x08: out += '\\b'; break;
      case 0x0c: out += '\\f'; break;
      default:
        out += code >= 0x20 && code <= 0x7e ? value[i] : `\\u${code.toString(16).padStart(4, '0')}`;
    }
  }
  return `${out}"`;
}

/** Python raises ValueError for a cycle; the name keeps the message recognisable. */
class ValueError extends Error {}

function dumpKey(key: unknown): string {
  // Python's json.dumps turns int/float/bool/None keys into strings; anything else is a TypeError there.
  if (typeof key === 'string') return pyJsonString(key);
  if (typeof key === 'number') return `"${pyNumber(key)}"`;
  if (typeof key === 'bigint') return `"${key.toString()}"`;
  if (typeof key === 'boolean') return key ? '"true"' : '"false"';
  if (key === null) return '"null"';
  throw new TypeError(`keys must be str, int, float, bool or None, not ${typeof key}`);
}

function dump(value: unknown, seen: Set<object>): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string': return pyJsonString(value);
    case 'number': return pyNumber(value);
    case 'bigint': return value.toString();
    case 'boolean': return value ? 'true' : 'false';
    case 'undefined': return undefined;
    case 'function':
    case 'symbol':
      throw new TypeError(`Object of type ${typeof value} is not JSON serializable`);
  }
  if (value instanceof PyFloat) return pyFloatRepr(value.value);
  const obj = value as object;
  if (seen.has(obj)) throw new ValueError('Circular reference detected');
  if (typeof (obj as { toJSON?: unknown }).toJSON === 'function' && !(obj instanceof Map)) {
    return dump((obj as { toJSON(): unknown }).toJSON(), seen);
  }
  seen.add(obj);
  try {
    if (Array.isArray(obj)) {
      // A hole or undefined has no Python counterpart; JSON.stringify's choice (null) keeps arrays aligned.
      return `[${obj.map((item) => dump(item, seen) ?? 'null').join(', ')}]`;
    }
    const entries = obj instanceof Map ? [...obj.entries()] : Object.entries(obj);
    const parts: string[] = [];
    for (const [key, item] of entries) {
      const text = dump(item, seen);
      if (text !== undefined) parts.push(`${dumpKey(key)}: ${text}`);
    }
    return `{${parts.join(', ')}}`;
  } finally {
    seen.delete(obj);
  }
}

/**
 * `json.dumps(value)` as CPython 3 writes it by default. Object members whose value is `undefined` are left
 * out (as JSON.stringify does); objects with `toJSON` (Date) are written as what it returns.
 */
export function pythonJsonDumps(value: unknown): string {
  const text = dump(value, new Set());
  if (text === undefined) throw new TypeError('undefined is not JSON serializable');
  return text;
}
