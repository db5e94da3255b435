/**
 * The tournament lifecycle (tournament spec §3) as passes over the database:
 *
 * - `schedulingPass`: per type, create a pending tournament when none is open and the interval since the last one
 *   has passed (one statement; a partial unique index makes two schedulers safe).
 * - `lifecyclePass`: claim one due tournament and take its next step — entry (ping miners, rank by boosted stake),
 *   first round, a pending round's tasks and assignments, an active round's completion check (with the copies to
 *   the general network and replacements), advancing to the next round or completion.
 * - `publishPass`: push the winners' repositories of a completed tournament.
 *
 * Every step is idempotent and each multi-row change is one transaction, so a process killed between any two
 * statements resumes from the database with the same outcome and nothing duplicated. Round decisions are the
 * scoring module's (src/scoring/tournament); this file only gathers their inputs and writes their results.
 */
import type { TaskType, TournamentType } from '../core/enums.ts';
import {
  assignedHotkeys,
  assignTournamentNodes,
  bumpEntryAttempts,
  claimTournament,
  completedEntries,
  completedTournaments,
  completeTournament,
  createScheduledTournament,
  deleteTournamentTask,
  eliminateParticipants,
  getGroups,
  getPairs,
  getParticipant,
  getParticipants,
  getRounds,
  getRoundTasks,
  hotkeysWithNodes,
  insertParticipant,
  insertRound,
  linkRoundTask,
  markPublished,
  nodeStakes,
  participantsBelowEntryStake,
  releaseTournament,
  replaceEntrants,
  setBackupRepo,
  setFinalPosition,
  setRoundStatus,
  setTournamentStatus,
  syncedCopies,
  taskScores,
  trainingStatuses,
  type RoundRow,
  type RoundTaskRow,
  type TournamentRow,
} from '../db/queries/tournament-lifecycle.ts';
import type { Queryable } from '../db/types.ts';
import { championConsecutiveWins, groupWinners, knockoutWinners, realWinner, type RoundTask } from '../scoring/tournament/index.ts';
import { parseCommit, parseRepoUrl } from '../trainer/validate.ts';
import { errorText, isUniqueViolation, nowOf, type TournamentContext } from './context.ts';
import type { EntryNode } from './ports.ts';
import { copyTaskToGeneral } from './task-factory.ts';
import { newTournamentId, nextRound, organiseRound, replacementSpec, roundId, selectEntrants, slotSpecs, type Responder } from './structure.ts';

const TERMINAL_TASK = new Set(['success', 'failure', 'prep_task_failure']);
/** A general-network copy has ended when it is terminal for any reason, no miner taking it included. */
const COPY_ENDED = new Set([...TERMINAL_TASK, 'failure_finding_nodes']);

function later(ctx: TournamentContext, seconds = ctx.rules.loopIntervalSeconds): Date {
  return new Date(ctx.clock.now() + seconds * 1000);
}

// ---------------------------------------------------------------- scheduling (§3.2, §3.11)

export interface Champion {
  /** The defending champion's real hotkey (null: no previous winner). */
  baseWinnerHotkey: string | null;
  repo: string;
  commit: string | null;
}

/**
 * The defending champion of a type and the code the placeholder trains with: the latest completed tournament's
 * (real) winner, its published copy at the exact pushed commit when there is one, else the repo it entered with;
 * the default participant repo when the type has no winner yet.
 */
