/**
 * looking_for_nodes → ready | delayed | failure_finding_nodes, and delayed → looking_for_nodes
 * (validator.md §4.2, §7). Offers go out one at a time; every reply is stored as it arrives and every acceptance
 * becomes a task_nodes row at once, so a round interrupted by a crash resumes with what it already has and does
 * not ask the same miner twice.
 */
import type { AnyRawTask } from '../../core/models/tasks.ts';
import { NO_OFFER_RESPONSE } from '../../core/models/payloads.ts';
import { getTask } from '../../db/queries/tasks.ts';
import { offerRoundState, storeOfferResponse, type CandidateNode } from '../../db/queries/validator-nodes.ts';
import { claimFullTask, claimTask, finishTask, type TaskFilter } from '../../db/queries/validator-tasks.ts';
import { rowUrl } from '../../metagraph/convert.ts';
import { errorText, isLostClaim, isMainnet, leaseMs, now, type ValidatorContext } from '../context.ts';
import { withLease } from '../lease.ts';
import { dayStart, offerOrder } from '../offers/shuffle.ts';
import { randint } from '../rng.ts';
import { modelParamsFor, offerFor } from '../training/requests.ts';

/** The miner market never sees tournament or benchmark tasks (validator.md §4.4). */
export const MARKET_FILTER: TaskFilter = { excludeTournament: true, excludeBenchmark: true };

/** delayed → looking_for_nodes for every task whose next_delay_at has passed. */
export async function delayedPass(ctx: ValidatorContext): Promise<number> {
  let moved = 0;
  for (;;) {
    const row = await claimTask(ctx.db, { from: 'delayed', to: 'looking_for_nodes', worker: ctx.worker, leaseMs: null, now: now(ctx), ...MARKET_FILTER });
    if (!row) return moved;
    moved++;
    ctx.log.info({ task_id: row.task_id, times_delayed: row.times_delayed }, 'delay over; offering the task again');
  }
}

/** One pass: up to `maxConcurrentMinerAssignments` offer rounds, concurrently. */
export async function offersPass(ctx: ValidatorContext): Promise<number> {
  const claimed: AnyRawTask[] = [];
  for (let i = 0; i < ctx.config.validator.maxConcurrentMinerAssignments; i++) {
    const got = await claimFullTask(ctx.db, { from: 'looking_for_nodes', worker: ctx.worker, leaseMs: leaseMs(ctx), now: now(ctx), ...MARKET_FILTER });
    if (!got) break;
    claimed.push(got.task);
  }
  await Promise.all(claimed.map((task) => offerRound(ctx, String(task.task_id), task)));
  return claimed.length;
}

export interface OfferReply {
  message: string;
  accepted: boolean;
}

/** Sends one offer and normalises the answer the way the original stores it (miner-protocol-chain.md §3.2). */
export async function sendOffer(ctx: ValidatorContext, node: CandidateNode, offer: { path: string; body: Record<string, unknown> }): Promise<OfferReply> {
  const { reply, outcome } = await offerOnce(ctx, node, offer);
  ctx.metrics?.offers.inc({ task_type: String(offer.body.task_type ?? 'unknown'), outcome });
  return reply;
}

type OfferOutcome = 'accepted' | 'rejected' | 'timeout' | 'error';

async function offerOnce(ctx: ValidatorContext, node: CandidateNode, offer: { path: string; body: Record<string, unknown> }): Promise<{ reply: OfferReply; outcome: OfferOutcome }> {
  const settled = (reply: OfferReply, failed?: OfferOutcome) => ({ reply, outcome: failed ?? (reply.accepted ? 'accepted' : 'rejected') });
  const baseUrl = rowUrl(node);
  // A node that never served an axon cannot answer; the original still waits out the timeout on it (D-validator-3).
  if (!baseUrl) return settled({ message: 'Error during offer: the node serves no axon', accepted: false }, 'error');
  const result = await ctx.miners.post({
    baseUrl,
    minerHotkey: node.hotkey,
    path: offer.path,
    payload: offer.body,
    timeout: ctx.config.validator.offerTimeoutSeconds * 1000,
  });
  switch (result.kind) {
    case 'ok': {
      const body = result.body;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return settled({ ...NO_OFFER_RESPONSE }, 'error');
      const b = body as Record<string, unknown>;
      return settled({
        message: typeof b.message === 'string' && b.message !== '' ? b.message : NO_OFFER_RESPONSE.message,
        accepted: b.accepted === true,
      });
    }
    case 'http_error':
      return settled({ ...NO_OFFER_RESPONSE }, 'error');
    case 'timeout':
      return settled({ message: 'Error during offer: no answer before the timeout', accepted: false }, 'timeout');
    case 'refused':
      return settled({ message: `Error during offer: connection failed (${result.code})`, accepted: false }, 'error');
    case 'invalid_body':
      return settled({ message: `Error during offer: ${result.error}`, accepted: false }, 'error');
  }
}

