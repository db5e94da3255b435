/**
 * A tournament's bracket from GET /v1/tournaments/{id}/details, pure: group rounds as groups (members, their
 * tasks, who advanced), knockout rounds as pairs (two sides and the winner), the final round as the boss round
 * (the defending champion against the challenger). Membership comes from the tasks' participant scores and the
 * rounds' participant lists — the details route has no separate group/pair tables.
 */

export interface ParticipantScore {
  hotkey: string;
  quality_score?: number | null;
  test_loss?: number | null;
  synth_loss?: number | null;
  score_reason?: string | null;
}

export interface DetailsTask {
  task_id: string;
  group_id: string | null;
  pair_id: string | null;
  winner: string | null;
  task_type?: string | null;
  participant_scores: ParticipantScore[];
}

export interface DetailsRound {
  round_id: string;
  round_number: number;
  round_type: string;
  is_final_round: boolean;
  status: string;
  participants: string[];
  tasks: DetailsTask[];
}

export interface TournamentDetails {
  tournament_id: string;
  tournament_type: string;
  status: string;
  base_winner_hotkey: string | null;
  winner_hotkey: string | null;
  participants: { hotkey: string; final_position?: number | null; eliminated_in_round_id?: string | null }[];
  rounds: DetailsRound[];
  final_scores: { hotkey: string; score: number }[];
  boss_round_performance?: { task_id: string; task_type: string; boss_score: number | null; challenger_score: number | null; threshold_used: number; performance_difference: number | null; challenger_won: boolean }[] | null;
}

export interface TaskCell {
  taskId: string;
  taskType: string;
  winner: string | null;
  scores: ParticipantScore[];
}

export interface BracketGroup {
  id: string;
  label: string;
  members: string[];
  advanced: string[];
  tasks: TaskCell[];
}

export interface BracketPair {
  id: string;
  label: string;
  sides: string[];
  winner: string | null;
  /** Boss round: the defending champion's side (its hotkey, or the placeholder standing in for it). */
  champion?: string | null;
  tasks: TaskCell[];
}

export interface BracketRound {
  id: string;
  number: number;
  kind: 'group' | 'knockout' | 'boss';
  status: string;
  participants: string[];
  groups: BracketGroup[];
  pairs: BracketPair[];
}

export interface Bracket {
  rounds: BracketRound[];
  champion: string | null;
  winner: string | null;
}

/** `…_group_003` → "Group 3", `…_pair_012` → "Pair 12"; other ids as given. */
export function labelOf(id: string): string {
  const m = /_(group|pair)_0*(\d+)$/.exec(id);
  return m ? `${m[1] === 'group' ? 'Group' : 'Pair'} ${m[2]}` : id;
}

function cell(t: DetailsTask): TaskCell {
  return { taskId: t.task_id, taskType: t.task_type ?? '', winner: t.winner, scores: t.participant_scores };
}

function hotkeysOf(tasks: readonly DetailsTask[]): string[] {
  const seen = new Set<string>();
  for (const t of tasks) for (const p of t.participant_scores) seen.add(p.hotkey);
  return [...seen];
}

/** The most frequent task winner among `sides` (ties: none). */
function majorityWinner(tasks: readonly TaskCell[], sides: readonly string[]): string | null {
  const wins = new Map<string, number>();
  for (const t of tasks) if (t.winner && sides.includes(t.winner)) wins.set(t.winner, (wins.get(t.winner) ?? 0) + 1);
  const sorted = [...wins.entries()].sort((a, b) => b[1] - a[1]);
  if (sorted.length === 0 || (sorted.length > 1 && sorted[0]![1] === sorted[1]![1])) return null;
  return sorted[0]![0];
}

function byKey<T>(items: readonly T[], key: (t: T) => string | null): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (k === null) continue;
    out.set(k, [...(out.get(k) ?? []), item]);
  }
  return out;
}

export function buildBracket(d: TournamentDetails): Bracket {
  const rounds = [...d.rounds].sort((a, b) => a.round_number - b.round_number);
  const out: BracketRound[] = rounds.map((r, i) => {
    const next = rounds[i + 1];
    const advancedSet = next ? new Set(next.participants) : d.winner_hotkey ? new Set([d.winner_hotkey]) : null;
    const kind: BracketRound['kind'] = r.is_final_round ? 'boss' : r.round_type === 'group' ? 'group' : 'knockout';
    const groups = [...byKey(r.tasks, (t) => t.group_id).entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, tasks]) => {
        const members = hotkeysOf(tasks).sort();
        return { id, label: labelOf(id), members, advanced: advancedSet ? members.filter((m) => advancedSet.has(m)) : [], tasks: tasks.map(cell) };
      });
    let pairs = [...byKey(r.tasks, (t) => t.pair_id).entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, tasks]) => {
        const cells = tasks.map(cell);
        const sides = hotkeysOf(tasks);
        const fromNext = advancedSet ? sides.filter((s) => advancedSet.has(s)) : [];
        return { id, label: labelOf(id), sides, winner: fromNext.length === 1 ? fromNext[0]! : majorityWinner(cells, sides), tasks: cells };
      });
    if (kind === 'boss' && pairs.length === 0 && groups.length === 0) {
      // A boss round stored without pair ids: every task is champion against challenger.
      const cells = r.tasks.map(cell);
      const sides = r.participants.length > 0 ? [...r.participants] : hotkeysOf(r.tasks);
      pairs = [{ id: r.round_id, label: 'Boss round', sides, winner: d.status === 'completed' ? d.winner_hotkey : majorityWinner(cells, sides), tasks: cells }];
    }
    if (kind === 'boss') {
      if (groups.length > 0) pairs = groups.map((g) => ({ id: g.id, label: 'Boss round', sides: g.members, winner: d.winner_hotkey, tasks: g.tasks }));
      // The champion is the side that did not come through the previous round.
      const earlier = new Set(rounds[i - 1]?.participants ?? []);
      pairs = pairs.map((p) => ({ ...p, champion: p.sides.find((s) => s === d.base_winner_hotkey) ?? p.sides.find((s) => earlier.size > 0 && !earlier.has(s)) ?? null }));
      return { id: r.round_id, number: r.round_number, kind, status: r.status, participants: r.participants, groups: [], pairs };
    }
    return { id: r.round_id, number: r.round_number, kind, status: r.status, participants: r.participants, groups, pairs };
  });
  return { rounds: out, champion: d.base_winner_hotkey, winner: d.winner_hotkey };
}

/** `5F3sa2TJ…` for tables and bracket boxes. */
export function shortKey(hotkey: string | null | undefined, n = 8): string {
  if (!hotkey) return '—';
  return hotkey.length > n + 1 ? `${hotkey.slice(0, n)}…` : hotkey;
}