export async function championFor(ctx: TournamentContext, type: TournamentType): Promise<Champion> {
  const burn = ctx.scoring.emissionBurnHotkey;
  const latest = (await completedTournaments(ctx.db, type, 50)).find((t) => t.winner_hotkey !== null);
  const fallback: Champion = { baseWinnerHotkey: null, repo: ctx.rules.defaultParticipantRepo, commit: ctx.rules.defaultParticipantCommit };
  if (!latest || latest.winner_hotkey === null) return fallback;
  let row = await getParticipant(ctx.db, latest.tournament_id, latest.winner_hotkey);
  if (!row && latest.winner_hotkey === latest.base_winner_hotkey) row = await getParticipant(ctx.db, latest.tournament_id, burn);
  const hotkey = realWinner({ winnerHotkey: latest.winner_hotkey, baseWinnerHotkey: latest.base_winner_hotkey }, ctx.scoring);
  if (!row) return { ...fallback, baseWinnerHotkey: hotkey };
  if (row.backup_repo) return { baseWinnerHotkey: hotkey, repo: row.backup_repo, commit: row.backup_commit_hash };
  if (row.training_repo) return { baseWinnerHotkey: hotkey, repo: row.training_repo, commit: row.training_commit_hash };
  return { ...fallback, baseWinnerHotkey: hotkey };
}

/** One scheduler tick: creates the tournaments that are due; returns their ids. */
export async function schedulingPass(ctx: TournamentContext): Promise<string[]> {
  const created: string[] = [];
  for (const type of ctx.types) {
    const now = nowOf(ctx);
    const champion = await championFor(ctx, type);
    const id = newTournamentId(ctx.random, now);
    const row = await ctx.db.transaction(async (tx) => {
      const t = await createScheduledTournament(tx, { tournamentId: id, type, baseWinnerHotkey: champion.baseWinnerHotkey, now, intervalHours: ctx.rules.intervalHours });
      if (t) {
        await insertParticipant(tx, id, { hotkey: ctx.scoring.emissionBurnHotkey, trainingRepo: champion.repo, trainingCommitHash: champion.commit, stakeRequired: 0 }, now);
      }
      return t;
    });
    if (row) {
      created.push(row.tournament_id);
      ctx.log.info({ tournament_id: row.tournament_id, type, base_winner_hotkey: row.base_winner_hotkey }, 'tournament created');
    }
  }
  return created;
}

// ---------------------------------------------------------------- the lifecycle pass

/** Claims one due pending or active tournament and takes its next step; false when none was due. */
export async function lifecyclePass(ctx: TournamentContext): Promise<boolean> {
  const t = await claimTournament(ctx.db, {
    statuses: ['pending', 'active'],
    worker: ctx.worker,
    leaseMs: ctx.rules.lifecycleLeaseSeconds * 1000,
    now: nowOf(ctx),
  });
  if (!t) return false;
  const log = ctx.log.child({ tournament_id: t.tournament_id });
  let next: Date;
  try {
    next = await stepTournament(ctx, t);
  } catch (err) {
    log.error({ err: errorText(err) }, 'tournament step failed; retrying later');
    next = later(ctx);
  }
  await releaseTournament(ctx.db, t.tournament_id, ctx.worker, next);
  return true;
}

/** Runs lifecycle passes until no tournament is due (at most `limit` steps). */
export async function lifecycleUntilIdle(ctx: TournamentContext, limit = 10_000): Promise<number> {
  let steps = 0;
  while (steps < limit && (await lifecyclePass(ctx))) steps++;
  return steps;
}

/** The tournament's next step; returns when it is due again (now when it progressed). */
export async function stepTournament(ctx: TournamentContext, t: TournamentRow): Promise<Date> {
  if (t.status === 'pending') return entryStep(ctx, t);
  const rounds = await getRounds(ctx.db, t.tournament_id);
  const last = rounds.at(-1);
  if (!last) return firstRoundStep(ctx, t);
  if (last.status === 'pending') return roundSetupStep(ctx, t, last);
  if (last.status === 'active') {
    if (!(await roundCompleted(ctx, t, last))) return later(ctx);
    await setRoundStatus(ctx.db, last.round_id, 'active', 'completed', nowOf(ctx));
    ctx.log.info({ tournament_id: t.tournament_id, round_id: last.round_id }, 'round completed');
  }
  return advance(ctx, t, { ...last, status: 'completed' });
}

