import { describe, expect, it } from 'vitest';
import { synthRules } from '../../core/rules/synth.ts';
import { seededRandom } from '../rng.ts';
import { hoursForRows, pickSyntheticType, toChatRow } from './scheduler.ts';

describe('hours from row counts (validator.md §6.3)', () => {
  it('draws whole hours inside the bin, bounds inclusive', () => {
    const rng = seededRandom(5);
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) seen.add(hoursForRows(10_000, synthRules.textHoursBins, rng));
    // 10 000 rows is in the first bin (1k–10k, 1–3 h) because the bins are inclusive and the first match wins
    expect([...seen].sort()).toEqual([1, 2, 3]);
    for (let i = 0; i < 200; i++) {
      const h = hoursForRows(300_000, synthRules.textHoursBins, rng);
      expect(h).toBeGreaterThanOrEqual(7);
      expect(h).toBeLessThanOrEqual(10);
    }
  });

  it('throws outside every bin, so creation is retried', () => {
    expect(() => hoursForRows(999, synthRules.textHoursBins, seededRandom(1))).toThrow(/no training-hours bin/);
    expect(() => hoursForRows(500_001, synthRules.textHoursBins, seededRandom(1))).toThrow();
  });
});

it('draws the type mix 0.35/0.25/0.15/0.25 with half the instruct draws becoming chat', () => {
  const rng = seededRandom(11);
  const counts: Record<string, number> = {};
  const n = 20_000;
  for (let i = 0; i < n; i++) {
    const t = pickSyntheticType(rng, synthRules);
    counts[t] = (counts[t] ?? 0) + 1;
  }
  const share = (t: string) => (counts[t] ?? 0) / n;
  expect(share('InstructTextTask')).toBeCloseTo(0.175, 1);
  expect(share('ChatTask')).toBeCloseTo(0.175, 1);
  expect(share('ImageTask')).toBeCloseTo(0.25, 1);
  expect(share('DpoTask')).toBeCloseTo(0.15, 1);
  expect(share('GrpoTask')).toBeCloseTo(0.25, 1);
});

it('converts rows to human/gpt conversations', () => {
  const s = { field_instruction: 'q', field_output: 'a' };
  expect(toChatRow({ q: 'hi', a: 'yo' }, s)).toEqual({ conversations: [{ from: 'human', value: 'hi' }, { from: 'gpt', value: 'yo' }] });
  expect(toChatRow({ messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: 'y' }] }, s)).toEqual({
    conversations: [{ from: 'human', value: 'x' }, { from: 'gpt', value: 'y' }],
  });
  expect(toChatRow({ q: 'hi', a: '' }, s)).toBeNull();
});
