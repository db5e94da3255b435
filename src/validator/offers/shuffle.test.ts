import { describe, expect, it } from 'vitest';
import { validatorRules } from '../../core/rules/validator.ts';
import type { DailyParticipation } from '../../db/queries/validator-nodes.ts';
import { seededRandom } from '../rng.ts';
import { dayStart, offerOrder, offerPriority, weightedRandomShuffle } from './shuffle.ts';

const nodes = (n: number) => Array.from({ length: n }, (_, i) => ({ hotkey: `h${i}` }));

describe('offer priority (validator.md §7.2)', () => {
  it('is 2.0 for newcomers, max(avg, 0.01) for miners that were scored today', () => {
    const daily = new Map<string, DailyParticipation>([
      ['good', { hotkey: 'good', tasks: 2, avg_quality: 1.5 }],
      ['bad', { hotkey: 'bad', tasks: 3, avg_quality: -1 }],
      ['null', { hotkey: 'null', tasks: 1, avg_quality: null }],
    ]);
    expect(offerPriority('new', daily, validatorRules)).toBe(2.0);
    expect(offerPriority('good', daily, validatorRules)).toBe(1.5);
    expect(offerPriority('bad', daily, validatorRules)).toBe(0.01);
    expect(offerPriority('null', daily, validatorRules)).toBe(0.01);
  });
});

describe('weighted random shuffle', () => {
  it('is a permutation', () => {
    const out = weightedRandomShuffle(nodes(20), new Map(), validatorRules, seededRandom(1));
    expect(out.map((n) => n.hotkey).sort()).toEqual(nodes(20).map((n) => n.hotkey).sort());
  });

  it('puts favoured miners first more often than not (positional weights 3 → 1)', () => {
    const daily = new Map<string, DailyParticipation>(nodes(10).slice(5).map((n) => [n.hotkey, { hotkey: n.hotkey, tasks: 1, avg_quality: -1 }]));
    let favouredFirst = 0;
    const rng = seededRandom(42);
    for (let i = 0; i < 2000; i++) {
      const first = weightedRandomShuffle(nodes(10), daily, validatorRules, rng)[0]!.hotkey;
      if (Number(first.slice(1)) < 5) favouredFirst++;
    }
    // Sum of the first five weights (3, 2.8, …, 2.2) over all ten (3 … 1.2): 13/21 ≈ 0.62.
    expect(favouredFirst / 2000).toBeGreaterThan(0.57);
    expect(favouredFirst / 2000).toBeLessThan(0.67);
  });

  it('offers the most favoured first by default, the original\'s reverse order when asked (D-validator-1)', () => {
    const a = offerOrder(nodes(8), new Map(), validatorRules, seededRandom(3));
    const b = offerOrder(nodes(8), new Map(), { ...validatorRules, offerLeastFavouredFirst: true }, seededRandom(3));
    expect(validatorRules.offerLeastFavouredFirst).toBe(false);
    expect(b).toEqual([...a].reverse());
  });
});

it('day start is midnight UTC', () => {
  expect(dayStart(new Date('2025-08-01T23:59:59.999Z')).toISOString()).toBe('2025-08-01T00:00:00.000Z');
});