// ---------------------------------------------------------------- entry (§3.3)

async function pingAll(ctx: TournamentContext, nodes: readonly EntryNode[], type: TournamentType): Promise<(Responder | null)[]> {
  const out: (Responder | null)[] = [];
  for (let i = 0; i < nodes.length; i += ctx.rules.pingBatchSize) {
    const batch = nodes.slice(i, i + ctx.rules.pingBatchSize);
    out.push(
      ...(await Promise.all(
        batch.map(async (node): Promise<Responder | null> => {
          try {
            const answer = await ctx.repos.get(node, type);
            if (!answer) return null;
            // The original passed these strings to git unchecked (spec §10); an invalid answer is no answer.
            const repo = parseRepoUrl(answer.github_repo, ctx.repoPolicy);
            const commit = parseCommit(answer.commit_hash);
            return { hotkey: node.hotkey, alphaStake: node.alphaStake, completedEntries: 0, trainingRepo: repo.kind === 'local' ? answer.github_repo : repo.url, commitHash: commit };
          } catch (err) {
            ctx.log.debug({ hotkey: node.hotkey, err: errorText(err) }, 'no usable training repo');
            return null;
          }
        }),
      )),
    );
  }
  return out;
}

async function entryStep(ctx: TournamentContext, t: TournamentRow): Promise<Date> {
  const burn = ctx.scoring.emissionBurnHotkey;
  const nodes = (await nodeStakes(ctx.db, ctx.netuid))
    .filter((n) => n.hotkey !== burn)
    .map((n): EntryNode => ({ hotkey: n.hotkey, ip: n.ip, port: n.port, alphaStake: n.alpha_stake }));
  const answers = (await pingAll(ctx, nodes, t.tournament_type)).filter((r): r is Responder => r !== null);
  const entries = await completedEntries(ctx.db, answers.map((a) => a.hotkey));
  const responders = answers.map((a) => ({ ...a, completedEntries: entries.get(a.hotkey) ?? 0 }));
  const selected = selectEntrants(responders, ctx.rules);
  const now = nowOf(ctx);
  const enough = selected.length >= ctx.rules.minMinersForTournament;
  await ctx.db.transaction(async (tx) => {
    // Each attempt replaces the previous attempt's entrants (the original kept adding rows beyond the top N).
    await replaceEntrants(
      tx,
      t.tournament_id,
      burn,
      selected.map((s) => ({ hotkey: s.hotkey, trainingRepo: s.trainingRepo, trainingCommitHash: s.commitHash, stakeRequired: s.alphaStake })),
      now,
    );
    if (enough) await setTournamentStatus(tx, t.tournament_id, 'pending', 'active', now);
    else await bumpEntryAttempts(tx, t.tournament_id);
  });
  ctx.log.info({ tournament_id: t.tournament_id, asked: nodes.length, answered: responders.length, entered: selected.length, started: enough }, 'tournament entry');
  return enough ? now : later(ctx, ctx.rules.participantRetrySeconds);
}

// ---------------------------------------------------------------- rounds (§3.4, §3.5)

/** Creates round `number` from `entrants` (those without a node row are left out) and its layout, in one transaction. */
async function createRound(ctx: TournamentContext, t: TournamentRow, number: number, entrants: readonly string[], isFinal: boolean, tx: Queryable): Promise<void> {
  const layout = organiseRound([...entrants].sort(), ctx.random, ctx.rules, ctx.scoring.emissionBurnHotkey);
  await insertRound(tx, { roundId: roundId(t.tournament_id, number), tournamentId: t.tournament_id, roundNumber: number, isFinal, now: nowOf(ctx) }, layout);
  ctx.log.info({ tournament_id: t.tournament_id, round: number, kind: layout.kind, is_final: isFinal, entrants: entrants.length }, 'round created');
}

