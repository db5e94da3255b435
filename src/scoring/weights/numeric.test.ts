import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoToMicros, npMean, npStd, pairwiseSum, pyFloorDiv, pyRound, pySum } from './numeric.ts';

// Generated once with numpy 2.4.6 (`np.add.reduce`, `np.mean`, `np.std` on random lists of 1..1000 floats).
// From 17 elements on, naive left-to-right summation gives a different std, from 129 a different sum.
const fixtures = JSON.parse(readFileSync(join(import.meta.dirname, 'numpy-fixtures.json'), 'utf8')) as {
  values: number[];
  sum: number;
  mean: number;
  std: number;
}[];

describe('numpy float order', () => {
  it.each(fixtures.map((f) => [f.values.length, f] as const))('n=%i matches numpy bit for bit', (_n, f) => {
    expect(pairwiseSum(f.values)).toBe(f.sum);
    expect(npMean(f.values)).toBe(f.mean);
    expect(npStd(f.values)).toBe(f.std);
  });

  it('differs from plain summation where numpy does (the fixtures discriminate)', () => {
    const big = fixtures.find((f) => f.values.length === 1000)!;
    expect(pySum(big.values)).not.toBe(big.sum);
  });
});

describe('pyRound (half to even)', () => {
  it('rounds exact halves to the even neighbour', () => {
    expect([0.5, 1.5, 2.5, 3.5, -0.5, -1.5].map(pyRound)).toEqual([0, 2, 2, 4, 0, -2]);
  });
  it('is the nearest integer otherwise', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e9, max: 1e9, noNaN: true }), (x) => {
        const r = pyRound(x);
        expect(Number.isInteger(r)).toBe(true);
        expect(Math.abs(r - x)).toBeLessThanOrEqual(0.5);
      }),
    );
  });
  it('throws on non-finite input', () => {
    expect(() => pyRound(NaN)).toThrow();
    expect(() => pyRound(Infinity)).toThrow();
  });
});

describe('pyFloorDiv', () => {
  it('floors like Python //, exactly for large integers', () => {
    expect(pyFloorDiv(7_615_616_512, 1e9)).toBe(7);
    expect(pyFloorDiv(-1, 1e9)).toBe(-1);
    expect(pyFloorDiv(8_999_999_999_999_999, 1e9)).toBe(8_999_999);
    expect(pyFloorDiv(1.5e9, 1e9)).toBe(1);
  });
  it('agrees with exact integer division on safe integers', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), fc.integer({ min: 1, max: 2 ** 31 }), (a, b) => {
        const exact = BigInt(a) / BigInt(b) - (a % b !== 0 && a < 0 ? 1n : 0n);
        expect(pyFloorDiv(a, b)).toBe(Number(exact));
      }),
    );
  });
});

describe('isoToMicros', () => {
  it('keeps microseconds and applies offsets', () => {
    expect(isoToMicros('2025-08-20T12:00:00+00:00')).toBe(Date.UTC(2025, 7, 20, 12) * 1000);
    expect(isoToMicros('2025-08-20T12:00:00.000001Z') - isoToMicros('2025-08-20T12:00:00Z')).toBe(1);
    expect(isoToMicros('2025-08-20T14:00:00+02:00')).toBe(isoToMicros('2025-08-20T12:00:00Z'));
    expect(isoToMicros('2025-08-20T12:00:00')).toBe(isoToMicros('2025-08-20T12:00:00Z'));
  });
  it('rejects what is not a timestamp', () => {
    expect(() => isoToMicros('yesterday')).toThrow(RangeError);
  });
});
