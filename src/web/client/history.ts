/** Score history as chart series, pure. */
import type { Series } from './chart-geometry.ts';

export interface HistoryPoint {
  task_id: string;
  at: string;
  quality_score: number;
  task_type: string;
}

/** Each miner's running total of quality scores over time (a step per scored task). */
export function cumulativeSeries(history: readonly { hotkey: string; points: readonly HistoryPoint[] }[]): Series[] {
  return history.map((s) => {
    let total = 0;
    const points = [...s.points]
      .filter((p) => Number.isFinite(p.quality_score) && Number.isFinite(Date.parse(p.at)))
      .sort((a, b) => Date.parse(a.at) - Date.parse(b.at))
      .map((p) => ({ x: Date.parse(p.at), y: (total += p.quality_score) }));
    return { name: s.hotkey, points };
  });
}