async function firstRoundStep(ctx: TournamentContext, t: TournamentRow): Promise<Date> {
  const burn = ctx.scoring.emissionBurnHotkey;
  const participants = (await getParticipants(ctx.db, t.tournament_id)).filter((p) => p.hotkey !== burn && p.eliminated_in_round_id === null);
  const withNodes = await hotkeysWithNodes(ctx.db, participants.map((p) => p.hotkey), ctx.netuid);
  const entrants = participants.map((p) => p.hotkey).filter((h) => withNodes.has(h));
  if (entrants.length === 0) {
    await finish(ctx, t, burn, [], null);
    return nowOf(ctx);
  }
  try {
    await ctx.db.transaction((tx) => createRound(ctx, t, 1, entrants, false, tx));
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
  }
  return nowOf(ctx);
}

interface Container {
  groupId: string | null;
  pairId: string | null;
  kind: 'group' | 'pair';
  members: string[];
}

async function containersOf(ctx: TournamentContext, round: RoundRow): Promise<Container[]> {
  const burn = ctx.scoring.emissionBurnHotkey;
  if (round.round_type === 'group') {
    return (await getGroups(ctx.db, round.round_id)).map((g) => ({ groupId: g.group_id, pairId: null, kind: 'group', members: g.members }));
  }
  return (await getPairs(ctx.db, round.round_id)).map((p) => {
    const members = [p.hotkey1, p.hotkey2];
    // The boss round: the champion's code plays every final task (spec §3.5 step 3).
    if (round.is_final_round && !members.includes(burn)) members.push(burn);
    return { groupId: null, pairId: p.pair_id, kind: 'pair', members };
  });
}

async function roundSetupStep(ctx: TournamentContext, t: TournamentRow, round: RoundRow): Promise<Date> {
  const containers = await containersOf(ctx, round);
  if (containers.length === 0) {
    // Cannot happen with nextRound's rules; a round without players would otherwise never activate (spec §10).
    await finish(ctx, t, ctx.scoring.emissionBurnHotkey, [], round.round_id);
    return nowOf(ctx);
  }
  const existing = await getRoundTasks(ctx.db, round.round_id);
  const filled = new Set(existing.map((x) => `${x.group_id ?? x.pair_id}#${x.slot}`));
  let created = 0;
  let complete = true;
  for (const c of containers) {
    const specs = slotSpecs(t.tournament_type, c.kind, round.is_final_round, ctx.random, ctx.rules, ctx.mix);
    for (const [slot, spec] of specs.entries()) {
      if (filled.has(`${c.groupId ?? c.pairId}#${slot}`)) continue;
      complete = false;
      if (created >= ctx.rules.taskCreationsPerPass) continue;
      try {
        const taskId = await ctx.tasks.create(spec, async (tx, id) => {
          await linkRoundTask(tx, { tournamentId: t.tournament_id, roundId: round.round_id, taskId: id, groupId: c.groupId, pairId: c.pairId, slot, now: nowOf(ctx) });
          await assignTournamentNodes(tx, t.tournament_id, id, c.members, ctx.netuid);
        });
        created++;
        ctx.log.info({ tournament_id: t.tournament_id, round_id: round.round_id, task_id: taskId, task_type: spec.taskType, slot, container: c.groupId ?? c.pairId }, 'round task created');
      } catch (err) {
        if (isUniqueViolation(err)) continue; // another worker filled the slot
        ctx.log.warn({ round_id: round.round_id, err: errorText(err) }, 'could not create a round task; retrying later');
        return later(ctx);
      }
    }
  }
  if (!complete) return created > 0 ? nowOf(ctx) : later(ctx);
  // Assign anyone missing (a node row that appeared late) and activate once every task has a player.
  const tasks = await getRoundTasks(ctx.db, round.round_id);
  const byContainer = new Map(containers.map((c) => [c.groupId ?? c.pairId, c.members]));
  for (const task of tasks) await assignTournamentNodes(ctx.db, t.tournament_id, task.task_id, byContainer.get(task.group_id ?? task.pair_id) ?? [], ctx.netuid);
  const assigned = await assignedHotkeys(ctx.db, tasks.map((x) => x.task_id), ctx.netuid);
  if (tasks.some((x) => (assigned.get(x.task_id)?.length ?? 0) === 0)) return later(ctx);
  await setRoundStatus(ctx.db, round.round_id, 'pending', 'active', nowOf(ctx));
  ctx.log.info({ tournament_id: t.tournament_id, round_id: round.round_id, tasks: tasks.length }, 'round active');
  return nowOf(ctx);
}

