/**
 * The tournament routes of the validator API (tournament spec §7.1–§7.2), registered on a server made by src/http:
 * analytics behind a customer key (the original's FRONTEND_API_KEY), the W&B link public, and the orchestrator's
 * trainer registry behind the admin key. Paths and payloads are the original's.
 *
 *   registerTournamentRoutes(server, { db, netuid, trainers, clock })
 */
import { z } from 'zod';
import type { Clock } from '../clock/index.ts';
import type { TournamentType } from '../core/enums.ts';
import { scoringRulesRef2025_08, type ScoringRules } from '../core/rules/scoring.ts';
import { tournamentRules, type TournamentRules } from '../core/rules/tournament.ts';
import {
  completedTournaments,
  getParticipants,
  getRounds,
  getRoundTasks,
  getTournament,
  listTournaments,
  taskScores,
  trainingStatuses,
  type TournamentRow,
} from '../db/queries/tournament-lifecycle.ts';
import { listGpus, listTrainerIps, removeTrainer } from '../db/queries/tournament-training.ts';
import type { Db } from '../db/types.ts';
import { HttpError } from '../http/errors.ts';
import { route } from '../http/route.ts';
import type { GodServer } from '../http/server.ts';
import { silentLogger, type Logger } from '../log/index.ts';
import {
  bossKeepsTask,
  bossRoundTaskOutcomes,
  championConsecutiveWins,
  progressiveThreshold,
  tournamentTypeScores,
  type Behaviour,
} from '../scoring/tournament/index.ts';
import { tournamentBurnDetails } from '../scoring/weights/index.ts';
import { tournamentContext } from './context.ts';
import { registerTrainer, TrainerRegistrationError, trainingStats } from './orchestrator.ts';
import type { TrainerApi } from './ports.ts';
import { asTournamentResults, burnFacts, roundResults, syncPerformance } from './results.ts';
import { gpuRequirement } from './structure.ts';
import { isValidTrainerAddress } from './trainer-client.ts';

