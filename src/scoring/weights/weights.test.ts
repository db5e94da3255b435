import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EMISSION_BURN_HOTKEY, scoringRulesRef2025_08 as rules } from '../../core/rules/scoring.ts';
import { TASK_TYPES } from '../../core/enums.ts';
import type { TournamentResults } from '../tournament/index.ts';
import { ScoringError } from '../task/errors.ts';
import { tournamentBurnDetails, weightRedistribution } from './burn.ts';
import { periodScoresFromScorableTaskResults, periodScoresFromTaskResults } from './buckets.ts';
import { burnUidWeightBeforeBurn, combinedTournamentWeights, nodeWeightsFromPeriodScores, type NodeWeightsInput } from './node-weights.ts';
import { MICROS_PER_DAY, pySum } from './numeric.ts';
import { aggregatePeriodScores, periodScoresFromResults } from './period-scores.ts';
import { normalizeAndQuantizeWeights } from './quantize.ts';
import type { TaskResult } from './types.ts';

const NOW = Date.UTC(2025, 7, 20, 12) * 1000;
const hotkeys = ['h0', 'h1', 'h2', 'h3', 'h4', 'h5'];

const taskResultArb: fc.Arbitrary<TaskResult> = fc.record({
  task: fc.record({
    taskType: fc.constantFrom(...TASK_TYPES),
    isOrganic: fc.boolean(),
    createdAt: fc.integer({ min: 0, max: 8 * 24 }).map((h) => NOW - h * 3_600_000_000),
    hoursToComplete: fc.integer({ min: 1, max: 12 }),
    modelId: fc.constantFrom('org/m-7B', 'gpt2', 'org/falcon-40b'),
    modelParamsCount: fc.constantFrom(0, 1_500_000_000, 70_000_000_000),
  }),
  nodeScores: fc.uniqueArray(
    fc.record({ hotkey: fc.constantFrom(...hotkeys), qualityScore: fc.constantFrom(3, -1) }),
    { minLength: 1, maxLength: 5, selector: (r) => r.hotkey },
  ),
});

describe('period scores', () => {
  it('every bucket normalises to 1 (or to 0 when nobody has a positive score) and the run is deterministic', () => {
    fc.assert(
      fc.property(fc.array(taskResultArb, { maxLength: 40 }), (trs) => {
        const scores = periodScoresFromTaskResults(trs, NOW);
        expect(periodScoresFromTaskResults(trs, NOW)).toEqual(scores);
        for (const s of scores) {
          expect(Number.isFinite(s.normalisedScore) && s.normalisedScore >= 0).toBe(true);
          expect(s.weightMultiplier).toBeGreaterThanOrEqual(0);
        }
        const bucket = aggregatePeriodScores(trs, 1, rules);
        const total = pySum(bucket.map((b) => b.normalisedScore));
        if (bucket.some((b) => b.qualityScore > 0)) expect(total).toBeCloseTo(1, 12);
        else expect(total).toBe(0);
      }),
    );
  });
});

describe('D-weights-2: a malformed task no longer stops weight setting', () => {
  const good: TaskResult = {
    task: { taskType: 'DpoTask', isOrganic: false, createdAt: NOW - 1000, hoursToComplete: 2, modelId: 'org/m-7B', modelParamsCount: 0 },
    nodeScores: [{ hotkey: 'a', qualityScore: 3 }, { hotkey: 'b', qualityScore: -1 }],
  };
  const zeroHours: TaskResult = { ...good, task: { ...good.task, hoursToComplete: 0 }, nodeScores: [{ hotkey: 'b', qualityScore: 3 }] };
  const nanRow: TaskResult = { ...good, nodeScores: [{ hotkey: 'c', qualityScore: NaN }] };

  it('the original rule raises on each', () => {
    expect(() => aggregatePeriodScores([good, zeroHours], 1, rules)).toThrow(ScoringError);
    expect(() => aggregatePeriodScores([good, nanRow], 1, rules)).toThrow('Quality score cannot be NaN');
    expect(() => periodScoresFromScorableTaskResults([good, zeroHours], NOW)).toThrow('Hours to complete must be positive');
  });

  it('ours leaves them out', () => {
    expect(periodScoresFromResults([good, zeroHours, nanRow], 1)).toEqual(aggregatePeriodScores([good], 1, rules));
    expect(periodScoresFromTaskResults([good, zeroHours, nanRow], NOW)).toEqual(periodScoresFromScorableTaskResults([good], NOW));
  });
});