// ---------------------------------------------------------------- completion check (§3.7, §3.9)

/** Replaces a task that failed for reasons of its own with a fresh one of the same type and size, same slot and players. */
async function replaceTask(ctx: TournamentContext, t: TournamentRow, round: RoundRow, task: RoundTaskRow): Promise<void> {
  const spec = replacementSpec(task.task_type as TaskType, task.model_params_count, ctx.rules);
  const players = (await assignedHotkeys(ctx.db, [task.task_id], ctx.netuid)).get(task.task_id) ?? [];
  const newId = await ctx.tasks.create(spec, async (tx, id) => {
    await deleteTournamentTask(tx, task.task_id);
    await linkRoundTask(tx, { tournamentId: t.tournament_id, roundId: round.round_id, taskId: id, groupId: task.group_id, pairId: task.pair_id, slot: task.slot ?? 0, now: nowOf(ctx) });
    // Fresh expected repo names (they embed the new task id): the original copied the old names, so a stale
    // upload under the old name could be evaluated for the new task.
    await assignTournamentNodes(tx, t.tournament_id, id, players, ctx.netuid);
  });
  ctx.log.warn({ tournament_id: t.tournament_id, round_id: round.round_id, old_task_id: task.task_id, task_id: newId }, 'tournament task replaced');
}

/**
 * `check_if_round_is_completed`: every task ended; a failed task is first copied to the general network (did the
 * contestants fail, or is the task broken?) and replaced if its copy fails too; a task that failed its prep is
 * replaced at once. In the final, the general copies of all tasks must have ended as well — a copy that failed
 * its prep counts as ended (the original waited for it forever).
 */
async function roundCompleted(ctx: TournamentContext, t: TournamentRow, round: RoundRow): Promise<boolean> {
  const tasks = await getRoundTasks(ctx.db, round.round_id);
  if (tasks.length === 0) return false;
  if (tasks.some((x) => !TERMINAL_TASK.has(x.status))) return false;
  const copies = await syncedCopies(ctx.db, tasks.map((x) => x.task_id));
  if (round.is_final_round && [...copies.values()].some((c) => !COPY_ENDED.has(c.status))) return false;
  let waiting = false;
  for (const task of tasks) {
    const copy = copies.get(task.task_id);
    if (copy) {
      if (copy.status === 'success') continue;
      // A copy no miner took (failure_finding_nodes) says nothing about the task: treated as a failed copy, as the
      // original's wait for it would never end.
      if (copy.status === 'failure' || copy.status === 'prep_task_failure' || copy.status === 'failure_finding_nodes') {
        if (task.status === 'success') continue;
        await tryReplace(ctx, t, round, task);
      }
      waiting = true;
    } else if (task.status === 'failure') {
      await copyTaskToGeneral(ctx.db, task.task_id, nowOf(ctx));
      ctx.log.info({ task_id: task.task_id }, 'failed tournament task copied to the general network');
      waiting = true;
    } else if (task.status === 'prep_task_failure') {
      await tryReplace(ctx, t, round, task);
      waiting = true;
    }
  }
  return !waiting;
}