export interface TournamentApiOptions {
  db: Db;
  netuid: number;
  clock: Clock;
  trainers: TrainerApi;
  rules?: TournamentRules;
  scoring?: ScoringRules;
  behaviour?: Behaviour;
  log?: Logger;
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
const TYPES: TournamentType[] = ['text', 'image'];
const UNFINISHED = ['pending', 'preparing_data', 'looking_for_nodes', 'ready', 'training'];

export function registerTournamentRoutes(server: GodServer, o: TournamentApiOptions): GodServer {
  const rules = o.rules ?? tournamentRules;
  const scoring = o.scoring ?? scoringRulesRef2025_08;
  const behaviour = o.behaviour ?? 'fixed';
  const log = o.log ?? silentLogger();
  const burn = scoring.emissionBurnHotkey;
  let latestCache: { at: number; body: unknown } | null = null;

  async function bossRoundPerformance(t: TournamentRow) {
    const final = (await getRounds(o.db, t.tournament_id)).filter((r) => r.is_final_round).at(-1);
    if (!final) return null;
    const tasks = await getRoundTasks(o.db, final.round_id);
    const ids = tasks.map((x) => x.task_id);
    const scores = await taskScores(o.db, ids, o.netuid);
    const statuses = await trainingStatuses(o.db, ids);
    const earlier = (await completedTournaments(o.db, t.tournament_type)).filter((c) => c.created_at.getTime() < t.created_at.getTime());
    const streak = championConsecutiveWins(
      t.base_winner_hotkey ?? burn,
      earlier.map((c) => ({ winnerHotkey: c.winner_hotkey, baseWinnerHotkey: c.base_winner_hotkey })),
      behaviour,
      scoring,
    );
    const threshold = progressiveThreshold(streak, scoring);
    const outcomes = bossRoundTaskOutcomes(
      tasks.map((x) => ({
        taskId: x.task_id,
        taskType: x.task_type,
        rows: (scores.get(x.task_id) ?? []).map((r) => ({ hotkey: r.hotkey, qualityScore: r.quality_score, testLoss: r.test_loss, synthLoss: r.synth_loss })),
        trainingStatus: statuses.get(x.task_id) ?? {},
      })),
      streak,
      behaviour,
      scoring,
    );
    type Row = { task_id: string; task_type: string; boss_score: number | null; challenger_score: number | null; threshold_used: number; performance_difference: number | null; challenger_won: boolean };
    return outcomes.flatMap((out, i): Row[] => {
      const b = out.bossLoss;
      const c = out.challengerLoss;
      if (b === null && c === null) return [];
      const base = { task_id: out.taskId, task_type: tasks[i]!.task_type, boss_score: b, challenger_score: c, threshold_used: threshold };
      if (b === null) return [{ ...base, performance_difference: null, challenger_won: true }];
      if (c === null) return [{ ...base, performance_difference: null, challenger_won: false }];
      // Positive = the challenger is better, relative to the other side (the original's formula).
      const diff = out.higherIsBetter ? (b > 0 ? (c - b) / b : 0) : c > 0 ? (b - c) / c : 0;
      return [{ ...base, performance_difference: diff, challenger_won: !bossKeepsTask(b, c, threshold, out.higherIsBetter, behaviour) }];
    });
  }

  async function details(t: TournamentRow) {
    const rounds = await roundResults(o.db, t.tournament_id, o.netuid);
    const typeScores = tournamentTypeScores(t.tournament_type, asTournamentResults(t, rounds), scoring);
    const completed = t.status === 'completed';
    const sync = completed ? await syncPerformance(o.db, t, o.netuid, behaviour, scoring) : null;
    return {
      tournament_id: t.tournament_id,
      tournament_type: t.tournament_type,
      status: t.status,
      base_winner_hotkey: t.base_winner_hotkey,
      winner_hotkey: t.winner_hotkey,
      participants: (await getParticipants(o.db, t.tournament_id)).map((p) => ({
        tournament_id: p.tournament_id,
        hotkey: p.hotkey,
        eliminated_in_round_id: p.eliminated_in_round_id,
        final_position: p.final_position,
        training_repo: p.training_repo,
        training_commit_hash: p.training_commit_hash,
        stake_required: p.stake_required,
        backup_repo: p.backup_repo,
      })),
      rounds: rounds.map((r) => ({
        round_id: r.round.round_id,
        round_number: r.round.round_number,
        round_type: r.round.round_type,
        is_final_round: r.round.is_final_round,
        status: r.round.status,
        participants: [...new Set(r.participants)].sort(),
        tasks: r.tasks.map((x) => ({ task_id: x.task_id, group_id: x.group_id, pair_id: x.pair_id, winner: x.winner, task_type: x.task_type, participant_scores: x.participant_scores })),
      })),
      final_scores: typeScores.scores.map((s) => ({ hotkey: s.hotkey, score: s.score })),
      text_tournament_weight: scoring.tournamentTextWeight,
      image_tournament_weight: scoring.tournamentImageWeight,
      boss_round_performance: completed ? await bossRoundPerformance(t) : null,
      sync_performance: sync
        ? sync.data.map((d) => ({
            tournament_task_id: d.tournamentTaskId,
            synthetic_task_id: d.syntheticTaskId,
            task_type: d.taskType,
            tournament_winner_score: d.tournamentWinnerScore,
            best_synthetic_score: d.bestSyntheticScore,
            performance_difference: d.performanceDifference,
          }))
        : null,
    };
  }

  const quarter = 15 * 60_000;
  const ceilQuarter = (ms: number) => Math.ceil(ms / quarter) * quarter;

  async function nextInfo(type: TournamentType) {
    const base = { tournament_type: type, next_end_date: null, interval_hours: rules.intervalHours };
    const [active] = await listTournaments(o.db, ['active'], type);
    if (active) return { ...base, next_start_date: null, current_round_number: (await getRounds(o.db, active.tournament_id)).length, tournament_status: 'active' };
    const [pending] = await listTournaments(o.db, ['pending'], type);
    if (pending) return { ...base, next_start_date: null, current_round_number: 1, tournament_status: 'pending' };
    const now = o.clock.now();
    const [latest] = await completedTournaments(o.db, type, 1);
    const doneAt = latest ? (latest.completed_at ?? latest.updated_at ?? latest.created_at).getTime() : null;
    const due = doneAt === null ? now : doneAt + rules.intervalHours * 3_600_000;
    const start = due <= now ? ceilQuarter(now + 1) : ceilQuarter(due);
    return { ...base, next_start_date: new Date(start).toISOString(), current_round_number: null, tournament_status: 'waiting' };
  }

  const tournamentIdParams = z.object({ tournament_id: z.string().min(1).max(200) });
  const trainerIpQuery = z.object({ trainer_ip: z.string().min(1).max(300).refine(isValidTrainerAddress, 'trainer_ip must be host[:port]') });

  return server.routes([
    route({
      method: 'GET',
      url: '/v1/tournaments/latest/details',
      auth: 'customer',
      tags: ['Tournament Analytics'],
      summary: 'The latest completed text and image tournaments with the emission split',
      async handler() {
        const now = o.clock.now();
        if (latestCache && now - latestCache.at < rules.latestDetailsCacheSeconds * 1000) return latestCache.body;
        const out: Record<string, unknown> = {};
        const history: Record<string, Awaited<ReturnType<typeof burnFacts>>> = {};
        for (const type of TYPES) {
          const [latest] = await completedTournaments(o.db, type, 1);
          out[type] = latest ? await details(latest) : null;
          history[type] = await burnFacts(o.db, type, o.netuid, behaviour, scoring);
        }
        const b = tournamentBurnDetails(history, scoring);
        out.burn_data = {
          text_performance_diff: b.textPerformanceDiff,
          image_performance_diff: b.imagePerformanceDiff,
          weighted_average_diff: b.weightedAverageDiff,
          burn_proportion: b.burnProportion,
          tournament_weight: b.tournamentWeight,
          regular_weight: b.regularWeight,
          burn_weight: b.burnWeight,
        };
        latestCache = { at: now, body: out };
        return out;
      },
    }),
    route({
      method: 'GET',
      url: '/v1/tournaments/gpu-requirements',
      auth: 'customer',
      tags: ['Tournament Analytics'],
      summary: 'Unfinished tournament tasks grouped by GPU requirement',
      async handler() {
        const { rows } = await o.db.query<{ task_type: string; model_params_count: number | null; hours_to_complete: number | null }>(
          `SELECT t.task_type::text AS task_type, t.model_params_count, t.hours_to_complete FROM tasks t
            WHERE t.status = ANY($1::text[]) AND EXISTS (SELECT 1 FROM tournament_tasks tt WHERE tt.task_id = t.task_id)`,
          [UNFINISHED],
        );
        const groups = new Map<string, { count: number; hours: number }>();
        for (const r of rows) {
          const g = gpuRequirement(r.task_type, r.model_params_count, rules);
          const e = groups.get(g) ?? { count: 0, hours: 0 };
          e.count++;
          e.hours += r.hours_to_complete ?? 1;
          groups.set(g, e);
        }
        const list = [...groups].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([gpu_type, e]) => ({ gpu_type, count: e.count, total_hours: e.hours }));
        return { gpu_requirements: list, total_tasks: rows.length, total_hours: list.reduce((a, e) => a + e.total_hours, 0) };
      },
    }),
    route({
      method: 'GET',
      url: '/v1/tournaments/next-dates',
      auth: 'customer',
      tags: ['Tournament Analytics'],
      summary: 'When the next text and image tournaments start',
      async handler() {
        return { text: await nextInfo('text'), image: await nextInfo('image') };
      },
    }),
    route({
      method: 'GET',
      url: '/v1/tournaments/active',
      auth: 'customer',
      tags: ['Tournament Analytics'],
      summary: 'The active text and image tournaments and their entrants',
      async handler() {
        const out: Record<string, unknown> = {};
        for (const type of TYPES) {
          const [t] = await listTournaments(o.db, ['active'], type);
          out[type] = t
            ? {
                tournament_id: t.tournament_id,
                tournament_type: t.tournament_type,
                status: t.status,
                participants: (await getParticipants(o.db, t.tournament_id))
                  .filter((p) => p.hotkey !== burn)
                  .map((p) => ({ hotkey: p.hotkey, stake_requirement: p.stake_required ?? 0 })),
                created_at: iso(t.created_at),
              }
            : null;
        }
        return out;
      },
    }),
    route({
      method: 'GET',
      url: '/v1/tournaments/history',
      auth: 'customer',
      tags: ['Tournament Analytics'],
      summary: 'Active and completed tournaments, newest first',
      async handler() {
        const list = await listTournaments(o.db, ['active', 'completed']);
        return {
          tournaments: list.map((t) => ({
            tournament_id: t.tournament_id,
            tournament_type: t.tournament_type,
            status: t.status,
            winner_hotkey: t.winner_hotkey,
            base_winner_hotkey: t.base_winner_hotkey,
            created_at: iso(t.created_at),
          })),
        };
      },
    }),
    route({
      method: 'GET',
      url: '/v1/tournaments/wandb-logs/{task_id}',
      params: z.object({ task_id: z.string().min(1).max(200) }),
      query: z.object({ hotkey: z.string().min(1).max(100) }),
      tags: ['Tournament Analytics'],
      summary: "A training's W&B run URL, from the trainers (public)",
      async handler({ params, query }) {
        for (const ip of await listTrainerIps(o.db)) {
          try {
            const job = await o.trainers.taskDetails(ip, params.task_id, query.hotkey);
            if (job?.wandb_url) return job.wandb_url;
          } catch {
            // an unreachable trainer has nothing to say
          }
        }
        throw new HttpError(404, 'No W&B URL found for this task and hotkey');
      },
    }),
    route({
      method: 'GET',
      url: '/v1/tournaments/{tournament_id}/details',
      params: tournamentIdParams,
      auth: 'customer',
      tags: ['Tournament Analytics'],
      summary: 'One tournament: entrants, rounds, per-task results, scores and the boss round',
      async handler({ params }) {
        const t = await getTournament(o.db, params.tournament_id);
        if (!t) throw new HttpError(404, 'Tournament not found');
        return details(t);
      },
    }),
    // ---------------------------------------------------------------- orchestrator admin
    route({
      method: 'POST',
      url: '/v1/tournament_orchestrator/add_trainer',
      query: trainerIpQuery,
      auth: 'admin',
      tags: ['Tournament Orchestrator'],
      summary: 'Register a trainer node (its GPUs are read from it)',
      responseContentType: 'text/plain',
      async handler({ query, reply }) {
        try {
          await registerTrainer(tournamentContextFor(o, rules, scoring, log), query.trainer_ip);
        } catch (err) {
          if (err instanceof TrainerRegistrationError) throw new HttpError(err.status, err.message);
          throw new HttpError(500, `Internal server error: ${err instanceof Error ? err.message : String(err)}`);
        }
        return reply.type('text/plain').send('Trainer added successfully');
      },
    }),
    route({
      method: 'DELETE',
      url: '/v1/tournament_orchestrator/remove_trainer/{trainer_ip}',
      params: z.object({ trainer_ip: z.string().min(1).max(300) }),
      auth: 'admin',
      tags: ['Tournament Orchestrator'],
      summary: 'Remove a trainer node and its GPUs',
      responseContentType: 'text/plain',
      async handler({ params, reply }) {
        await removeTrainer(o.db, params.trainer_ip);
        return reply.type('text/plain').send('Trainer removed successfully');
      },
    }),
    route({
      method: 'GET',
      url: '/v1/tournament_orchestrator/trainers',
      auth: 'admin',
      tags: ['Tournament Orchestrator'],
      summary: 'Registered trainers and their GPUs (availability from the booking times)',
      async handler() {
        const now = o.clock.now();
        const gpus = await listGpus(o.db);
        return (await listTrainerIps(o.db)).map((ip) => ({
          trainer_ip: ip,
          gpus: gpus
            .filter((g) => g.trainer_ip === ip)
            .map((g) => ({
              gpu_id: g.gpu_id,
              gpu_type: g.gpu_type,
              vram_gb: g.vram_gb,
              available: g.used_until === null || g.used_until.getTime() < now,
              used_until: iso(g.used_until),
            })),
        }));
      },
    }),
    route({
      method: 'GET',
      url: '/v1/tournament_orchestrator/training_stats',
      auth: 'admin',
      tags: ['Tournament Orchestrator'],
      summary: 'Trainings per status and their attempts',
      async handler() {
        return trainingStats({ db: o.db });
      },
    }),
  ]);
}

/** A minimal context for the admin routes that call orchestrator functions. */
function tournamentContextFor(o: TournamentApiOptions, rules: TournamentRules, scoring: ScoringRules, log: Logger) {
  const unused = () => {
    throw new Error('not available in the API process');
  };
  return tournamentContext({
    db: o.db,
    clock: o.clock,
    log,
    random: { next: Math.random },
    netuid: o.netuid,
    rules,
    scoring,
    repos: { get: unused },
    tasks: { create: unused },
    trainers: o.trainers,
  });
}