const burnWinsTournament: TournamentResults = {
  winnerHotkey: 'h1',
  baseWinnerHotkey: null,
  rounds: [
    // The burn hotkey fills an odd slot and wins twice; no champion exists, so its wins count (2 > 1: no tie).
    { roundNumber: 1, isFinalRound: false, tasks: [{ winner: EMISSION_BURN_HOTKEY }, { winner: EMISSION_BURN_HOTKEY }, { winner: 'h1' }, { winner: 'h2' }] },
    { roundNumber: 2, isFinalRound: true, tasks: [{ winner: 'h1' }] },
  ],
};

describe('D-weights-1: the burn share is added, not assigned', () => {
  const input: NodeWeightsInput = {
    metagraphHotkeys: [...hotkeys, EMISSION_BURN_HOTKEY],
    split: weightRedistribution(0.02),
    participants: [],
    periodScores: [{ hotkey: 'h3', normalisedScore: 1, weightMultiplier: 1 }],
    tournamentWeights: combinedTournamentWeights(burnWinsTournament, burnWinsTournament),
  };

  it('the burn hotkey earns tournament weight as a plain participant', () => {
    expect(burnUidWeightBeforeBurn(input)).toBeGreaterThan(0);
  });

  it('ours conserves the emission; the original loses what the burn hotkey earned', () => {
    const ours = pySum(nodeWeightsFromPeriodScores(input).nodeWeights);
    const original = pySum(nodeWeightsFromPeriodScores(input, rules, 'overwrite').nodeWeights);
    expect(ours).toBeCloseTo(1, 12);
    expect(original).toBeCloseTo(1 - burnUidWeightBeforeBurn(input), 12);
  });
});

function tournamentArb(pool: string[]): fc.Arbitrary<TournamentResults> {
  return fc.record({
    winnerHotkey: fc.constantFrom(...pool),
    baseWinnerHotkey: fc.option(fc.constantFrom(...pool), { nil: null }),
    rounds: fc.array(
      fc.record({
        roundNumber: fc.integer({ min: 1, max: 5 }),
        isFinalRound: fc.boolean(),
        tasks: fc.array(fc.record({ winner: fc.option(fc.constantFrom(...pool), { nil: null }) }), { maxLength: 4 }),
      }),
      { maxLength: 4 },
    ),
  });
}