async function tryReplace(ctx: TournamentContext, t: TournamentRow, round: RoundRow, task: RoundTaskRow): Promise<void> {
  try {
    await replaceTask(ctx, t, round, task);
  } catch (err) {
    ctx.log.error({ task_id: task.task_id, err: errorText(err) }, 'could not replace a tournament task; retrying later');
  }
}

// ---------------------------------------------------------------- winners and advancing (§3.8, §3.10)

/** The round's winners by the scoring module's rules (group / knockout / boss round). */
export async function roundWinners(ctx: TournamentContext, t: TournamentRow, round: RoundRow): Promise<string[]> {
  const tasks = await getRoundTasks(ctx.db, round.round_id);
  const ids = tasks.map((x) => x.task_id);
  const scores = await taskScores(ctx.db, ids, ctx.netuid);
  const statuses = await trainingStatuses(ctx.db, ids);
  const roundTasks: RoundTask[] = tasks.map((x) => ({
    taskId: x.task_id,
    taskType: x.task_type,
    groupId: x.group_id,
    rows: (scores.get(x.task_id) ?? []).map((r) => ({ hotkey: r.hotkey, qualityScore: r.quality_score, testLoss: r.test_loss, synthLoss: r.synth_loss })),
    trainingStatus: statuses.get(x.task_id) ?? {},
  }));
  if (round.round_type === 'group') {
    const groups = Object.fromEntries((await getGroups(ctx.db, round.round_id)).map((g) => [g.group_id, g.members]));
    return groupWinners(roundTasks, groups);
  }
  const champion = t.base_winner_hotkey ?? ctx.scoring.emissionBurnHotkey;
  const history = (await completedTournaments(ctx.db, t.tournament_type)).map((c) => ({ winnerHotkey: c.winner_hotkey, baseWinnerHotkey: c.base_winner_hotkey }));
  const streak = championConsecutiveWins(champion, history, ctx.behaviour, ctx.scoring);
  return knockoutWinners({ isFinalRound: round.is_final_round, tasks: roundTasks }, streak, ctx.behaviour, ctx.scoring);
}

/**
 * `advance_tournament` after a completed round: losers and winners whose stake fell below their entry stake are
 * eliminated; the final's single winner completes the tournament once the boss-round copies on the general network
 * have ended; otherwise the winners play the next round. The champion placeholder is never eliminated: it is not
 * an entrant but the defending champion's code.
 */
async function advance(ctx: TournamentContext, t: TournamentRow, round: RoundRow): Promise<Date> {
  const burn = ctx.scoring.emissionBurnHotkey;
  const winners = [...new Set(await roundWinners(ctx, t, round))];
  const active = (await getParticipants(ctx.db, t.tournament_id)).filter((p) => p.eliminated_in_round_id === null && p.hotkey !== burn).map((p) => p.hotkey);
  const insufficient = new Set(await participantsBelowEntryStake(ctx.db, t.tournament_id, ctx.netuid, burn));
  const winnerSet = new Set(winners);
  const eliminated = active.filter((h) => !winnerSet.has(h) || insufficient.has(h));
  const remaining = winners.filter((h) => !insufficient.has(h));

  if (round.is_final_round && remaining.length > 0) {
    const winner = remaining[0]!;
    // The boss round's tasks are also run by the general network, to compare the winner with ordinary miners
    // (the performance difference behind the burn). Completion waits for those copies.
    const tasks = await getRoundTasks(ctx.db, round.round_id);
    const copies = await syncedCopies(ctx.db, tasks.map((x) => x.task_id));
    const missing = tasks.filter((x) => !copies.has(x.task_id));
    for (const task of missing) await copyTaskToGeneral(ctx.db, task.task_id, nowOf(ctx));
    if (missing.length > 0) {
      ctx.log.info({ tournament_id: t.tournament_id, copies: missing.length }, 'boss-round tasks copied to the general network');
      return later(ctx);
    }
    if ([...copies.values()].some((c) => !COPY_ENDED.has(c.status))) return later(ctx);
    const pair = (await getPairs(ctx.db, round.round_id))[0];
    const runnerUp = pair ? ([pair.hotkey1, pair.hotkey2].find((h) => h !== winner) ?? null) : null;
    await finish(ctx, t, winner, eliminated, round.round_id, runnerUp);
    return nowOf(ctx);
  }

  const next = round.is_final_round ? ({ kind: 'champion-retains' } as const) : nextRound(remaining, burn);
  if (next.kind === 'champion-retains') {
    await finish(ctx, t, burn, eliminated, round.round_id);
    return nowOf(ctx);
  }
  const rounds = await getRounds(ctx.db, t.tournament_id);
  if (rounds.some((r) => r.round_number === round.round_number + 1)) return nowOf(ctx);
  try {
    await ctx.db.transaction(async (tx) => {
      await eliminateParticipants(tx, t.tournament_id, round.round_id, eliminated);
      await createRound(ctx, t, round.round_number + 1, next.entrants, next.isFinal, tx);
    });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
  }
  return nowOf(ctx);
}

