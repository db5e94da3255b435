/**
 * Tournaments: the list (history + active + next dates) and one tournament's bracket — group rounds, knockout
 * pairs, the boss round — with every task's per-participant results, final scores and the boss-round margins.
 */
import { get } from '../api.ts';
import { buildBracket, shortKey, type Bracket, type BracketRound, type TaskCell, type TournamentDetails } from '../bracket.ts';
import { h, type El } from '../dom.ts';
import { badge, fillWith, num, section, table, when } from '../ui.ts';

interface History {
  tournaments: { tournament_id: string; tournament_type: string; status: string; winner_hotkey: string | null; base_winner_hotkey: string | null; created_at: string | null }[];
}

export function tournamentsPage(root: El): () => void {
  const list = h('div', { id: 'tournament-list' }, 'Loading…');
  const next = h('div', { id: 'tournament-next' });
  root.replaceChildren(section('Tournaments', list), section('Next tournaments', next));
  void fillWith(list, async () => {
    const { tournaments } = await get<History>('/v1/tournaments/history');
    return table(
      ['Tournament', 'Type', 'Status', 'Winner', 'Champion before', 'Created'],
      tournaments.map((t) => [h('a', { href: `#/tournaments/${encodeURIComponent(t.tournament_id)}` }, t.tournament_id), t.tournament_type, badge(t.status), h('span', { class: 'mono' }, shortKey(t.winner_hotkey)), h('span', { class: 'mono' }, shortKey(t.base_winner_hotkey)), when(t.created_at)]),
      { id: 'tournaments-table' },
    );
  });
  void fillWith(next, async () => {
    const dates = await get<Record<string, { tournament_status: string; next_start_date: string | null; current_round_number: number | null }>>('/v1/tournaments/next-dates');
    return table(
      ['Type', 'State', 'Next start', 'Current round'],
      Object.entries(dates).map(([type, d]) => [type, d.tournament_status, when(d.next_start_date), d.current_round_number === null ? '—' : String(d.current_round_number)]),
    );
  });
  return () => {};
}

function person(hotkey: string | null | undefined, b: Bracket, champion: string | null = null): El {
  const tags = [hotkey && (hotkey === b.champion || hotkey === champion) ? 'champion' : '', hotkey && hotkey === b.winner ? 'winner' : ''].filter(Boolean);
  return h('span', { class: `who ${tags.join(' ')}`.trim(), title: hotkey ?? '' }, shortKey(hotkey, 12), tags.length ? h('small', null, ` (${tags.join(', ')})`) : null);
}

function taskResults(t: TaskCell): El {
  const rows = [...t.scores].sort((a, b) => (a.test_loss ?? Infinity) - (b.test_loss ?? Infinity));
  return h(
    'details',
    { class: 'task-results' },
    h('summary', null, `${t.taskType || 'task'} ${t.taskId.slice(0, 8)} — winner ${shortKey(t.winner, 12)}`),
    table(['Participant', 'Test loss', 'Synth loss', 'Quality', 'Reason'], rows.map((p) => [h('span', { class: 'mono', title: p.hotkey }, shortKey(p.hotkey, 12)), num(p.test_loss ?? null), num(p.synth_loss ?? null), num(p.quality_score ?? null, 3), p.score_reason ?? ''])),
  );
}

function roundColumn(r: BracketRound, b: Bracket): El {
  const title = r.kind === 'boss' ? 'Boss round' : `Round ${r.number} · ${r.kind}`;
  const boxes: El[] = [];
  for (const g of r.groups) {
    boxes.push(
      h(
        'div',
        { class: 'match group', 'data-id': g.id },
        h('h4', null, g.label),
        h('ul', null, g.members.map((m) => h('li', { class: g.advanced.includes(m) ? 'advanced' : '' }, person(m, b)))),
        g.tasks.map(taskResults),
      ),
    );
  }
  for (const p of r.pairs) {
    boxes.push(
      h(
        'div',
        { class: `match pair${r.kind === 'boss' ? ' boss' : ''}`, 'data-id': p.id },
        h('h4', null, p.label),
        h('ul', null, p.sides.map((s) => h('li', { class: s === p.winner ? 'advanced' : '' }, person(s, b, p.champion ?? null)))),
        p.tasks.map(taskResults),
      ),
    );
  }
  return h('div', { class: `round ${r.kind}`, 'data-round': r.number }, h('h3', null, title, ' ', badge(r.status)), boxes.length ? boxes : h('p', { class: 'muted' }, 'No tasks yet.'));
}

export function tournamentPage(root: El, id: string): () => void {
  const head = h('div', null, 'Loading…');
  const bracket = h('div', { id: 'bracket', class: 'bracket' });
  const scores = h('div', { id: 'final-scores' });
  root.replaceChildren(section(`Tournament ${id}`, head), section('Bracket', bracket), section('Scores', scores));
  void fillWith(head, async () => {
    const d = await get<TournamentDetails>(`/v1/tournaments/${encodeURIComponent(id)}/details`);
    const b = buildBracket(d);
    bracket.replaceChildren(...b.rounds.map((r) => roundColumn(r, b)));
    scores.replaceChildren(
      table(['Participant', 'Score'], [...d.final_scores].sort((x, y) => y.score - x.score).map((s) => [h('span', { class: 'mono', title: s.hotkey }, shortKey(s.hotkey, 12)), num(s.score, 4)]), { id: 'final-scores-table' }),
      d.boss_round_performance?.length
        ? table(
            ['Boss-round task', 'Type', 'Champion', 'Challenger', 'Margin', 'Threshold', 'Challenger won'],
            d.boss_round_performance.map((p) => [p.task_id.slice(0, 8), p.task_type, num(p.boss_score), num(p.challenger_score), p.performance_difference === null ? '—' : `${num(p.performance_difference * 100, 2)}%`, `${num(p.threshold_used * 100, 1)}%`, p.challenger_won ? 'yes' : 'no']),
          )
        : '',
    );
    return h(
      'dl',
      { class: 'facts' },
      h('dt', null, 'type'),
      h('dd', null, d.tournament_type),
      h('dt', null, 'status'),
      h('dd', null, badge(d.status)),
      h('dt', null, 'defending champion'),
      h('dd', null, person(d.base_winner_hotkey, b)),
      h('dt', null, 'winner'),
      h('dd', null, person(d.winner_hotkey, b)),
      h('dt', null, 'entrants'),
      h('dd', null, String(d.participants.length)),
    );
  });
  return () => {};
}
