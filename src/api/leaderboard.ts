/**
 * GET /v1/leaderboard (validator.md §9.1 "Leaderboard stats"): every metagraph node with its results over the
 * last day, three days, week, month and all time. Periods are counted from the injected clock.
 */
import { z } from 'zod';
import { LEADERBOARD_PERIODS, leaderboardRowSchema, type LeaderboardRow, type NodeStats } from '../core/models/tasks.ts';
import { leaderboardStats, nodeHotkeys, type LeaderboardStatsRow } from '../db/queries/api-tasks.ts';
import { route, type RouteDefinition } from '../http/route.ts';
import type { ApiContext } from './context.ts';

type Period = keyof typeof LEADERBOARD_PERIODS;
const PERIOD_MS: Record<Period, number | null> = {
  daily: 24 * 3_600_000,
  three_day: 3 * 24 * 3_600_000,
  weekly: 7 * 24 * 3_600_000,
  monthly: 30 * 24 * 3_600_000,
  all_time: null,
};

export function emptyNodeStats(): NodeStats {
  return {
    quality_metrics: { total_score: 0, total_count: 0, total_success: 0, total_quality: 0, avg_quality_score: 0, success_rate: 0, quality_rate: 0 },
    workload_metrics: { competition_hours: 0, total_params_billions: 0 },
    model_metrics: { modal_model: 'none', unique_models: 0, unique_datasets: 0 },
  };
}

function finite(x: number): number {
  return Number.isFinite(x) ? x : 0;
}

export function toNodeStats(r: LeaderboardStatsRow): NodeStats {
  return {
    quality_metrics: {
      total_score: finite(r.total_score),
      total_count: r.total_count,
      total_success: r.total_success,
      total_quality: r.total_quality,
      avg_quality_score: finite(r.avg_quality_score),
      success_rate: r.total_count > 0 ? r.total_success / r.total_count : 0,
      quality_rate: r.total_count > 0 ? r.total_quality / r.total_count : 0,
    },
    workload_metrics: { competition_hours: Math.max(0, r.competition_hours), total_params_billions: Math.max(0, finite(r.total_params_billions)) },
    model_metrics: { modal_model: r.modal_model ?? 'none', unique_models: r.unique_models, unique_datasets: r.unique_datasets },
  };
}

export async function buildLeaderboard(ctx: ApiContext): Promise<LeaderboardRow[]> {
  const hotkeys = await nodeHotkeys(ctx.db, ctx.netuid);
  if (hotkeys.length === 0) return [];
  const at = ctx.clock.now();
  const periods = (Object.keys(PERIOD_MS) as Period[]).map((name) => {
    const span = PERIOD_MS[name];
    return { name, since: new Date(span === null ? 0 : at - span) };
  });
  const byHotkey = new Map<string, Record<Period, NodeStats>>();
  for (const h of hotkeys) {
    byHotkey.set(h, { daily: emptyNodeStats(), three_day: emptyNodeStats(), weekly: emptyNodeStats(), monthly: emptyNodeStats(), all_time: emptyNodeStats() });
  }
  for (const row of await leaderboardStats(ctx.db, ctx.netuid, periods)) {
    const stats = byHotkey.get(row.hotkey);
    if (stats) stats[row.period as Period] = toNodeStats(row);
  }
  return hotkeys.map((hotkey) => ({ hotkey, stats: byHotkey.get(hotkey) as Record<Period, NodeStats> }));
}

export interface ComputedLeaderboard {
  rows: LeaderboardRow[];
  /** The rows as the response body, checked against the response schema once, when computed. */
  json: string;
}

const responseSchema = z.array(leaderboardRowSchema);

/**
 * Serves one computation to every caller for `leaderboardCacheMs`; concurrent callers share the computation in
 * flight. The body is validated and serialised once per computation, not per request (256 miners × 5 periods is
 * a few thousand objects).
 */
export function cachedLeaderboard(ctx: ApiContext): () => Promise<ComputedLeaderboard> {
  let value: (ComputedLeaderboard & { at: number }) | undefined;
  let inFlight: Promise<ComputedLeaderboard> | undefined;
  return () => {
    const ttl = ctx.rules.leaderboardCacheMs;
    if (value && ttl > 0 && ctx.clock.now() - value.at < ttl) return Promise.resolve(value);
    inFlight ??= buildLeaderboard(ctx)
      .then((rows) => {
        const checked = responseSchema.parse(rows);
        value = { rows: checked, json: JSON.stringify(checked), at: ctx.clock.now() };
        return value;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
}

export function leaderboardRoutes(ctx: ApiContext): RouteDefinition[] {
  const leaderboard = cachedLeaderboard(ctx);
  return [
    route({
      method: 'GET',
      url: '/v1/leaderboard',
      auth: 'customer',
      response: responseSchema,
      tags: ['Gradients On Demand'],
      summary: 'Every node with its quality, workload and model statistics per period',
      description: 'Computed at most once per `leaderboardCacheMs` (10 s by default) and shared by all callers.',
      handler: async ({ reply }) => reply.type('application/json; charset=utf-8').send((await leaderboard()).json),
    }),
  ];
}
