import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scoringRulesRef2025_08 as rules } from '../../core/rules/scoring.ts';
import { TASK_TYPES } from '../../core/enums.ts';
import { calculateMinerRankingAndScores, chooseRankingMetric, nanSynthAbortsOriginalRanking } from './ranking.ts';
import { resultKindOf, type MinerResult, type TaskType } from './types.ts';

function result(hotkey: string, taskType: TaskType, testLoss: number, synthLoss: number, extra: Partial<MinerResult> = {}): MinerResult {
  return {
    hotkey,
    testLoss,
    synthLoss,
    isFinetune: true,
    score: 0,
    scoreReason: null,
    adjustedLoss: null,
    taskType,
    kind: resultKindOf(taskType),
    submission: null,
    ...extra,
  };
}

describe('D-task-1: a NaN synthetic loss no longer aborts the task', () => {
  it('sets the miner aside and ranks the others (Instruct, max metric)', () => {
    const input = [result('a', 'InstructTextTask', 0.5, NaN), result('b', 'InstructTextTask', 0.6, 0.6), result('c', 'InstructTextTask', 0.7, 0.8)];
    expect(nanSynthAbortsOriginalRanking(input)).toBe(true);
    const out = calculateMinerRankingAndScores(input);
    expect(out.map((r) => [r.hotkey, r.score, r.scoreReason, r.adjustedLoss])).toEqual([
      ['a', -1, 'Invalid synthetic loss', null],
      ['b', 3, 'Ranked 1st by INSTRUCT loss (max test, synth + train)', 0.6],
      ['c', 0, 'Ranked below top 1 by INSTRUCT loss (max test, synth + train)', 0.8],
    ]);
  });

  it('leaves GRPO alone when the test-only metric is used (the original does not read the synth loss there)', () => {
    // 1 of 3 real synth ratios within 1.5 -> test-only ranking: the NaN synth loss is never read.
    const input = [result('a', 'GrpoTask', 1.0, NaN), result('b', 'GrpoTask', 2.0, 5.0), result('c', 'GrpoTask', 1.5, 1.5), result('d', 'GrpoTask', 1.0, 9.0)];
    expect(chooseRankingMetric(input).usesSynth).toBe(false);
    expect(nanSynthAbortsOriginalRanking(input)).toBe(false);
    const out = calculateMinerRankingAndScores(input);
    expect(out.find((r) => r.score === 3)?.hotkey).toBe('b');
    expect(out.find((r) => r.hotkey === 'a')?.scoreReason).toMatch(/^Ranked below top 1/);
  });

  it('an all-NaN-synth Instruct task scores nobody and is retried, like an all-failed one', () => {
    const input = [result('a', 'InstructTextTask', 0.5, NaN), result('b', 'InstructTextTask', 0.6, NaN), result('f', 'InstructTextTask', NaN, NaN, { isFinetune: false, scoreReason: 'Invalid/No repo submitted' })];
    const out = calculateMinerRankingAndScores(input);
    expect(out.map((r) => r.score)).toEqual([0, 0, 0]);
  });
});

describe('ranking rules', () => {
  it('penalises the bottom 25% only above 8 valid results', () => {
    const nine = Array.from({ length: 9 }, (_, i) => result(`h${i}`, 'DpoTask', 1 + i / 10, 1 + i / 10));
    expect(calculateMinerRankingAndScores(nine).map((r) => r.score)).toEqual([3, 0, 0, 0, 0, 0, 0, -1, -1]);
    expect(calculateMinerRankingAndScores(nine.slice(0, 8)).map((r) => r.score)).toEqual([3, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('handles empty input and a single miner', () => {
    expect(calculateMinerRankingAndScores([])).toEqual([]);
    expect(calculateMinerRankingAndScores([result('a', 'ImageTask', 0.1, 0.1)])[0]?.score).toBe(3);
  });

  it('does not change its input', () => {
    const input = [result('a', 'DpoTask', 0.5, 0.5, { score: 7 }), result('b', 'DpoTask', 0.4, 0.4)];
    const copy = structuredClone(input);
    calculateMinerRankingAndScores(input);
    expect(input).toEqual(copy);
  });
});

const lossArb = fc.oneof(
  fc.double({ min: -10, max: 10, noNaN: true }),
  fc.constantFrom(NaN, Infinity, -Infinity, 1000.0),
);
const resultsArb = fc
  .tuple(
    fc.constantFrom(...TASK_TYPES),
    fc.array(fc.record({ test: lossArb, synth: lossArb, finetune: fc.boolean(), failed: fc.boolean() }), { maxLength: 20 }),
  )
  .map(([type, rows]) =>
    rows.map((r, i) =>
      result(`hk${i}`, type, r.failed ? NaN : r.test, r.failed ? NaN : r.synth, {
        isFinetune: r.failed ? false : r.finetune,
        scoreReason: r.failed ? 'Invalid/No repo submitted' : null,
      }),
    ),
  );

describe('ranking properties', () => {
  it('never throws, scores are 3/0/-1 with at most one winner, and is deterministic', () => {
    fc.assert(
      fc.property(resultsArb, (results) => {
        const out = calculateMinerRankingAndScores(results, rules);
        expect(out.map((r) => r.hotkey)).toEqual(results.map((r) => r.hotkey));
        for (const r of out) expect([3, 0, -1]).toContain(r.score);
        expect(out.filter((r) => r.score === 3).length).toBeLessThanOrEqual(1);
        expect(calculateMinerRankingAndScores(results, rules)).toEqual(out);
      }),
    );
  });

  it('is invariant under input order when no two ranked metrics tie', () => {
    fc.assert(
      fc.property(
        resultsArb.filter((rs) => {
          // A NaN metric sorts with +Infinity (last when lower is better, first for GRPO, as the original's keys
          // do), so the two tie as sort keys even though the values differ.
          const ms = calculateMinerRankingAndScores(rs).flatMap((r) => (r.adjustedLoss === null ? [] : [Number.isNaN(r.adjustedLoss) ? Infinity : r.adjustedLoss]));
          return new Set(ms).size === ms.length;
        }),
        fc.integer(),
        (results, seed) => {
          const shuffled = fc.sample(fc.shuffledSubarray(results, { minLength: results.length, maxLength: results.length }), { seed, numRuns: 1 })[0]!;
          const byHotkey = (rs: MinerResult[]) => Object.fromEntries(rs.map((r) => [r.hotkey, [r.score, r.scoreReason]]));
          expect(byHotkey(calculateMinerRankingAndScores(shuffled))).toEqual(byHotkey(calculateMinerRankingAndScores(results)));
        },
      ),
    );
  });
});
