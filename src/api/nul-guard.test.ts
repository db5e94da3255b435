import { describe, expect, it } from 'vitest';
import { findNul } from './nul-guard.ts';

describe('findNul', () => {
  it('finds NUL in nested strings and keys, and nothing in clean values', () => {
    expect(findNul({ a: [1, 'x', { b: 'y\u0000' }] })).toEqual(['a', 2, 'b']);
    expect(findNul({ ['k\u0000']: 1 })).toEqual(['k\u0000']);
    expect(findNul('\u0000')).toEqual([]);
    expect(findNul({ a: ['fine', 2, null, { b: true }] })).toBeNull();
  });
});
