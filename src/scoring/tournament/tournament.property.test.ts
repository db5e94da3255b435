import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EMISSION_BURN_HOTKEY as BURN } from '../../core/rules/scoring.ts';
import {
  bossKeepsTask,
  championConsecutiveWins,
  exponentialDeclineMapping,
  groupWinners,
  knockoutWinners,
  performanceDifference,
  tournamentPerformanceData,
  tournamentScoresToWeights,
  tournamentTypeScores,
  type RoundTask,
} from './index.ts';

const hotkey = fc.stringMatching(/^[a-h][0-9]{0,2}$/);
const uniqueScores = fc.uniqueArray(fc.record({ hotkey, score: fc.double({ min: -5, max: 50, noNaN: true }) }), {
  selector: (s) => s.hotkey,
  maxLength: 20,
});
const winner = fc.option(fc.stringMatching(/^W[0-9]?$/), { nil: null });

function sum(values: Iterable<number>): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

describe('tournament weights (properties)', () => {
  it('are finite, in (0, 1], and sum to 1 without ties (at most 1 with them)', () => {
    fc.assert(
      fc.property(uniqueScores, winner, fc.boolean(), (scores, w, won) => {
        const weights = tournamentScoresToWeights(scores, w, won);
        for (const x of weights.values()) {
          expect(Number.isFinite(x)).toBe(true);
          expect(x).toBeGreaterThan(0);
          expect(x).toBeLessThanOrEqual(1);
        }
        if (weights.size === 0) return;
        const positive = scores.filter((s) => s.score > 0).map((s) => s.score);
        const ties = new Set(positive).size !== positive.length;
        const total = sum(weights.values());
        // Tied entries share the mean rank; 0.3^r is convex, so sharing never adds weight.
        if (!ties && !positive.includes(Infinity)) expect(Math.abs(total - 1)).toBeLessThanOrEqual(1e-12);
        else expect(total).toBeLessThanOrEqual(1 + 1e-12);
      }),
    );
  });

  it('rank higher scores no lower, and are deterministic', () => {
    fc.assert(
      fc.property(uniqueScores, winner, fc.boolean(), (scores, w, won) => {
        const a = tournamentScoresToWeights(scores, w, won);
        expect([...tournamentScoresToWeights(scores, w, won)]).toEqual([...a]);
        const ranked = scores.filter((s) => s.score > 0 && s.hotkey !== w);
        for (const x of ranked) for (const y of ranked) if (x.score > y.score) expect(a.get(x.hotkey)!).toBeGreaterThan(a.get(y.hotkey)!);
      }),
    );
  });

  it('do not depend on the order of the scores (values per hotkey)', () => {
    fc.assert(
      fc.property(
        uniqueScores.chain((s) => fc.tuple(fc.constant(s), fc.shuffledSubarray(s, { minLength: s.length, maxLength: s.length }))),
        winner,
        fc.boolean(),
        ([scores, shuffled], w, won) => {
          const a = tournamentScoresToWeights(scores, w, won);
          const b = tournamentScoresToWeights(shuffled, w, won);
          expect(new Map([...b].sort())).toEqual(new Map([...a].sort()));
        },
      ),
    );
  });

  it('decay sums to 1 over all ranks and falls with rank', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 200 }), (n) => {
        const ws = Array.from({ length: n }, (_, i) => exponentialDeclineMapping(n, i + 1));
        expect(Math.abs(sum(ws) - 1)).toBeLessThanOrEqual(1e-12);
        for (let i = 1; i < n; i++) expect(ws[i]!).toBeLessThan(ws[i - 1]!);
      }),
    );
  });
});

describe('per-type scores (properties)', () => {
  const rounds = fc.array(
    fc.record({
      roundNumber: fc.integer({ min: 1, max: 6 }),
      isFinalRound: fc.boolean(),
      tasks: fc.array(fc.record({ winner: fc.option(fc.constantFrom('a', 'b', 'c', 'champ', BURN), { nil: null }) }), { maxLength: 4 }),
    }),
    { maxLength: 5 },
  );
  it('never score the real winner, are non-negative, and do not depend on round order', () => {
    fc.assert(
      fc.property(rounds, fc.constantFrom('champ', BURN, null), fc.constantFrom('champ', null), (rs, w, base) => {
        const data = { winnerHotkey: w, baseWinnerHotkey: base, rounds: rs };
        const r = tournamentTypeScores('text', data);
        for (const s of r.scores) {
          expect(s.hotkey).not.toBe(r.prevWinnerHotkey);
          expect(s.score).toBeGreaterThan(0);
        }
        const reversed = tournamentTypeScores('text', { ...data, rounds: [...rs].reverse() });
        expect(reversed.prevWinnerWonFinal).toBe(r.prevWinnerWonFinal);
        const byKey = new Map(r.scores.map((s) => [s.hotkey, s.score]));
        expect(reversed.scores.length).toBe(r.scores.length);
        for (const s of reversed.scores) expect(Math.abs(s.score - byKey.get(s.hotkey)!)).toBeLessThanOrEqual(1e-12 * s.score);
      }),
    );
  });
});

