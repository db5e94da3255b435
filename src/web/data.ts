/**
 * What the dashboard reads that no API route serves: the metagraph's nodes with their stakes, the weights a
 * validator last set (from the chain), and each miner's scores over time.
 */
import type { Chain } from '../chain/types.ts';
import type { Queryable } from '../db/types.ts';

export interface NodeView {
  uid: number;
  hotkey: string;
  coldkey: string;
  stake: number;
  alpha_stake: number;
  tao_stake: number;
  incentive: number | null;
  trust: number | null;
  vtrust: number | null;
  ip: string;
  port: number;
  is_validator: boolean;
}

export async function networkNodes(q: Queryable, netuid: number, validatorHotkey: string | null): Promise<NodeView[]> {
  const { rows } = await q.query<Omit<NodeView, 'is_validator'> & { our_validator: boolean | null }>(
    `SELECT node_id AS uid, hotkey, coldkey, stake, alpha_stake, tao_stake, incentive, trust, vtrust, ip, port, our_validator
       FROM nodes WHERE netuid = $1 ORDER BY node_id`,
    [netuid],
  );
  const finite = (x: number | null) => (x === null || !Number.isFinite(x) ? null : x);
  return rows.map(({ our_validator, ...r }) => ({
    ...r,
    stake: finite(r.stake) ?? 0,
    alpha_stake: finite(r.alpha_stake) ?? 0,
    tao_stake: finite(r.tao_stake) ?? 0,
    incentive: finite(r.incentive),
    trust: finite(r.trust),
    vtrust: finite(r.vtrust),
    is_validator: our_validator === true || r.hotkey === validatorHotkey,
  }));
}

export interface WeightsView {
  setter_uid: number;
  weights: { uid: number; hotkey: string | null; weight: number; share: number }[];
}

/** The (uid, u16) weights `hotkey` last set on the chain, with each one's share of the total. */
export async function chainWeights(chain: Pick<Chain, 'getUid' | 'getWeights'>, netuid: number, hotkey: string, nodes: readonly NodeView[]): Promise<WeightsView | null> {
  const uid = await chain.getUid(netuid, hotkey);
  if (uid === null) return null;
  const pairs = await chain.getWeights(netuid, uid);
  const total = pairs.reduce((s, [, w]) => s + w, 0);
  return {
    setter_uid: uid,
    weights: pairs.map(([u, w]) => ({ uid: u, hotkey: nodes.find((n) => n.uid === u)?.hotkey ?? null, weight: w, share: total > 0 ? w / total : 0 })),
  };
}

export interface HistorySeries {
  hotkey: string;
  points: { task_id: string; at: string; quality_score: number; task_type: string }[];
}

/**
 * Every miner's quality scores on successful, non-tournament tasks created since `since`, oldest first, each at
 * the time the task finished (its termination time when no completion was recorded).
 */
export async function scoreHistory(q: Queryable, netuid: number, since: Date, limit = 5000): Promise<HistorySeries[]> {
  const { rows } = await q.query<{ hotkey: string; task_id: string; task_type: string; at: Date; quality_score: number }>(
    `SELECT tn.hotkey, t.task_id::text AS task_id, t.task_type::text AS task_type,
            coalesce(t.completed_at, t.termination_at, t.created_at) AS at, tn.quality_score
       FROM task_nodes tn JOIN tasks t ON t.task_id = tn.task_id
      WHERE tn.netuid = $1 AND t.status = 'success' AND t.created_at > $2 AND tn.quality_score IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM tournament_tasks tt WHERE tt.task_id = t.task_id)
      ORDER BY at, tn.hotkey
      LIMIT $3`,
    [netuid, since, limit],
  );
  const byHotkey = new Map<string, HistorySeries>();
  for (const r of rows) {
    if (!Number.isFinite(r.quality_score)) continue;
    const series = byHotkey.get(r.hotkey) ?? { hotkey: r.hotkey, points: [] };
    series.points.push({ task_id: r.task_id, at: new Date(r.at).toISOString(), quality_score: r.quality_score, task_type: r.task_type });
    byHotkey.set(r.hotkey, series);
  }
  return [...byHotkey.values()].sort((a, b) => a.hotkey.localeCompare(b.hotkey));
}
