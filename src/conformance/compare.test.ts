import { describe, expect, it } from 'vitest';
import { compareValues, isErrorOutput, numbersAgree } from './compare.ts';
import { decodeNonFinite, encodeNonFinite, normaliseOutput } from './codec.ts';

describe('numbersAgree', () => {
  it('treats ints and floats alike and NaN as equal to NaN', () => {
    expect(numbersAgree(3, 3.0)).toBe(true);
    expect(numbersAgree(NaN, NaN)).toBe(true);
    expect(numbersAgree(NaN, 0)).toBe(false);
    expect(numbersAgree(0, NaN)).toBe(false);
  });
  it('compares infinities by sign', () => {
    expect(numbersAgree(Infinity, Infinity)).toBe(true);
    expect(numbersAgree(-Infinity, -Infinity)).toBe(true);
    expect(numbersAgree(Infinity, -Infinity)).toBe(false);
    expect(numbersAgree(Infinity, 1e308)).toBe(false);
  });
  it('uses a relative tolerance of 1e-12', () => {
    expect(numbersAgree(1, 1 + 5e-13)).toBe(true);
    expect(numbersAgree(1, 1 + 5e-12)).toBe(false);
    expect(numbersAgree(1e-300, 1.0000000000001e-300)).toBe(true);
    // Relative to the larger magnitude, so zero only agrees with zero.
    expect(numbersAgree(0, 1e-300)).toBe(false);
    expect(numbersAgree(0, -0)).toBe(true);
  });
});

describe('compareValues', () => {
  it('finds nothing for equal structures', () => {
    expect(compareValues({ a: [1, 2.5, null, 'x', true] }, { a: [1.0, 2.5, null, 'x', true] })).toEqual([]);
  });
  it('reports each difference with its path', () => {
    const m = compareValues(
      { per_pair: [{ score: 0.5, id: 'a' }], mean: 1, 'odd key': 2 },
      { per_pair: [{ score: 0.6, id: 'b' }], mean: 1, 'odd key': 3 },
    );
    expect(m.map((x) => x.path)).toEqual(['$.per_pair[0].score', '$.per_pair[0].id', '$["odd key"]']);
    expect(m[0]!.message).toContain('0.5');
    expect(m[0]!.message).toContain('0.6');
  });
  it('reports missing and unexpected keys, length and type differences', () => {
    const m = compareValues({ a: 1, b: [1, 2] }, { b: [1], c: 2 });
    expect(m.map((x) => x.path).sort()).toEqual(['$.a', '$.b', '$.c']);
    expect(compareValues(1, '1')[0]!.message).toContain('expected number');
    expect(compareValues(true, 1)).toHaveLength(1);
    expect(compareValues(null, 0)).toHaveLength(1);
  });
  it('checks key order only when asked', () => {
    expect(compareValues({ a: 1, b: 2 }, { b: 2, a: 1 })).toEqual([]);
    const m = compareValues({ a: 1, b: 2 }, { b: 2, a: 1 }, { orderedKeys: true });
    expect(m).toHaveLength(1);
    expect(m[0]!.message).toContain('key order');
  });
  it('compares error outputs by class and message exactly', () => {
    const e = { error: 'ValueError', message: "'X' is not a valid TaskType" };
    expect(compareValues(e, { ...e })).toEqual([]);
    expect(compareValues(e, { error: 'TypeError', message: e.message })).toHaveLength(1);
    expect(compareValues(e, { error: 'ValueError', message: "'Y' is not a valid TaskType" })).toHaveLength(1);
    expect(compareValues(e, 0.5)[0]!.message).toContain("original's ValueError");
    expect(compareValues(0.5, e)[0]!.message).toContain('got ValueError');
    expect(isErrorOutput(e)).toBe(true);
    expect(isErrorOutput({ error: 'x', message: 'y', extra: 1 })).toBe(false);
  });
  it('stops at the limit', () => {
    expect(compareValues([1, 2, 3], [4, 5, 6], { limit: 2 })).toHaveLength(2);
  });
});

describe('codec', () => {
  it('decodes the non-finite spellings anywhere and leaves other strings', () => {
    const d = decodeNonFinite({ a: ['NaN', 'Infinity', '-Infinity', 'nan', 'x'], b: { c: 'NaN' } }) as {
      a: unknown[];
      b: { c: number };
    };
    expect(Number.isNaN(d.a[0])).toBe(true);
    expect(d.a.slice(1)).toEqual([Infinity, -Infinity, 'nan', 'x']);
    expect(Number.isNaN(d.b.c)).toBe(true);
  });
  it('normalises Maps in insertion order, undefined to null, and round-trips the encoding', () => {
    const out = normaliseOutput(new Map<string, unknown>([['z', 1], ['a', undefined], ['m', NaN]])) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(['z', 'a', 'm']);
    expect(out.a).toBeNull();
    expect(encodeNonFinite(out)).toEqual({ z: 1, a: null, m: 'NaN' });
    expect(normaliseOutput(new Date(0))).toMatch(/unsupported output value/);
  });
});