describe('node weight properties', () => {
  const pool = [...hotkeys, EMISSION_BURN_HOTKEY, 'not-registered'];
  const nodeInputArb = fc
    .record({
      diff: fc.double({ min: -1, max: 2, noNaN: true }),
      participants: fc.uniqueArray(fc.constantFrom(...pool)),
      text: fc.option(tournamentArb(pool), { nil: null }),
      image: fc.option(tournamentArb(pool), { nil: null }),
      trs: fc.array(taskResultArb, { maxLength: 30 }),
      burnRegistered: fc.boolean(),
    })
    .map((g) => ({
      g,
      input: {
        metagraphHotkeys: g.burnRegistered ? [...hotkeys, EMISSION_BURN_HOTKEY] : hotkeys,
        split: weightRedistribution(g.diff),
        participants: g.participants,
        periodScores: periodScoresFromTaskResults(g.trs, NOW),
        tournamentWeights: combinedTournamentWeights(g.text, g.image),
      } satisfies NodeWeightsInput,
    }));

  it('weights are finite, non-negative, deterministic, and all shares add up (nothing lost inside the metagraph)', () => {
    fc.assert(
      fc.property(nodeInputArb, ({ g, input }) => {
        const { nodeIds, nodeWeights } = nodeWeightsFromPeriodScores(input);
        expect(nodeWeightsFromPeriodScores(input).nodeWeights).toEqual(nodeWeights);
        expect(nodeIds).toEqual(input.metagraphHotkeys.map((_, i) => i));
        for (const w of nodeWeights) expect(Number.isFinite(w) && w >= 0).toBe(true);

        // Accounting identity: every share handed to a registered hotkey is in the vector exactly once.
        const registered = new Set(input.metagraphHotkeys);
        const scale = 1 - input.participants.length * rules.tournamentParticipationWeight;
        const { tournamentWeight: tm, regularWeight: rm, burnWeight: bm } = input.split;
        let expected = 0;
        for (const ps of input.periodScores) if (registered.has(ps.hotkey)) expected += ps.normalisedScore * ps.weightMultiplier * rm * scale;
        for (const [h, x] of input.tournamentWeights) if (registered.has(h)) expected += x * tm * scale;
        for (const h of input.participants) if (registered.has(h)) expected += rules.tournamentParticipationWeight;
        if (g.burnRegistered) expected += bm * scale;
        expect(pySum(nodeWeights)).toBeCloseTo(expected, 10);
      }),
    );
  });

  it('burn + miners = 1 before quantisation when every share has a registered owner and every bucket is paid', () => {
    fc.assert(
      fc.property(fc.double({ min: -1, max: 2, noNaN: true }), fc.uniqueArray(fc.constantFrom(...hotkeys)), (diff, participants) => {
        const split = weightRedistribution(diff);
        expect(split.tournamentWeight + split.regularWeight + split.burnWeight).toBeCloseTo(1, 15);
        const input: NodeWeightsInput = {
          metagraphHotkeys: [...hotkeys, EMISSION_BURN_HOTKEY],
          split,
          participants,
          // One bucket holding all the regular weight, normalised to 1.
          periodScores: [
            { hotkey: 'h0', normalisedScore: 0.75, weightMultiplier: 1 },
            { hotkey: 'h1', normalisedScore: 0.25, weightMultiplier: 1 },
          ],
          // Both types present and untied: 0.65 + 0.35 of a full ranking each.
          tournamentWeights: combinedTournamentWeights(burnWinsTournament, burnWinsTournament),
        };
        expect(pySum(nodeWeightsFromPeriodScores(input).nodeWeights)).toBeCloseTo(1, 12);
      }),
    );
  });
});

describe('burn details', () => {
  it('with no tournament the whole tournament pool is burned', () => {
    const b = tournamentBurnDetails({});
    expect([b.tournamentWeight, b.regularWeight, b.burnWeight]).toEqual([0, 0.35, 0.65]);
  });
  it('falls back to the previous tournament when the latest is not compared yet', () => {
    const t = (id: string, synthComplete: boolean, d: number | null) => ({ tournamentId: id, winnerHotkey: 'w', synthComplete, performanceDifference: d });
    const b = tournamentBurnDetails({ image: { latest: t('i2', false, null), previous: t('i1', true, 0.1) } });
    expect(b.imagePerformanceDiff).toBe(0.1);
    expect(b.burnProportion).toBeCloseTo(0.5, 15);
  });
});

describe('quantisation', () => {
  it('the largest weight becomes 65535, every value is a u16, zeros are dropped', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant(0), fc.double({ min: 1e-300, max: 1e6, noNaN: true })), { minLength: 1, maxLength: 300 }),
        (weights) => {
          const ids = weights.map((_, i) => i);
          const q = normalizeAndQuantizeWeights(ids, weights);
          if (weights.every((w) => w === 0)) {
            expect(q).toEqual({ uids: [], weightsU16: [] });
            return;
          }
          expect(Math.max(...q.weightsU16)).toBe(65535);
          for (const v of q.weightsU16) expect(Number.isInteger(v) && v >= 0 && v <= 65535).toBe(true);
          expect(q.uids).toEqual(ids.filter((i) => weights[i]! > 0));
        },
      ),
    );
  });
  it('rejects negative weights and reports NaN like Python', () => {
    expect(() => normalizeAndQuantizeWeights([0], [-1])).toThrow('Invalid input');
    expect(() => normalizeAndQuantizeWeights([0, 1], [NaN, 1])).toThrow('cannot convert float NaN to integer');
  });
});

it('a day in microseconds', () => expect(MICROS_PER_DAY).toBe(86_400 * 1e6));
