/**
 * Tournaments, rounds, groups, pairs, participants and round tasks (tournament spec §1.3, §3): the statements
 * the lifecycle loops and the analytics routes run. A tournament is a work-queue row: a lifecycle worker claims
 * it with one statement (lease = claimed_until = next_attempt_at) and every multi-row change is one transaction
 * in the caller.
 */
import type { RoundStatus, RoundType, TournamentStatus, TournamentType } from '../../core/enums.ts';
import type { Queryable } from '../types.ts';

export interface TournamentRow {
  tournament_id: string;
  tournament_type: TournamentType;
  status: TournamentStatus;
  base_winner_hotkey: string | null;
  winner_hotkey: string | null;
  winning_performance_difference: number | null;
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
  next_attempt_at: Date;
  claimed_by: string | null;
  claimed_until: Date | null;
  entry_attempts: number;
  published_at: Date | null;
  publish_attempts: number;
}

export interface RoundRow {
  round_id: string;
  tournament_id: string;
  round_number: number;
  round_type: RoundType;
  is_final_round: boolean;
  status: RoundStatus;
  started_at: Date | null;
  completed_at: Date | null;
  created_at: Date;
}

export interface ParticipantRow {
  tournament_id: string;
  hotkey: string;
  eliminated_in_round_id: string | null;
  final_position: number | null;
  training_repo: string | null;
  training_commit_hash: string | null;
  stake_required: number | null;
  backup_repo: string | null;
  backup_commit_hash: string | null;
  created_at: Date;
}

export interface GroupRow {
  group_id: string;
  position: number;
  members: string[];
}

export interface PairRow {
  pair_id: string;
  position: number;
  hotkey1: string;
  hotkey2: string;
}

export interface RoundTaskRow {
  task_id: string;
  round_id: string;
  group_id: string | null;
  pair_id: string | null;
  slot: number | null;
  status: string;
  task_type: string;
  model_id: string;
  model_params_count: number | null;
  hours_to_complete: number | null;
  created_at: Date;
}

export interface NodeStake {
  hotkey: string;
  alpha_stake: number;
  ip: string;
  port: number;
}

// ---------------------------------------------------------------- tournaments

export interface NewTournament {
  tournamentId: string;
  type: TournamentType;
  baseWinnerHotkey: string | null;
  now: Date;
  intervalHours: number;
}

/**
 * Creates a pending tournament of `type` when the scheduling rule allows it (spec §3.2), in one statement: no
 * pending or active one of the type, and the latest non-cancelled one — if any — completed at least the interval
 * ago. The partial unique index settles a race between two schedulers. Null when nothing was created.
 */
export async function createScheduledTournament(q: Queryable, t: NewTournament): Promise<TournamentRow | null> {
  const { rows } = await q.query<TournamentRow>(
    `INSERT INTO tournaments (tournament_id, tournament_type, status, base_winner_hotkey, created_at, updated_at, next_attempt_at)
     SELECT $1::text, $2::text, 'pending', $3::text, $4::timestamptz, $4::timestamptz, $4::timestamptz
      WHERE NOT EXISTS (SELECT 1 FROM tournaments WHERE tournament_type = $2 AND status IN ('pending', 'active'))
        AND NOT EXISTS (
          SELECT 1 FROM (
            SELECT status, COALESCE(completed_at, updated_at, created_at) AS done_at FROM tournaments
             WHERE tournament_type = $2 AND status <> 'cancelled'
             ORDER BY created_at DESC, tournament_id DESC LIMIT 1) latest
           WHERE latest.status <> 'completed' OR latest.done_at > $4::timestamptz - make_interval(secs => $5::float8 * 3600))
     ON CONFLICT DO NOTHING
     RETURNING *`,
    [t.tournamentId, t.type, t.baseWinnerHotkey, t.now, t.intervalHours],
  );
  return rows[0] ?? null;
}

export async function getTournament(q: Queryable, tournamentId: string): Promise<TournamentRow | null> {
  const { rows } = await q.query<TournamentRow>('SELECT * FROM tournaments WHERE tournament_id = $1', [tournamentId]);
  return rows[0] ?? null;
}