/** Completes the tournament in one transaction: eliminations, winner (placeholder on a defence), positions. */
async function finish(ctx: TournamentContext, t: TournamentRow, winner: string, eliminated: readonly string[], roundIdOrNull: string | null, runnerUp: string | null = null): Promise<void> {
  const now = nowOf(ctx);
  await ctx.db.transaction(async (tx) => {
    if (roundIdOrNull) await eliminateParticipants(tx, t.tournament_id, roundIdOrNull, eliminated.filter((h) => h !== winner));
    if (!(await completeTournament(tx, t.tournament_id, winner, now))) return;
    await setFinalPosition(tx, t.tournament_id, winner, 1);
    if (runnerUp) await setFinalPosition(tx, t.tournament_id, runnerUp, 2);
  });
  ctx.log.info({ tournament_id: t.tournament_id, winner_hotkey: winner, base_winner_hotkey: t.base_winner_hotkey, runner_up: runnerUp }, 'tournament completed');
}

// ---------------------------------------------------------------- publishing (§3.12)

/** Claims one completed tournament whose winners are not published yet and publishes them; false when none was due. */
export async function publishPass(ctx: TournamentContext): Promise<boolean> {
  const t = await claimTournament(ctx.db, {
    statuses: ['completed'],
    worker: ctx.worker,
    leaseMs: ctx.rules.lifecycleLeaseSeconds * 1000,
    now: nowOf(ctx),
    unpublished: true,
    maxPublishAttempts: ctx.rules.maxPublishAttempts,
  });
  if (!t) return false;
  let done = true;
  if (ctx.publisher) {
    const placed = (await getParticipants(ctx.db, t.tournament_id)).filter((p) => p.final_position !== null).sort((a, b) => (a.final_position ?? 0) - (b.final_position ?? 0));
    for (const p of placed) {
      if (p.backup_repo) continue;
      const repo = p.training_repo;
      if (!repo) continue;
      try {
        const out = await ctx.publisher.publish({ tournamentId: t.tournament_id, type: t.tournament_type, hotkey: p.hotkey, position: p.final_position ?? 0, repo, commit: p.training_commit_hash });
        await setBackupRepo(ctx.db, t.tournament_id, p.hotkey, out.url, out.commit);
        ctx.log.info({ tournament_id: t.tournament_id, hotkey: p.hotkey, position: p.final_position, url: out.url }, 'winner repository published');
      } catch (err) {
        done = false;
        ctx.log.warn({ tournament_id: t.tournament_id, hotkey: p.hotkey, err: errorText(err) }, 'publishing a winner repository failed');
      }
    }
  }
  const now = nowOf(ctx);
  await markPublished(ctx.db, t.tournament_id, now, done);
  await releaseTournament(ctx.db, t.tournament_id, ctx.worker, done ? now : later(ctx, ctx.rules.publishRetrySeconds));
  return true;
}
