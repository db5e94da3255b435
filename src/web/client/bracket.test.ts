import { describe, expect, it } from 'vitest';
import { buildBracket, labelOf, shortKey, type DetailsRound, type TournamentDetails } from './bracket.ts';

const score = (hotkey: string, test_loss: number) => ({ hotkey, test_loss, quality_score: null, synth_loss: null, score_reason: null });
const task = (id: string, group: string | null, pair: string | null, winner: string, scores: [string, number][]) => ({
  task_id: id,
  group_id: group,
  pair_id: pair,
  winner,
  task_type: 'InstructTextTask',
  participant_scores: scores.map(([h, l]) => score(h, l)),
});
const round = (n: number, type: string, participants: string[], tasks: DetailsRound['tasks'], final = false): DetailsRound => ({
  round_id: `t_round_00${n}`,
  round_number: n,
  round_type: type,
  is_final_round: final,
  status: 'completed',
  participants,
  tasks,
});

const details: TournamentDetails = {
  tournament_id: 't',
  tournament_type: 'text',
  status: 'completed',
  base_winner_hotkey: 'CHAMP',
  winner_hotkey: 'B',
  participants: [],
  final_scores: [],
  rounds: [
    round(2, 'knockout', ['A', 'B', 'C', 'D'], [task('k1', null, 't_round_002_pair_001', 'A', [['A', 1], ['C', 2]]), task('k2', null, 't_round_002_pair_002', 'B', [['B', 1], ['D', 2]])]),
    round(1, 'group', ['A', 'B', 'C', 'D', 'E', 'F'], [task('g1', 't_round_001_group_001', null, 'A', [['A', 1], ['C', 2], ['E', 3]]), task('g2', 't_round_001_group_002', null, 'B', [['B', 1], ['D', 2], ['F', 3]])]),
    round(3, 'knockout', ['A', 'B'], [task('f1', null, 't_round_003_pair_001', 'B', [['A', 2], ['B', 1]])]),
    round(4, 'knockout', ['B', 'CHAMP'], [task('b1', null, 't_round_004_pair_001', 'B', [['B', 1], ['CHAMP', 2]]), task('b2', null, 't_round_004_pair_001', 'CHAMP', [['B', 2], ['CHAMP', 1]])], true),
  ],
};

describe('tournament bracket', () => {
  it('orders rounds and reads groups, pairs and the boss round', () => {
    const b = buildBracket(details);
    expect(b.rounds.map((r) => `${r.number}:${r.kind}`)).toEqual(['1:group', '2:knockout', '3:knockout', '4:boss']);
    const groups = b.rounds[0]!.groups;
    expect(groups.map((g) => g.label)).toEqual(['Group 1', 'Group 2']);
    expect(groups[0]).toMatchObject({ members: ['A', 'C', 'E'], advanced: ['A', 'C'] });
    const pairs = b.rounds[1]!.pairs;
    expect(pairs.map((p) => [p.label, p.sides, p.winner])).toEqual([
      ['Pair 1', ['A', 'C'], 'A'],
      ['Pair 2', ['B', 'D'], 'B'],
    ]);
    const boss = b.rounds[3]!;
    expect(boss.groups).toEqual([]);
    expect(boss.pairs).toHaveLength(1);
    expect(boss.pairs[0]).toMatchObject({ sides: ['B', 'CHAMP'], winner: 'B', champion: 'CHAMP' });
    expect(boss.pairs[0]!.tasks).toHaveLength(2);
    expect(b).toMatchObject({ champion: 'CHAMP', winner: 'B' });
  });

  it('leaves a pair undecided on a tie while the tournament runs', () => {
    const running = { ...details, status: 'active', winner_hotkey: null, base_winner_hotkey: null, rounds: [details.rounds[2]!, details.rounds[3]!] };
    const boss = buildBracket(running).rounds[1]!.pairs[0]!;
    expect(boss.winner).toBeNull();
    // No recorded champion: the side that did not play the round before.
    expect(boss.champion).toBe('CHAMP');
  });

  it('labels ids and shortens hotkeys', () => {
    expect(labelOf('tourn_x_round_001_group_012')).toBe('Group 12');
    expect(labelOf('tourn_x_round_001_pair_003')).toBe('Pair 3');
    expect(labelOf('other')).toBe('other');
    expect(shortKey('5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty')).toBe('5FHneW46…');
    expect(shortKey(null)).toBe('—');
  });
});