/** Tournaments in `statuses`, newest first (optionally of one type). */
export async function listTournaments(q: Queryable, statuses: readonly TournamentStatus[], type?: TournamentType): Promise<TournamentRow[]> {
  const { rows } = await q.query<TournamentRow>(
    `SELECT * FROM tournaments WHERE status = ANY($1::text[]) AND ($2::text IS NULL OR tournament_type = $2)
      ORDER BY created_at DESC, tournament_id DESC`,
    [[...statuses], type ?? null],
  );
  return rows;
}

/** The latest non-cancelled tournament of a type (the scheduler's and next-dates' reference point). */
export async function latestTournament(q: Queryable, type: TournamentType): Promise<TournamentRow | null> {
  const { rows } = await q.query<TournamentRow>(
    `SELECT * FROM tournaments WHERE tournament_type = $1 AND status <> 'cancelled' ORDER BY created_at DESC, tournament_id DESC LIMIT 1`,
    [type],
  );
  return rows[0] ?? null;
}

export interface ClaimTournamentOptions {
  statuses: readonly TournamentStatus[];
  worker: string;
  leaseMs: number;
  now: Date;
  /** Completed tournaments only when their winners are still to be published. */
  unpublished?: boolean;
  maxPublishAttempts?: number;
}

/** Claims the longest-waiting due tournament in `statuses` (one statement, SKIP LOCKED). */
export async function claimTournament(q: Queryable, o: ClaimTournamentOptions): Promise<TournamentRow | null> {
  const until = new Date(o.now.getTime() + o.leaseMs);
  const { rows } = await q.query<TournamentRow>(
    `UPDATE tournaments SET claimed_by = $1, claimed_until = $2, next_attempt_at = $2
      WHERE tournament_id = (
        SELECT tournament_id FROM tournaments
         WHERE status = ANY($3::text[]) AND next_attempt_at <= $4
           AND (NOT $5::boolean OR (published_at IS NULL AND publish_attempts < $6))
         ORDER BY next_attempt_at, tournament_id LIMIT 1
         FOR UPDATE SKIP LOCKED)
      RETURNING *`,
    [o.worker, until, [...o.statuses], o.now, o.unpublished ?? false, o.maxPublishAttempts ?? 0],
  );
  return rows[0] ?? null;
}

/** Gives a claim back; the tournament is due again at `at`. False when the worker no longer held it. */
export async function releaseTournament(q: Queryable, tournamentId: string, worker: string, at: Date): Promise<boolean> {
  const res = await q.query(
    `UPDATE tournaments SET claimed_by = NULL, claimed_until = NULL, next_attempt_at = $3 WHERE tournament_id = $1 AND claimed_by = $2`,
    [tournamentId, worker, at],
  );
  return res.rowCount === 1;
}

/** Compare-and-set status change; false when the tournament was not in `from`. */
export async function setTournamentStatus(
  q: Queryable,
  tournamentId: string,
  from: TournamentStatus,
  to: TournamentStatus,
  now: Date,
): Promise<boolean> {
  const res = await q.query(`UPDATE tournaments SET status = $3, updated_at = $4 WHERE tournament_id = $1 AND status = $2`, [
    tournamentId,
    from,
    to,
    now,
  ]);
  return res.rowCount === 1;
}

/** Ends an active tournament: winner (the burn placeholder on a defence), completion time, due for publishing. */
export async function completeTournament(q: Queryable, tournamentId: string, winnerHotkey: string, now: Date): Promise<boolean> {
  const res = await q.query(
    `UPDATE tournaments SET status = 'completed', winner_hotkey = $2, completed_at = $3, updated_at = $3, next_attempt_at = $3
      WHERE tournament_id = $1 AND status = 'active'`,
    [tournamentId, winnerHotkey, now],
  );
  return res.rowCount === 1;
}

export async function bumpEntryAttempts(q: Queryable, tournamentId: string): Promise<void> {
  await q.query('UPDATE tournaments SET entry_attempts = entry_attempts + 1 WHERE tournament_id = $1', [tournamentId]);
}

export async function markPublished(q: Queryable, tournamentId: string, now: Date, done: boolean): Promise<void> {
  await q.query(
    `UPDATE tournaments SET publish_attempts = publish_attempts + 1, published_at = CASE WHEN $3 THEN $2::timestamptz ELSE published_at END
      WHERE tournament_id = $1`,
    [tournamentId, now, done],
  );
}

