import { describe, expect, it } from 'vitest';
import { groupByLosses, handleDuplicateSubmissions, reposNeedingUploadTimestamps, zeroDuplicateScores } from './duplicates.ts';
import { evaluationFailedReason, failedMinerResult, reposForSyntheticEval, taskStatusAfterScoring } from './failures.ts';
import { scoreTaskWithDuplicateHandling } from './pipeline.ts';
import type { MinerResult } from './types.ts';

function sub(hotkey: string, test: number, synth: number, hash: string | null = null): MinerResult {
  return {
    hotkey,
    testLoss: test,
    synthLoss: synth,
    isFinetune: true,
    score: 0,
    scoreReason: null,
    adjustedLoss: null,
    taskType: 'InstructTextTask',
    kind: 'text',
    submission: { repo: `u/${hotkey}`, modelHash: hash },
  };
}

describe('duplicates', () => {
  it('groups -0 with 0, like Python float tuples', () => {
    expect([...groupByLosses([sub('a', 0, 1), sub('b', -0, 1)]).values()][0]).toHaveLength(2);
  });

  it('asks only for the upload times it needs', () => {
    const rs = [sub('a', 1, 1), sub('b', 1, 1), sub('c', 2, 2), sub('d', 3, 3, 'h'), sub('e', 3, 3, 'h')];
    expect(reposNeedingUploadTimestamps(rs)).toEqual(['u/a', 'u/b']);
  });

  it('keeps the earliest upload, first among equal times', () => {
    const rs = [sub('a', 1, 1), sub('b', 1, 1), sub('c', 1, 1)];
    const at: Record<string, number> = { 'u/a': 5, 'u/b': 3, 'u/c': 3 };
    expect(Object.fromEntries(handleDuplicateSubmissions(rs, (r) => at[r] ?? null))).toEqual({ a: false, b: true, c: false });
  });

  it('a duplicate scores 0 when nothing valid remains, -1 otherwise', () => {
    const rs = [sub('a', 1, 1), sub('b', 1, 1)];
    const none = scoreTaskWithDuplicateHandling(rs, () => null);
    expect(none.final.map((r) => [r.score, r.scoreReason])).toEqual([[0, 'Duplicated submission'], [0, 'Duplicated submission']]);
    const keepA = new Map([['a', true], ['b', false]]);
    expect(zeroDuplicateScores(rs, keepA).map((r) => r.score)).toEqual([0, -1]);
  });
});

describe('failures and status', () => {
  it('truncates the evaluation error to 350 code points', () => {
    const reason = evaluationFailedReason('😀'.repeat(400));
    expect(Array.from(reason.slice('Evaluation failed: '.length))).toHaveLength(350);
  });

  it('builds Chat failures as image results, like the original', () => {
    expect(failedMinerResult('h', 'x', 'ChatTask').kind).toBe('image');
    expect(failedMinerResult('h', 'x', 'DpoTask').kind).toBe('text');
  });

  it('sends the best four on test to the synthetic eval (GRPO: highest reward, NaN last)', () => {
    const losses = [0.5, NaN, 0.1, 0.9, 0.3, 0.7].map((l, i) => ({ repo: `r${i}`, testLoss: l }));
    expect(reposForSyntheticEval(losses, 'DpoTask', 4).top).toEqual(['r2', 'r4', 'r0', 'r5']);
    expect(reposForSyntheticEval(losses, 'GrpoTask', 4).top).toEqual(['r3', 'r5', 'r0', 'r4']);
  });

  it('retries an all-zero task until the attempts run out', () => {
    expect(taskStatusAfterScoring([{ score: 0 }, { score: 0 }], 2)).toBe('preevaluation');
    expect(taskStatusAfterScoring([{ score: 0 }], 3)).toBe('failure');
    expect(taskStatusAfterScoring([{ score: 3 }, { score: -1 }], 3)).toBe('success');
  });
});
