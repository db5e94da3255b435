/**
 * Python's `json.load` / `json.dump(value, indent=2)` for the dataset files the base miner rewrites
 * (miner-protocol-chain.md §5.5). Python keeps `1` and `1.0` apart and writes each back as it read it, so
 * the parser marks floats with `PyFloat`; integers stay plain numbers (beyond 2^53 they are rounded, which
 * no dataset column of ours relies on). `NaN`, `Infinity` and `-Infinity` are read and written as Python does.
 */
import { PyFloat, pyFloatRepr, pyJsonString } from '../net/python-json.ts';

export type PyJson = null | boolean | number | PyFloat | string | PyJson[] | { [key: string]: PyJson };

export class PyJsonParseError extends Error {
  constructor(message: string, readonly position: number) {
    super(`${message} at position ${position}`);
    this.name = 'PyJsonParseError';
  }
}

const WS = new Set([' ', '\t', '\n', '\r']);

/** Parses JSON text as Python's `json.loads` does, keeping int vs float. Duplicate keys: the last wins. */
export function parsePyJson(text: string): PyJson {
  let i = 0;
  const fail = (message: string): never => {
    throw new PyJsonParseError(message, i);
  };
  const skip = (): void => {
    while (i < text.length && WS.has(text[i] as string)) i++;
  };
  const literal = (word: string): boolean => {
    if (text.startsWith(word, i)) {
      i += word.length;
      return true;
    }
    return false;
  };
  const parseString = (): string => {
    i++; // opening quote
    let out = '';
    for (;;) {
      if (i >= text.length) fail('Unterminated string');
      const ch = text[i] as string;
      if (ch === '"') {
        i++;
        return out;
      }
      if (ch === '\\') {
        const e = text[i + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e !== undefined && simple[e] !== undefined) {
          out += simple[e];
          i += 2;
          continue;
        }
        if (e === 'u') {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('Invalid \\uXXXX escape');
          out += String.fromCharCode(parseInt(hex, 16));
          i += 6;
          continue;
        }
        fail('Invalid \\escape');
      }
      if (ch.charCodeAt(0) < 0x20) fail('Invalid control character');
      out += ch;
      i++;
    }
  };
  const parseNumber = (): number | PyFloat => {
    const m = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/.exec(text.slice(i));
    if (!m) return fail('Expecting value');
    i += m[0].length;
    const value = Number(m[0]);
    return m[1] !== undefined || m[2] !== undefined ? new PyFloat(value) : value;
  };
  const parseValue = (): PyJson => {
    skip();
    const ch = text[i];
    if (ch === '"') return parseString();
    if (ch === '{') {
      i++;
      const obj: { [key: string]: PyJson } = {};
      skip();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        skip();
        if (text[i] !== '"') fail('Expecting property name enclosed in double quotes');
        const key = parseString();
        skip();
        if (text[i] !== ':') fail("Expecting ':' delimiter");
        i++;
        // Python dicts keep the first position of a repeated key and its last value, as plain objects do.
        obj[key] = parseValue();
        skip();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        fail("Expecting ',' delimiter");
      }
    }
    if (ch === '[') {
      i++;
      const arr: PyJson[] = [];
      skip();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(parseValue());
        skip();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        fail("Expecting ',' delimiter");
      }
    }
    if (literal('null')) return null;
    if (literal('true')) return true;
    if (literal('false')) return false;
    if (literal('NaN')) return new PyFloat(NaN);
    if (literal('Infinity')) return new PyFloat(Infinity);
    if (literal('-Infinity')) return new PyFloat(-Infinity);
    return parseNumber();
  };
  const value = parseValue();
  skip();
  if (i !== text.length) fail('Extra data');
  return value;
}

function isObject(value: PyJson): value is { [key: string]: PyJson } {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof PyFloat);
}

function scalar(value: PyJson): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return pyJsonString(value);
  if (value instanceof PyFloat) return pyFloatRepr(value.value);
  if (typeof value === 'number') return Number.isInteger(value) ? (Number.isSafeInteger(value) ? String(value) : BigInt(value).toString()) : pyFloatRepr(value);
  throw new TypeError('not a scalar');
}

/** `json.dumps(value, indent=indent)` with Python's defaults otherwise (`ensure_ascii`, NaN allowed). */
export function dumpPyJsonIndented(value: PyJson, indent = 2): string {
  const walk = (v: PyJson, level: number): string => {
    const pad = '\n' + ' '.repeat(indent * (level + 1));
    const close = '\n' + ' '.repeat(indent * level);
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      return `[${v.map((item) => pad + walk(item, level + 1)).join(',')}${close}]`;
    }
    if (isObject(v)) {
      const entries = Object.entries(v);
      if (entries.length === 0) return '{}';
      return `{${entries.map(([k, item]) => `${pad}${pyJsonString(k)}: ${walk(item, level + 1)}`).join(',')}${close}}`;
    }
    return scalar(v);
  };
  return walk(value, 0);
}