/** Completed tournaments of a type, newest first (the champion's streak walks these). */
export async function completedTournaments(q: Queryable, type: TournamentType, limit = 1000): Promise<TournamentRow[]> {
  const { rows } = await q.query<TournamentRow>(
    `SELECT * FROM tournaments WHERE tournament_type = $1 AND status = 'completed'
      ORDER BY created_at DESC, tournament_id DESC LIMIT $2`,
    [type, limit],
  );
  return rows;
}

// ---------------------------------------------------------------- participants

export async function getParticipants(q: Queryable, tournamentId: string): Promise<ParticipantRow[]> {
  const { rows } = await q.query<ParticipantRow>(
    'SELECT * FROM tournament_participants WHERE tournament_id = $1 ORDER BY created_at, hotkey',
    [tournamentId],
  );
  return rows;
}

export async function getParticipant(q: Queryable, tournamentId: string, hotkey: string): Promise<ParticipantRow | null> {
  const { rows } = await q.query<ParticipantRow>('SELECT * FROM tournament_participants WHERE tournament_id = $1 AND hotkey = $2', [
    tournamentId,
    hotkey,
  ]);
  return rows[0] ?? null;
}

export interface NewParticipant {
  hotkey: string;
  trainingRepo: string | null;
  trainingCommitHash: string | null;
  stakeRequired: number;
}

