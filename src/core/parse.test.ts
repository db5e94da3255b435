import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { WireError, formatPath, parseWire, safeParseWire } from './parse.ts';

const schema = z.object({
  a: z.object({ b: z.array(z.object({ c: z.string() })) }),
  n: z.int().optional(),
  e: z.enum(['x', 'y']).optional(),
  u: z.union([z.object({ kind: z.literal('p'), p: z.string() }), z.object({ kind: z.literal('q'), q: z.number() })]).optional(),
});

describe('parseWire', () => {
  it('returns the typed value', () => {
    const v = parseWire(schema, { a: { b: [{ c: 'x' }] }, n: 3 });
    expect(v.a.b[0]?.c).toBe('x');
  });

  it('formats paths with dots and [index]', () => {
    expect(formatPath([])).toBe('(root)');
    expect(formatPath(['a', 'b', 0, 'c'])).toBe('a.b[0].c');
    expect(formatPath([0, 'x'])).toBe('[0].x');
  });

  it('names every failing path', () => {
    const r = safeParseWire(schema, { a: { b: [{ c: 'ok' }, { c: 1 }] }, n: 1.5, e: 'z' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.issues.map((i) => i.path)).toStrictEqual(['a.b[1].c', 'n', 'e']);
    expect(r.error.message).toBe(
      'a.b[1].c: expected string, received number; n: expected integer, received number 1.5; e: expected one of "x" | "y", received "z"',
    );
  });

  it('reports the union branch that came closest', () => {
    const r = safeParseWire(schema, { a: { b: [] }, u: { kind: 'q', q: 'no' } });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toBe('u.q: expected number, received string');
  });

  it('throws WireError with an optional label, and does not keep inputs', () => {
    try {
      parseWire(schema, { a: null }, { label: 'Thing' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(WireError);
      expect((e as WireError).message).toBe('Thing: a: expected object, received null');
      expect(JSON.stringify((e as WireError).issues)).not.toContain('input');
    }
  });

  it('says required for missing fields', () => {
    expect(() => parseWire(schema, {})).toThrow('a: required (expected object)');
  });
});
