/** Leaderboard (GET /v1/leaderboard per period) with score history charts (GET /dashboard/api/score-history). */
import { get } from '../api.ts';
import { shortKey } from '../bracket.ts';
import { lineChart } from '../charts.ts';
import { h, type El } from '../dom.ts';
import { cumulativeSeries, type HistoryPoint } from '../history.ts';
import { errorNote, fillWith, num, section, table } from '../ui.ts';

interface Stats {
  quality_metrics: { total_score: number; total_count: number; total_success: number; avg_quality_score: number; success_rate: number; quality_rate: number };
  workload_metrics: { competition_hours: number; total_params_billions: number };
  model_metrics: { modal_model: string; unique_models: number; unique_datasets: number };
}
type Period = 'daily' | 'three_day' | 'weekly' | 'monthly' | 'all_time';
const PERIODS: Period[] = ['daily', 'three_day', 'weekly', 'monthly', 'all_time'];

export function leaderboardPage(root: El): () => void {
  let period: Period = 'weekly';
  let rows: { hotkey: string; stats: Record<Period, Stats> }[] = [];
  const board = h('div', { id: 'leaderboard' }, 'Loading…');
  const charts = h('div', { id: 'history-charts' }, 'Loading…');

  const renderBoard = () => {
    const sorted = [...rows].sort((a, b) => b.stats[period].quality_metrics.total_score - a.stats[period].quality_metrics.total_score);
    board.replaceChildren(
      table(
        ['#', 'Miner', 'Total score', 'Tasks', 'Success rate', 'Avg quality', 'Compute hours', 'Usual model'],
        sorted.map((r, i) => {
          const s = r.stats[period];
          return [String(i + 1), h('span', { class: 'mono', title: r.hotkey }, shortKey(r.hotkey, 12)), num(s.quality_metrics.total_score, 3), String(s.quality_metrics.total_count), `${num(s.quality_metrics.success_rate * 100, 1)}%`, num(s.quality_metrics.avg_quality_score, 3), num(s.workload_metrics.competition_hours, 1), s.model_metrics.modal_model];
        }),
        { id: 'leaderboard-table' },
      ),
    );
  };

  const select = h('select', { id: 'period', onchange: (e) => ((period = (e.target as El).value as Period), renderBoard()) }, PERIODS.map((p) => h('option', { value: p, selected: p === period }, p.replace('_', ' '))));
  root.replaceChildren(section('Leaderboard', h('div', { class: 'toolbar' }, h('label', null, 'Period ', select)), board), section('Score history', charts));

  get<typeof rows>('/v1/leaderboard').then(
    (r) => ((rows = r), renderBoard()),
    (err: unknown) => board.replaceChildren(errorNote(err)),
  );
  void fillWith(charts, async () => {
    const history = await get<{ hotkey: string; points: HistoryPoint[] }[]>('/dashboard/api/score-history');
    const time = (v: number) => new Date(v).toISOString().slice(5, 16).replace('T', ' ');
    const perTask = history.map((s) => ({ name: shortKey(s.hotkey), points: s.points.map((p) => ({ x: Date.parse(p.at), y: p.quality_score })) }));
    return [
      lineChart(cumulativeSeries(history).map((s) => ({ ...s, name: shortKey(s.name) })), { title: 'Cumulative score (successful tasks)', xLabel: time }),
      lineChart(perTask, { title: 'Quality score per task', xLabel: time }),
    ];
  });
  return () => {};
}
