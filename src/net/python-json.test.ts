import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pyFloat, pyFloatRepr, pythonJsonDumps } from './python-json.ts';
import { fromTagged, toTagged } from './vectors/tagged.ts';

interface PostVector {
  name: string;
  payload: unknown;
  body: string;
}
const vectors = JSON.parse(readFileSync(new URL('./vectors/fiber-2.4.0.json', import.meta.url), 'utf8')) as { posts: PostVector[] };

describe('pythonJsonDumps', () => {
  it.each(vectors.posts.map((p) => [p.name, p] as const))('matches CPython json.dumps for the %s vector', (_name, vector) => {
    expect(pythonJsonDumps(fromTagged(vector.payload))).toBe(vector.body);
  });

  it('writes Python spacing, ints vs floats, ensure_ascii escapes', () => {
    expect(pythonJsonDumps({ a: 1, b: [1, 2], c: {}, d: [] })).toBe('{"a": 1, "b": [1, 2], "c": {}, "d": []}');
    expect(pythonJsonDumps([1, pyFloat(1), 1.5, -0, pyFloat(-0)])).toBe('[1, 1.0, 1.5, 0, -0.0]');
    expect(pythonJsonDumps('é😀\u007f\u0001"\\/')).toBe('"\\u00e9\\ud83d\\ude00\\u007f\\u0001\\"\\\\/"');
    expect(pythonJsonDumps([NaN, Infinity, -Infinity, null, true, false])).toBe('[NaN, Infinity, -Infinity, null, true, false]');
    expect(pythonJsonDumps(123456789012345678901234567890n)).toBe('123456789012345678901234567890');
    expect(pythonJsonDumps({ skip: undefined, keep: null })).toBe('{"keep": null}');
    expect(pythonJsonDumps(new Map<unknown, unknown>([[1, 'a'], [true, 'b'], [null, 'c']]))).toBe('{"1": "a", "true": "b", "null": "c"}');
    expect(pythonJsonDumps(new Date(Date.UTC(2025, 0, 2)))).toBe('"2025-01-02T00:00:00.000Z"');
  });

  it('keeps insertion order of Map keys, where plain objects would move integer-like keys first', () => {
    expect(pythonJsonDumps(new Map([['b', 1], ['1', 2]]))).toBe('{"b": 1, "1": 2}');
    expect(pythonJsonDumps({ b: 1, 1: 2 })).toBe('{"1": 2, "b": 1}');
  });

  it('formats floats as repr() does', () => {
    const cases: [number, string][] = [
      [1e16, '1e+16'], [1e15, '1000000000000000.0'], [1e-5, '1e-05'], [1e-4, '0.0001'], [0.1 + 0.2, '0.30000000000000004'],
      [1.5e300, '1.5e+300'], [5e-324, '5e-324'], [123.456, '123.456'], [-2.5, '-2.5'], [Number('1234567890123456.7'), '1234567890123456.8'],
      [Number('12345678901234567'), '1.2345678901234568e+16'], [0.5, '0.5'], [100, '100.0'],
    ];
    for (const [value, repr] of cases) expect(pyFloatRepr(value)).toBe(repr);
  });

  it('throws as Python does on cycles and unserialisable values', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => pythonJsonDumps(cyclic)).toThrow(/Circular/);
    expect(() => pythonJsonDumps(() => 1)).toThrow(/not JSON serializable/);
    expect(() => pythonJsonDumps(undefined)).toThrow(/not JSON serializable/);
  });

  const python = spawnSync('python3', ['-c', 'print(1)'], { encoding: 'utf8' });
  it.skipIf(python.status !== 0)('agrees with a live CPython on 1,500 random values', () => {
    const leaf = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.string({ unit: 'grapheme' }),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)),
      fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e20, max: 1e20 }).map((d) => pyFloat(d)),
      fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }),
      fc.boolean(),
      fc.constant(null),
    );
    const tree = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(fc.string({ unit: 'binary', maxLength: 6 }), tie('node'), { maxKeys: 4 }).map((d) => new Map(Object.entries(d)))),
    })).node;
    const samples = [...fc.sample(tree, { numRuns: 1500, seed: 56 }), pyFloat(-0), new Map([['k', [pyFloat(-0), -0]]]), '\ud800 lone \udfff', new Map([['\udc00', 1]])];
    const script = [
      'import json, sys',
      'def b(t):',
      '    if isinstance(t, dict):',
      "        if '$float' in t: return float(t['$float'])",
      "        if '$int' in t: return int(t['$int'])",
      "        return {k: b(v) for k, v in t['$map']}",
      '    if isinstance(t, list): return [b(v) for v in t]',
      '    return t',
      'for line in sys.stdin:',
      '    print(json.dumps(json.dumps(b(json.loads(line)))))',
    ].join('\n');
    // JSON.stringify of a lone surrogate emits \\udxxx escapes (well-formed JSON), which Python reads back exactly.
    const input = samples.map((s) => JSON.stringify(toTagged(s))).join('\n') + '\n';
    const run = spawnSync('python3', ['-c', script], { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(run.stderr).toBe('');
    const expected = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as string);
    expect(expected).toHaveLength(samples.length);
    samples.forEach((sample, i) => expect(pythonJsonDumps(sample)).toBe(expected[i]));
  });
});
