/**
 * The recomputation against the validator's own weight setter (src/validator/weights/compute.ts): for random
 * weeks of scored tasks, the file the validator would publish recomputes to exactly the vector it would set.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TASK_TYPES } from '../core/enums.ts';
import { scoringRulesRef2025_08 } from '../core/rules/scoring.ts';
import type { ScoredTaskRow } from '../db/queries/validator-weights.ts';
import { combinedTournamentWeights, tournamentBurnDetails } from '../scoring/weights/index.ts';
import { computeWeights, scoresFile } from '../validator/weights/compute.ts';
import { RecomputeError, recomputeWeights } from './recompute.ts';
import { ScoresFileSchema } from './schema.ts';

const NOW = new Date(Date.UTC(2025, 8, 15, 12, 0, 0, 123));
const HOTKEYS = ['h0', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'h7'];
const rules = { ...scoringRulesRef2025_08, emissionBurnHotkey: 'h7' };

const rowArb = fc.record({
  type: fc.constantFrom(...TASK_TYPES),
  organic: fc.boolean(),
  ageMs: fc.integer({ min: 0, max: 8 * 86_400_000 }),
  hours: fc.integer({ min: 1, max: 12 }),
  model: fc.constantFrom('gpt2', 'Qwen/Qwen2.5-7B-Instruct', 'falcon-40b', 'x-3b'),
  params: fc.constantFrom(0, 7_000_000_000, 70_000_000_000),
  scores: fc.uniqueArray(fc.record({ hotkey: fc.constantFrom(...HOTKEYS.slice(0, 7), 'not-on-chain'), q: fc.constantFrom(3, -1, 1.5) }), { selector: (s) => s.hotkey, minLength: 1, maxLength: 4 }),
});

type RowGen = typeof rowArb extends fc.Arbitrary<infer T> ? T : never;

function rowOf(r: RowGen, i: number): ScoredTaskRow {
  const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
  const created = new Date(NOW.getTime() - r.ageMs);
  return {
    task_id: id,
    is_organic: r.organic,
    model_id: r.model,
    ds: 'd',
    status: 'success',
    account_id: '00000000-0000-0000-0000-000000000000',
    times_delayed: 0,
    hours_to_complete: r.hours,
    task_type: r.type,
    created_at: created,
    next_delay_at: null,
    updated_at: created,
    started_at: null,
    termination_at: null,
    completed_at: created,
    model_params_count: r.params,
    node_scores: r.scores.map((s) => ({ task_id: id, hotkey: s.hotkey, quality_score: s.q })),
  };
}

describe('recomputeWeights', () => {
  it("gives exactly the validator's vector for the file the validator publishes", () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 25 }), (raw) => {
        const rows = raw.map(rowOf);
        const computed = computeWeights({ rows, metagraphHotkeys: HOTKEYS, history: {}, participants: [], tournamentWeights: new Map(), now: NOW, rules });
        const sent = computed ? { uids: computed.uids, weights: computed.weightsU16 } : { uids: [], weights: [] };
        // Through JSON, as the auditor reads it.
        const json = JSON.parse(JSON.stringify(scoresFile(rows, {}, { netuid: 56, ...sent, versionKey: 61_000, createdAt: NOW })));
        const file = ScoresFileSchema.parse(json);
        const r = recomputeWeights({ file, metagraphHotkeys: HOTKEYS, rules, fallbackNowMs: 0 });
        expect({ uids: r.uids, weights: r.weightsU16 }).toEqual(sent);
      }),
      { numRuns: 60 },
    );
  });

  it('uses the published split, participants and tournament results', () => {
    const rows = [rowOf({ type: 'DpoTask', organic: false, ageMs: 3_600_000, hours: 2, model: 'gpt2', params: 0, scores: [{ hotkey: 'h1', q: 3 }] }, 1)];
    const text = {
      tournament_id: 't1',
      winner_hotkey: 'h2',
      base_winner_hotkey: null,
      rounds: [{ round_id: 'r1', round_number: 1, round_type: 'knockout', is_final_round: true, tasks: [{ task_id: 'x', group_id: null, pair_id: 'p', winner: 'h2', participant_scores: [] }] }],
    };
    const split = { tournament_weight_multiplier: 0.3, regular_weight_multiplier: 0.27, burn_weight: 0.43 };
    const file = ScoresFileSchema.parse(JSON.parse(JSON.stringify(scoresFile(rows, { text_tournament_data: text, participants: ['h3'], ...split }, { netuid: 56, uids: [], weights: [], versionKey: 61_000, createdAt: NOW }))));
    const r = recomputeWeights({ file, metagraphHotkeys: HOTKEYS, rules, fallbackNowMs: 0 });
    expect(r.splitSource).toBe('published');
    const tw = combinedTournamentWeights({ winnerHotkey: 'h2', baseWinnerHotkey: null, rounds: [{ roundNumber: 1, isFinalRound: true, tasks: [{ winner: 'h2' }] }] }, null, rules);
    expect(r.tournamentWeights).toEqual(tw);
    expect(tw.size).toBeGreaterThan(0);
    const scale = 1 - rules.tournamentParticipationWeight;
    expect(r.nodeWeights[7]).toBeCloseTo(0.43 * scale, 15);
    expect(r.nodeWeights[3]).toBe(rules.tournamentParticipationWeight);
    expect(r.nodeWeights[2]).toBeCloseTo((tw.get('h2') ?? 0) * 0.3 * scale, 15);
    expect(r.nodeWeights[1]).toBeGreaterThan(0);
  });

  it('without tournament data uses the no-tournament split; tournament results without a split cannot be recomputed', () => {
    const rows = [rowOf({ type: 'InstructTextTask', organic: false, ageMs: 1000, hours: 1, model: 'gpt2', params: 0, scores: [{ hotkey: 'h1', q: 3 }] }, 1)];
    const meta = { netuid: 56, uids: [], weights: [], versionKey: 61_000, createdAt: NOW };
    const plain = ScoresFileSchema.parse(JSON.parse(JSON.stringify(scoresFile(rows, {}, meta))));
    const burn = tournamentBurnDetails({}, rules);
    expect(recomputeWeights({ file: plain, metagraphHotkeys: HOTKEYS, rules, fallbackNowMs: 0 }).split).toEqual({
      tournamentWeight: burn.tournamentWeight,
      regularWeight: burn.regularWeight,
      burnWeight: burn.burnWeight,
    });
    const text = { tournament_id: 't', rounds: [], winner_hotkey: 'h2' };
    const partial = ScoresFileSchema.parse(JSON.parse(JSON.stringify(scoresFile(rows, { text_tournament_data: text }, meta))));
    expect(() => recomputeWeights({ file: partial, metagraphHotkeys: HOTKEYS, rules, fallbackNowMs: 0 })).toThrow(RecomputeError);
    const half = ScoresFileSchema.parse(JSON.parse(JSON.stringify(scoresFile(rows, { burn_weight: 0.5 }, meta))));
    expect(() => recomputeWeights({ file: half, metagraphHotkeys: HOTKEYS, rules, fallbackNowMs: 0 })).toThrow(/only part of the emission split/);
  });

  it("reads an original-format file (no weights block) at the auditor's clock", () => {
    const rows = [rowOf({ type: 'InstructTextTask', organic: false, ageMs: 2 * 86_400_000, hours: 1, model: 'gpt2', params: 0, scores: [{ hotkey: 'h1', q: 3 }] }, 1)];
    const { weights: _omit, ...original } = JSON.parse(JSON.stringify(scoresFile(rows, {}, { netuid: 56, uids: [], weights: [], versionKey: 61_000, createdAt: NOW }))) as Record<string, unknown>;
    const file = ScoresFileSchema.parse(original);
    const r = recomputeWeights({ file, metagraphHotkeys: HOTKEYS, rules, fallbackNowMs: NOW.getTime() });
    expect(r.notes[0]).toMatch(/auditor's clock/);
    expect(r.uids).toContain(1);
    // Ten days later the task has left every window: nothing to set.
    const later = recomputeWeights({ file, metagraphHotkeys: HOTKEYS, rules, fallbackNowMs: NOW.getTime() + 10 * 86_400_000 });
    expect(later.uids).toEqual([]);
  });
});
