import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tournamentRules as rules } from '../core/rules/tournament.ts';
import { seededRandom } from '../validator/rng.ts';
import {
  boostedStake,
  gpuNeed,
  gpuRequirement,
  newTournamentId,
  nextRound,
  organiseRound,
  pickGpus,
  publishedRepoName,
  replacementSpec,
  selectEntrants,
  slotSpecs,
} from './structure.ts';

const BURN = 'BURN';
const hk = (n: number) => Array.from({ length: n }, (_, i) => `h${String(i).padStart(2, '0')}`);
const mix = { instructTaskProbability: 0.35, dpoTaskProbability: 0.15, grpoTaskProbability: 0.25 };

describe('entry', () => {
  it('boosts stake 5 % per completed tournament, capped at 25 %', () => {
    expect(boostedStake(1000, 0, rules)).toBe(1000);
    expect(boostedStake(1000, 2, rules)).toBeCloseTo(1100);
    expect(boostedStake(1000, 5, rules)).toBeCloseTo(1250);
    expect(boostedStake(1000, 9, rules)).toBeCloseTo(1250);
  });

  it('keeps the top N by boosted stake, equal stakes in asking order', () => {
    const r = (hotkey: string, alphaStake: number, completedEntries = 0) => ({ hotkey, alphaStake, completedEntries, trainingRepo: 'x', commitHash: 'y' });
    const out = selectEntrants([r('a', 100), r('b', 200), r('c', 100), r('d', 95, 2), r('e', 50)], { ...rules, topNByStake: 4 });
    // d: 95 × 1.10 = 104.5 beats a and c; a before c (asked first); e is cut.
    expect(out.map((x) => x.hotkey)).toEqual(['b', 'd', 'a', 'c']);
  });
});

describe('round layout', () => {
  it('pairs up to 14 entrants, adding the champion placeholder to an odd count and dropping it from an odd count that has it', () => {
    const odd = organiseRound(hk(5), seededRandom(1), rules, BURN);
    expect(odd.kind).toBe('knockout');
    if (odd.kind !== 'knockout') return;
    expect(odd.pairs.flat().sort()).toEqual([...hk(5), BURN].sort());
    const withBurn = organiseRound([...hk(4), BURN], seededRandom(2), rules, BURN);
    if (withBurn.kind !== 'knockout') throw new Error('expected knockout');
    expect(withBurn.pairs.flat().sort()).toEqual(hk(4));
  });

  it('splits 15–16 entrants into two groups and 64 into eight of eight (reference constants)', () => {
    const sizes = (n: number) => {
      const l = organiseRound(hk(n), seededRandom(n), rules, BURN);
      return l.kind === 'group' ? l.groups.map((g) => g.length).sort((a, b) => b - a) : null;
    };
    expect(sizes(14)).toBeNull();
    expect(sizes(15)).toEqual([8, 7]);
    expect(sizes(16)).toEqual([8, 8]);
    expect(sizes(17)).toEqual([9, 8]);
    expect(sizes(64)).toEqual(Array(8).fill(8));
  });

  it('places every entrant exactly once (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 80 }), fc.integer(), (n, seed) => {
        const l = organiseRound(hk(n), seededRandom(seed), rules, BURN);
        const placed = l.kind === 'group' ? l.groups.flat() : l.pairs.flat().filter((h) => h !== BURN);
        expect(placed.sort()).toEqual(hk(n));
        if (l.kind === 'group') expect(Math.min(...l.groups.map((g) => g.length))).toBeGreaterThanOrEqual(Math.floor(n / Math.ceil(n / 8)) - 1);
      }),
      { numRuns: 200 },
    );
  });
});

describe('next round', () => {
  it('follows create_next_round: one winner meets the placeholder in the final', () => {
    expect(nextRound(['a'], BURN)).toEqual({ kind: 'round', entrants: ['a', BURN], isFinal: true });
    expect(nextRound(['a', BURN], BURN)).toEqual({ kind: 'round', entrants: ['a', BURN], isFinal: true });
    expect(nextRound(['a', 'b'], BURN)).toEqual({ kind: 'round', entrants: ['a', 'b'], isFinal: false });
    expect(nextRound(['a', 'b', 'c'], BURN)).toEqual({ kind: 'round', entrants: ['a', 'b', 'c', BURN], isFinal: false });
    expect(nextRound(['a', 'b', BURN], BURN)).toEqual({ kind: 'round', entrants: ['a', 'b'], isFinal: false });
  });

  it('ends the tournament with the champion retaining when nobody or only the placeholder won (D-tournament-lifecycle-3)', () => {
    expect(nextRound([], BURN)).toEqual({ kind: 'champion-retains' });
    expect(nextRound([BURN], BURN)).toEqual({ kind: 'champion-retains' });
  });
});