export async function insertParticipant(q: Queryable, tournamentId: string, p: NewParticipant, now: Date): Promise<void> {
  await q.query(
    `INSERT INTO tournament_participants (tournament_id, hotkey, training_repo, training_commit_hash, stake_required, created_at)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
    [tournamentId, p.hotkey, p.trainingRepo, p.trainingCommitHash, p.stakeRequired, now],
  );
}

/**
 * Makes `selected` the tournament's entrants (besides `keep`, the champion placeholder): others entered by an
 * earlier attempt are removed, the selected ones inserted or updated with their repo and entry stake.
 */
export async function replaceEntrants(q: Queryable, tournamentId: string, keep: string, selected: readonly NewParticipant[], now: Date): Promise<void> {
  await q.query(
    `DELETE FROM tournament_participants WHERE tournament_id = $1 AND hotkey <> $2 AND NOT (hotkey = ANY($3::text[]))`,
    [tournamentId, keep, selected.map((s) => s.hotkey)],
  );
  for (const p of selected) {
    await q.query(
      `INSERT INTO tournament_participants (tournament_id, hotkey, training_repo, training_commit_hash, stake_required, created_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (tournament_id, hotkey) DO UPDATE
         SET training_repo = EXCLUDED.training_repo, training_commit_hash = EXCLUDED.training_commit_hash,
             stake_required = EXCLUDED.stake_required`,
      [tournamentId, p.hotkey, p.trainingRepo, p.trainingCommitHash, p.stakeRequired, now],
    );
  }
}

/** Eliminates the given hotkeys in `roundId`, leaving rows already eliminated as they are. */
export async function eliminateParticipants(q: Queryable, tournamentId: string, roundId: string, hotkeys: readonly string[]): Promise<number> {
  if (hotkeys.length === 0) return 0;
  const res = await q.query(
    `UPDATE tournament_participants SET eliminated_in_round_id = $2
      WHERE tournament_id = $1 AND hotkey = ANY($3::text[]) AND eliminated_in_round_id IS NULL`,
    [tournamentId, roundId, [...hotkeys]],
  );
  return res.rowCount;
}

export async function setFinalPosition(q: Queryable, tournamentId: string, hotkey: string, position: number): Promise<void> {
  await q.query('UPDATE tournament_participants SET final_position = $3 WHERE tournament_id = $1 AND hotkey = $2', [tournamentId, hotkey, position]);
}

export async function setBackupRepo(q: Queryable, tournamentId: string, hotkey: string, url: string, commit: string): Promise<void> {
  await q.query(
    'UPDATE tournament_participants SET backup_repo = $3, backup_commit_hash = $4 WHERE tournament_id = $1 AND hotkey = $2',
    [tournamentId, hotkey, url, commit],
  );
}

/** For each hotkey, the number of distinct completed tournaments (any type) it entered (the repeat boost's input). */
export async function completedEntries(q: Queryable, hotkeys: readonly string[]): Promise<Map<string, number>> {
  const { rows } = await q.query<{ hotkey: string; n: number }>(
    `SELECT tp.hotkey, count(DISTINCT tp.tournament_id)::int AS n
       FROM tournament_participants tp JOIN tournaments t ON t.tournament_id = tp.tournament_id
      WHERE t.status = 'completed' AND tp.hotkey = ANY($1::text[])
      GROUP BY tp.hotkey`,
    [[...hotkeys]],
  );
  return new Map(rows.map((r) => [r.hotkey, r.n]));
}

/**
 * Active participants (not `exclude`) whose stake fell below what they entered with, or who left the metagraph
 * (the original's join silently kept a deregistered hotkey in the running).
 */
export async function participantsBelowEntryStake(q: Queryable, tournamentId: string, netuid: number, exclude: string): Promise<string[]> {
  const { rows } = await q.query<{ hotkey: string }>(
    `SELECT tp.hotkey FROM tournament_participants tp
       LEFT JOIN nodes n ON n.hotkey = tp.hotkey AND n.netuid = $2
      WHERE tp.tournament_id = $1 AND tp.eliminated_in_round_id IS NULL AND tp.hotkey <> $3
        AND (n.hotkey IS NULL OR n.alpha_stake < COALESCE(tp.stake_required, 0))
      ORDER BY tp.hotkey`,
    [tournamentId, netuid, exclude],
  );
  return rows.map((r) => r.hotkey);
}

/** Hotkeys still in active tournaments (the participation weight), the placeholder left out. */
export async function activeParticipantHotkeys(q: Queryable, exclude: string): Promise<string[]> {
  const { rows } = await q.query<{ hotkey: string }>(
    `SELECT DISTINCT tp.hotkey FROM tournament_participants tp JOIN tournaments t ON t.tournament_id = tp.tournament_id
      WHERE t.status = 'active' AND tp.eliminated_in_round_id IS NULL AND tp.hotkey <> $1 ORDER BY tp.hotkey`,
    [exclude],
  );
  return rows.map((r) => r.hotkey);
}

// ---------------------------------------------------------------- nodes

/** The metagraph's nodes on `netuid` with their alpha stake and address, in uid order. */
export async function nodeStakes(q: Queryable, netuid: number): Promise<NodeStake[]> {
  const { rows } = await q.query<NodeStake>('SELECT hotkey, alpha_stake, ip, port FROM nodes WHERE netuid = $1 ORDER BY node_id, hotkey', [
    netuid,
  ]);
  return rows;
}

export async function hotkeysWithNodes(q: Queryable, hotkeys: readonly string[], netuid: number): Promise<Set<string>> {
  const { rows } = await q.query<{ hotkey: string }>('SELECT hotkey FROM nodes WHERE netuid = $1 AND hotkey = ANY($2::text[])', [
    netuid,
    [...hotkeys],
  ]);
  return new Set(rows.map((r) => r.hotkey));
}

// ---------------------------------------------------------------- rounds

export async function getRounds(q: Queryable, tournamentId: string): Promise<RoundRow[]> {
  const { rows } = await q.query<RoundRow>('SELECT * FROM tournament_rounds WHERE tournament_id = $1 ORDER BY round_number', [tournamentId]);
  return rows;
}

export type RoundLayout = { kind: 'group'; groups: readonly (readonly string[])[] } | { kind: 'knockout'; pairs: readonly (readonly [string, string])[] };

/** Inserts a pending round with its groups (and members) or pairs, numbered by position (1-based). */
export async function insertRound(
  q: Queryable,
  round: { roundId: string; tournamentId: string; roundNumber: number; isFinal: boolean; now: Date },
  layout: RoundLayout,
): Promise<void> {
  await q.query(
    `INSERT INTO tournament_rounds (round_id, tournament_id, round_number, round_type, is_final_round, status, created_at)
     VALUES ($1, $2, $3, $4, $5, 'pending', $6)`,
    [round.roundId, round.tournamentId, round.roundNumber, layout.kind, round.isFinal, round.now],
  );
  const pad = (n: number) => String(n).padStart(3, '0');
  if (layout.kind === 'group') {
    for (const [i, members] of layout.groups.entries()) {
      const groupId = `${round.roundId}_group_${pad(i + 1)}`;
      await q.query('INSERT INTO tournament_groups (group_id, round_id, position, created_at) VALUES ($1, $2, $3, $4)', [
        groupId,
        round.roundId,
        i + 1,
        round.now,
      ]);
      await q.query(
        `INSERT INTO tournament_group_members (group_id, hotkey, created_at) SELECT $1, h, $3 FROM unnest($2::text[]) AS h`,
        [groupId, [...members], round.now],
      );
    }
  } else {
    for (const [i, [a, b]] of layout.pairs.entries()) {
      await q.query(
        'INSERT INTO tournament_pairs (pair_id, round_id, hotkey1, hotkey2, position, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
        [`${round.roundId}_pair_${pad(i + 1)}`, round.roundId, a, b, i + 1, round.now],
      );
    }
  }
}

/** Compare-and-set round status change (started_at / completed_at stamped on the way). */
export async function setRoundStatus(q: Queryable, roundId: string, from: RoundStatus, to: RoundStatus, now: Date): Promise<boolean> {
  const res = await q.query(
    `UPDATE tournament_rounds SET status = $3::text,
            started_at = CASE WHEN $3::text = 'active' THEN COALESCE(started_at, $4::timestamptz) ELSE started_at END,
            completed_at = CASE WHEN $3::text = 'completed' THEN $4::timestamptz ELSE completed_at END
      WHERE round_id = $1 AND status = $2::text`,
    [roundId, from, to, now],
  );
  return res.rowCount === 1;
}

/** Groups in position order, each with its members (hotkey order). */
export async function getGroups(q: Queryable, roundId: string): Promise<GroupRow[]> {
  const { rows } = await q.query<GroupRow>(
    `SELECT g.group_id, COALESCE(g.position, 0) AS position,
            COALESCE(array_agg(m.hotkey ORDER BY m.hotkey) FILTER (WHERE m.hotkey IS NOT NULL), '{}') AS members
       FROM tournament_groups g LEFT JOIN tournament_group_members m ON m.group_id = g.group_id
      WHERE g.round_id = $1 GROUP BY g.group_id, g.position ORDER BY g.position, g.group_id`,
    [roundId],
  );
  return rows;
}

export async function getPairs(q: Queryable, roundId: string): Promise<PairRow[]> {
  const { rows } = await q.query<PairRow>(
    `SELECT pair_id, COALESCE(position, 0) AS position, hotkey1, hotkey2 FROM tournament_pairs WHERE round_id = $1 ORDER BY position, pair_id`,
    [roundId],
  );
  return rows;
}

// ---------------------------------------------------------------- round tasks

/** The round's tasks with their current status, in (group or pair, slot, creation) order. */
export async function getRoundTasks(q: Queryable, roundId: string): Promise<RoundTaskRow[]> {
  const { rows } = await q.query<RoundTaskRow>(
    `SELECT tt.task_id::text AS task_id, tt.round_id, tt.group_id, tt.pair_id, tt.slot, t.status, t.task_type::text AS task_type,
            t.model_id, t.model_params_count, t.hours_to_complete, t.created_at
       FROM tournament_tasks tt JOIN tasks t ON t.task_id = tt.task_id
      WHERE tt.round_id = $1
      ORDER BY COALESCE(tt.group_id, tt.pair_id), tt.slot NULLS LAST, t.created_at, tt.task_id`,
    [roundId],
  );
  return rows;
}

export interface TaskLink {
  tournamentId: string;
  roundId: string;
  taskId: string;
  groupId: string | null;
  pairId: string | null;
  slot: number;
  now: Date;
}

/** Makes the task a tournament task in its slot; fails (unique violation) when the slot is already filled. */
export async function linkRoundTask(q: Queryable, l: TaskLink): Promise<void> {
  await q.query(
    `INSERT INTO tournament_tasks (tournament_id, round_id, task_id, group_id, pair_id, slot, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [l.tournamentId, l.roundId, l.taskId, l.groupId, l.pairId, l.slot, l.now],
  );
}

/**
 * Assigns hotkeys to a tournament task with their expected repo names (`tournament-<tid>-<task>-<hk8>`); hotkeys
 * without a node on `netuid` are skipped, existing assignments kept. Returns how many rows were added.
 */
export async function assignTournamentNodes(q: Queryable, tournamentId: string, taskId: string, hotkeys: readonly string[], netuid: number): Promise<number> {
  if (hotkeys.length === 0) return 0;
  const res = await q.query(
    `INSERT INTO task_nodes (task_id, hotkey, netuid, expected_repo_name)
     SELECT $2::uuid, n.hotkey, n.netuid, 'tournament-' || $1::text || '-' || $5::text || '-' || left(n.hotkey, 8)
       FROM nodes n WHERE n.netuid = $4 AND n.hotkey = ANY($3::text[])
     ON CONFLICT DO NOTHING`,
    [tournamentId, taskId, [...hotkeys], netuid, taskId],
  );
  return res.rowCount;
}

/** Assigned hotkeys per task. */
export async function assignedHotkeys(q: Queryable, taskIds: readonly string[], netuid: number): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(taskIds.map((id) => [id, []]));
  if (taskIds.length === 0) return out;
  const { rows } = await q.query<{ task_id: string; hotkey: string }>(
    `SELECT task_id::text AS task_id, hotkey FROM task_nodes WHERE task_id = ANY($1::uuid[]) AND netuid = $2 ORDER BY task_id, hotkey`,
    [[...taskIds], netuid],
  );
  for (const r of rows) out.get(r.task_id)?.push(r.hotkey);
  return out;
}

export interface ScoreRowOut {
  task_id: string;
  hotkey: string;
  quality_score: number | null;
  test_loss: number | null;
  synth_loss: number | null;
  score_reason: string | null;
}

/** task_nodes rows of the tasks (hotkey order within a task). */
export async function taskScores(q: Queryable, taskIds: readonly string[], netuid: number): Promise<Map<string, ScoreRowOut[]>> {
  const out = new Map<string, ScoreRowOut[]>(taskIds.map((id) => [id, []]));
  if (taskIds.length === 0) return out;
  const { rows } = await q.query<ScoreRowOut>(
    `SELECT task_id::text AS task_id, hotkey, quality_score, test_loss, synth_loss, score_reason
       FROM task_nodes WHERE task_id = ANY($1::uuid[]) AND netuid = $2 ORDER BY task_id, hotkey`,
    [[...taskIds], netuid],
  );
  for (const r of rows) out.get(r.task_id)?.push(r);
  return out;
}

/** Training status per (task, hotkey). */
export async function trainingStatuses(q: Queryable, taskIds: readonly string[]): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>(taskIds.map((id) => [id, {}]));
  if (taskIds.length === 0) return out;
  const { rows } = await q.query<{ task_id: string; hotkey: string; training_status: string }>(
    `SELECT task_id::text AS task_id, hotkey, training_status FROM tournament_task_hotkey_trainings WHERE task_id = ANY($1::uuid[])`,
    [[...taskIds]],
  );
  for (const r of rows) {
    const m = out.get(r.task_id);
    if (m) m[r.hotkey] = r.training_status;
  }
  return out;
}