describe('streaks and the boss margin (properties)', () => {
  const history = fc.array(
    fc.record({ winnerHotkey: fc.option(fc.constantFrom('A', 'B', BURN), { nil: null }), baseWinnerHotkey: fc.option(fc.constantFrom('A', 'B'), { nil: null }) }),
    { maxLength: 8 },
  );
  it('the fixed streak is at least the original one and at most the history length', () => {
    fc.assert(
      fc.property(history, fc.constantFrom('A', 'B', BURN), (h, champ) => {
        const fixed = championConsecutiveWins(champ, h);
        expect(fixed).toBeGreaterThanOrEqual(championConsecutiveWins(champ, h, 'original'));
        expect(fixed).toBeLessThanOrEqual(h.length);
      }),
    );
  });

  const score = fc.double({ min: -100, max: 100, noNaN: true });
  const threshold = fc.constantFrom(0.1, 0.075, 0.05);
  it('a challenger no better than the boss never takes a task', () => {
    fc.assert(
      fc.property(score, score, threshold, fc.boolean(), (b, c, t, higher) => {
        const noBetter = higher ? c <= b : c >= b;
        if (noBetter) expect(bossKeepsTask(b, c, t, higher)).toBe(true);
      }),
    );
  });
  it('a challenger better by more than the margin on the magnitude always takes it', () => {
    fc.assert(
      fc.property(score, fc.double({ min: 0.01, max: 10, noNaN: true }), threshold, fc.boolean(), (b, extra, t, higher) => {
        const margin = Math.abs(b) * t * 1.000001 + extra;
        expect(bossKeepsTask(b, higher ? b + margin : b - margin, t, higher)).toBe(false);
      }),
    );
  });
});

describe('round winners (properties)', () => {
  const taskOf = (id: string, winner: string | null, groupId: string | null = null): RoundTask => ({
    taskId: id,
    taskType: 'InstructTextTask',
    groupId,
    rows: winner === null ? [{ hotkey: 'x', qualityScore: 0, testLoss: NaN, synthLoss: NaN }] : [{ hotkey: winner, qualityScore: 3, testLoss: 0.1, synthLoss: 0.1 }],
    trainingStatus: {},
  });

  it('knockout winners are the pair winners, whatever the pair order', () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.constantFrom('a', 'b', 'c', 'd'), { nil: null }), { maxLength: 7 }), (ws) => {
        const tasks = ws.map((w, i) => taskOf(String(i), w));
        const out = knockoutWinners({ isFinalRound: false, tasks }, 0);
        expect(out).toEqual(ws.filter((w) => w !== null));
        expect(knockoutWinners({ isFinalRound: false, tasks: [...tasks].reverse() }, 0).sort()).toEqual([...out].sort());
      }),
    );
  });

  it('group winners (three tasks per group) are sorted, won a task, and ignore the order of groups', () => {
    const group = fc.tuple(fc.constantFrom('a', 'b', 'c', null), fc.constantFrom('a', 'b', 'c', null), fc.constantFrom('a', 'b', 'c', null));
    fc.assert(
      fc.property(fc.array(group, { minLength: 1, maxLength: 4 }), (gs) => {
        const tasks = gs.flatMap((g, gi) => g.map((w, ti) => taskOf(`${gi}-${ti}`, w === null ? null : `${w}${gi}`, `g${gi}`)));
        const groups = Object.fromEntries(gs.map((_, gi) => [`g${gi}`, ['a', 'b', 'c'].map((h) => `${h}${gi}`)]));
        const out = groupWinners(tasks, groups);
        expect(out).toEqual([...out].sort());
        const winnersAnywhere = new Set(tasks.flatMap((t) => (t.rows[0]!.qualityScore! > 0 ? [t.rows[0]!.hotkey] : [])));
        for (const h of out) expect(winnersAnywhere.has(h)).toBe(true);
        const reordered = [...gs.keys()].reverse().flatMap((gi) => tasks.filter((t) => t.groupId === `g${gi}`));
        expect(groupWinners(reordered, groups)).toEqual(out);
      }),
    );
  });
});

describe('performance difference (properties)', () => {
  it('the mean lies between the smallest and largest pair difference', () => {
    const loss = fc.double({ min: 0.01, max: 5, noNaN: true });
    fc.assert(
      fc.property(fc.array(fc.tuple(loss, loss, fc.constantFrom('InstructTextTask', 'GrpoTask', 'DpoTask')), { minLength: 1, maxLength: 6 }), (ps) => {
        const rows = new Map<string, { hotkey: string; qualityScore: number; testLoss: number; synthLoss: number }[]>();
        const pairs = ps.map(([w, s, type], i) => {
          rows.set(`t${i}`, [{ hotkey: BURN, qualityScore: 3, testLoss: w, synthLoss: w }]);
          rows.set(`s${i}`, [{ hotkey: 's', qualityScore: 3, testLoss: s, synthLoss: s }]);
          return { tournamentTaskId: `t${i}`, syntheticTaskId: `s${i}`, winnerHotkey: BURN, taskType: type };
        });
        const data = tournamentPerformanceData(pairs, rows);
        expect(data).toHaveLength(ps.length);
        const diffs = data.map((d) => d.performanceDifference);
        const mean = performanceDifference(data);
        expect(Number.isFinite(mean)).toBe(true);
        expect(mean).toBeGreaterThanOrEqual(Math.min(...diffs) - 1e-12);
        expect(mean).toBeLessThanOrEqual(Math.max(...diffs) + 1e-12);
      }),
    );
  });
});