/** `claimed`: the task as the claim returned it (saves reading it again); read from the database when absent. */
export async function offerRound(ctx: ValidatorContext, taskId: string, claimed?: AnyRawTask): Promise<void> {
  const log = ctx.log.child({ task_id: taskId });
  await withLease(ctx, taskId, async () => {
    const task = claimed ?? (await getTask(ctx.db, taskId));
    if (!task) return;
    let reason: string;
    try {
      const rules = ctx.config.validator;
      const at = now(ctx);
      const state = await offerRoundState(ctx.db, {
        taskId,
        netuid: ctx.netuid,
        mainnetRules: isMainnet(ctx),
        since: new Date(at.getTime() - rules.eligibleLookbackDays * 86_400_000),
        dayStart: dayStart(at),
      });
      const candidates = state.candidates;
      let accepted = state.accepted;
      const daily = new Map(state.daily.map((d) => [d.hotkey, d]));
      const ordered = offerOrder(candidates, daily, rules, ctx.random);
      const image = task.task_type === 'ImageTask';
      const target = image ? randint(ctx.random, rules.offerTargetImageMin, rules.offerTargetImageMax) : randint(ctx.random, rules.offerTargetTextMin, rules.offerTargetTextMax);
      const params = await modelParamsFor(task, ctx.hub.modelParamsCount?.bind(ctx.hub));
      const offer = offerFor(task, params, rules.fakeTextDatasetSize);
      log.info({ candidates: ordered.length, already_accepted: accepted, target }, 'offering the task to miners');
      for (const node of ordered) {
        if (accepted >= target) break;
        const reply = await sendOffer(ctx, node, offer);
        // The reply and, when accepted, the assignment: one statement, so a crash never keeps one without the other.
        await storeOfferResponse(ctx.db, taskId, node.hotkey, { ...reply }, now(ctx), reply.accepted ? ctx.netuid : null);
        if (reply.accepted) accepted++;
        log.debug({ hotkey: node.hotkey, accepted: reply.accepted, message: reply.message }, 'offer answered');
      }
      if (accepted >= rules.minimumMinerPool) {
        await finishTask(ctx.db, taskId, 'looking_for_nodes', 'ready', { worker: ctx.worker, now: now(ctx), detail: { accepted } });
        log.info({ accepted }, 'miners found; task ready');
        return;
      }
      reason = candidates.length === 0 ? 'no eligible miner' : 'no miner accepted';
    } catch (err) {
      if (isLostClaim(err)) {
        log.warn('lost the task to another worker during its offer round');
        return;
      }
      reason = `offer round failed: ${errorText(err)}`;
    }
    try {
      await delayOrFail(ctx, task, reason);
    } catch (err) {
      if (isLostClaim(err)) log.warn('lost the task to another worker during its offer round');
      else throw err;
    }
  });
}

/**
 * No miner: an organic task is delayed (next_delay_at + 15 min, up to `maxDelayTimes` times), anything else
 * fails. The delay counts from max(previous next_delay_at, now), so a long prep does not make the first delays
 * elapse at once (D-validator-2).
 */
export async function delayOrFail(ctx: ValidatorContext, task: AnyRawTask, reason: string): Promise<void> {
  const rules = ctx.config.validator;
  const at = now(ctx);
  const taskId = String(task.task_id);
  const timesDelayed = task.times_delayed ?? 0;
  if (task.is_organic && timesDelayed < rules.maxDelayTimes) {
    const previous = task.next_delay_at ? Date.parse(task.next_delay_at) : at.getTime();
    const next = new Date(Math.max(previous, at.getTime()) + rules.taskDelaySeconds * 1000);
    await finishTask(ctx.db, taskId, 'looking_for_nodes', 'delayed', {
      worker: ctx.worker,
      now: at,
      nextAttemptAt: next,
      set: { times_delayed: timesDelayed + 1, next_delay_at: next },
      detail: { reason, times_delayed: timesDelayed + 1 },
    });
    ctx.log.info({ task_id: taskId, reason, times_delayed: timesDelayed + 1, next_delay_at: next.toISOString() }, 'no miner for the task; delayed');
    return;
  }
  await finishTask(ctx.db, taskId, 'looking_for_nodes', 'failure_finding_nodes', { worker: ctx.worker, now: at, detail: { reason, times_delayed: timesDelayed } });
  ctx.log.warn({ task_id: taskId, reason, organic: task.is_organic }, 'no miner for the task; failed');
}