export interface SyncedCopy {
  tournament_task_id: string;
  general_task_id: string;
  status: string;
  task_type: string;
}

/** The general-network copies of tournament tasks (boss_round_synced_tasks), keyed by the tournament task. */
export async function syncedCopies(q: Queryable, taskIds: readonly string[]): Promise<Map<string, SyncedCopy>> {
  if (taskIds.length === 0) return new Map();
  const { rows } = await q.query<SyncedCopy>(
    `SELECT s.tournament_task_id::text AS tournament_task_id, s.general_task_id::text AS general_task_id, t.status, t.task_type::text AS task_type
       FROM boss_round_synced_tasks s JOIN tasks t ON t.task_id = s.general_task_id
      WHERE s.tournament_task_id = ANY($1::uuid[]) ORDER BY t.created_at`,
    [[...taskIds]],
  );
  return new Map(rows.map((r) => [r.tournament_task_id, r]));
}

export async function linkSyncedCopy(q: Queryable, tournamentTaskId: string, generalTaskId: string): Promise<void> {
  await q.query('INSERT INTO boss_round_synced_tasks (tournament_task_id, general_task_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
    tournamentTaskId,
    generalTaskId,
  ]);
}

/** Removes a tournament task and what hangs off it (its link, trainings and sync links cascade; assignments do not). */
export async function deleteTournamentTask(q: Queryable, taskId: string): Promise<void> {
  await q.query('DELETE FROM task_nodes WHERE task_id = $1', [taskId]);
  await q.query('DELETE FROM tasks WHERE task_id = $1', [taskId]);
}
