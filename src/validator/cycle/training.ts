/**
 * ready → training (validator.md §4.2, §8): each assigned miner gets its own fresh expected_repo_name (stored
 * before the call, reused if the start is retried after a crash) and a start-training request; replies are
 * logged and ignored, as in the original. The task's deadline is hours_to_complete from the transition, and the
 * task becomes due for the preevaluation mover exactly then.
 */
import type { AnyRawTask } from '../../core/models/tasks.ts';
import { getTask } from '../../db/queries/tasks.ts';
import { assignedNodes, ensureExpectedRepoNames } from '../../db/queries/validator-nodes.ts';
import { claimFullTask, finishTask } from '../../db/queries/validator-tasks.ts';
import { rowUrl } from '../../metagraph/convert.ts';
import { isLostClaim, leaseMs, now, type ValidatorContext } from '../context.ts';
import { withLease } from '../lease.ts';
import { uuid4 } from '../rng.ts';
import { trainRequestFor } from '../training/requests.ts';
import { MARKET_FILTER } from './offers.ts';

export async function trainingPass(ctx: ValidatorContext): Promise<number> {
  const claimed: AnyRawTask[] = [];
  for (let i = 0; i < ctx.config.validator.maxConcurrentTrainings; i++) {
    const got = await claimFullTask(ctx.db, { from: 'ready', worker: ctx.worker, leaseMs: leaseMs(ctx), now: now(ctx), ...MARKET_FILTER });
    if (!got) break;
    claimed.push(got.task);
  }
  await Promise.all(claimed.map((task) => startTraining(ctx, String(task.task_id), task)));
  return claimed.length;
}

/** `claimed`: the task as the claim returned it (saves reading it again); read from the database when absent. */
export async function startTraining(ctx: ValidatorContext, taskId: string, claimed?: AnyRawTask): Promise<void> {
  const log = ctx.log.child({ task_id: taskId });
  await withLease(ctx, taskId, async () => {
    const task = claimed ?? (await getTask(ctx.db, taskId));
    if (!task) return;
    const nodes = await assignedNodes(ctx.db, taskId, ctx.netuid);
    // A hotkey that left the metagraph (or serves no axon) is skipped silently, as in the original (and again at
    // evaluation).
    const targets = nodes.flatMap((n) => {
      const baseUrl = n.ip !== null && n.ip_type !== null && n.port !== null ? rowUrl({ ip: n.ip, ip_type: n.ip_type, port: n.port }) : null;
      return baseUrl ? [{ hotkey: n.hotkey, baseUrl }] : [];
    });
    // Every name is stored before the first request goes out (one statement), so a miner is never told a name
    // that a crash could lose.
    const names = await ensureExpectedRepoNames(ctx.db, taskId, ctx.netuid, new Map(targets.map((t) => [t.hotkey, uuid4(ctx.random)])));
    let sent = 0;
    for (const { hotkey, baseUrl } of targets) {
      const name = names.get(hotkey);
      if (name === undefined) continue;
      const request = trainRequestFor(task, name);
      const result = await ctx.miners.post({
        baseUrl,
        minerHotkey: hotkey,
        path: request.path,
        payload: request.body,
        timeout: ctx.config.validator.startTrainingTimeoutSeconds * 1000,
      });
      sent++;
      log.info({ hotkey, expected_repo_name: name, reply: result.kind, status: 'status' in result ? result.status : undefined }, 'start-training sent');
    }
    const started = now(ctx);
    const termination = new Date(started.getTime() + task.hours_to_complete * 3_600_000);
    try {
      await finishTask(ctx.db, taskId, 'ready', 'training', {
        worker: ctx.worker,
        now: started,
        nextAttemptAt: termination,
        set: { started_at: started, termination_at: termination },
        detail: { miners: nodes.length, sent },
      });
      log.info({ miners: nodes.length, termination_at: termination.toISOString() }, 'training started');
    } catch (err) {
      if (isLostClaim(err)) log.warn('lost the task to another worker while starting training');
      else throw err;
    }
  });
}