describe('tasks per round', () => {
  const r = seededRandom(3);
  it('plays 1 instruct + 1 DPO + 1 GRPO per text group and in the boss round (big instruct model there)', () => {
    expect(slotSpecs('text', 'group', false, r, rules, mix).map((s) => [s.taskType, s.big])).toEqual([
      ['InstructTextTask', false],
      ['DpoTask', false],
      ['GrpoTask', false],
    ]);
    expect(slotSpecs('text', 'pair', true, r, rules, mix).map((s) => [s.taskType, s.big])).toEqual([
      ['InstructTextTask', true],
      ['DpoTask', false],
      ['GrpoTask', false],
    ]);
  });

  it('draws one knockout text task in the mix proportions and plays image tasks only in image tournaments', () => {
    const counts: Record<string, number> = {};
    const rng = seededRandom(11);
    for (let i = 0; i < 3000; i++) {
      const [s] = slotSpecs('text', 'pair', false, rng, rules, mix);
      counts[s!.taskType] = (counts[s!.taskType] ?? 0) + 1;
    }
    expect(counts.InstructTextTask! / 3000).toBeCloseTo(0.35 / 0.75, 1);
    expect(counts.DpoTask! / 3000).toBeCloseTo(0.2, 1);
    expect(slotSpecs('image', 'group', false, r, rules, mix)).toHaveLength(3);
    expect(slotSpecs('image', 'pair', false, r, rules, mix)).toHaveLength(1);
    expect(slotSpecs('image', 'pair', true, r, rules, mix).every((s) => s.taskType === 'ImageTask')).toBe(true);
  });

  it('sizes a replacement like the task it replaces', () => {
    expect(replacementSpec('DpoTask', 5e9, rules).paramsRangeB).toEqual([4, 6]);
    expect(replacementSpec('InstructTextTask', 0.5e9, rules).paramsRangeB).toEqual([1, 10]);
    expect(replacementSpec('ImageTask', 2e9, rules).paramsRangeB).toBeUndefined();
  });
});

describe('GPUs', () => {
  it('maps effective size to H100 counts (DPO ×3, GRPO ×2) and images to A100', () => {
    expect(gpuRequirement('InstructTextTask', 4e9, rules)).toBe('1xH100');
    expect(gpuRequirement('InstructTextTask', 4.1e9, rules)).toBe('2xH100');
    expect(gpuRequirement('DpoTask', 4e9, rules)).toBe('2xH100');
    expect(gpuRequirement('GrpoTask', 20e9, rules)).toBe('4xH100');
    expect(gpuRequirement('GrpoTask', 21e9, rules)).toBe('8xH100');
    expect(gpuRequirement('InstructTextTask', 40e9, rules)).toBe('4xH100');
    expect(gpuRequirement('ImageTask', 40e9, rules)).toBe('A100');
    expect(gpuNeed('4xH100', rules)).toEqual({ count: 4, types: ['H100'] });
  });

  it('lets image trainings use an H100 when no A100 is free (D-tournament-lifecycle-7)', () => {
    const need = gpuNeed('A100', rules);
    expect(pickGpus([{ trainerIp: 't1', gpuId: 0, gpuType: 'H100' }], need)).toEqual({ trainerIp: 't1', gpuIds: [0] });
    expect(pickGpus([{ trainerIp: 't1', gpuId: 0, gpuType: 'H100' }], gpuNeed('A100', { ...rules, imageGpuTypes: ['A100'] }))).toBeNull();
  });

  it('picks the trainer left with the fewest free GPUs, lowest ids first', () => {
    const free = [
      ...[0, 1, 2, 3].map((gpuId) => ({ trainerIp: 'a', gpuId, gpuType: 'H100' })),
      ...[5, 4].map((gpuId) => ({ trainerIp: 'b', gpuId, gpuType: 'H100' })),
    ];
    expect(pickGpus(free, { count: 2, types: ['H100'] })).toEqual({ trainerIp: 'b', gpuIds: [4, 5] });
    expect(pickGpus(free, { count: 3, types: ['H100'] })).toEqual({ trainerIp: 'a', gpuIds: [0, 1, 2] });
    expect(pickGpus(free, { count: 5, types: ['H100'] })).toBeNull();
  });
});

describe('identifiers', () => {
  it('formats tournament ids and published repo names as the original', () => {
    expect(newTournamentId(seededRandom(1), new Date('2025-08-01T10:00:00Z'))).toMatch(/^tourn_[0-9a-f]{16}_20250801$/);
    expect(publishedRepoName('text', 'tourn_abc_20250801', 1)).toBe('god-text-tourn-abc-20250801-position-1');
  });
});
