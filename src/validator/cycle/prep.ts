/**
 * pending → preparing_data → looking_for_nodes | prep_task_failure (validator.md §4.2, §5). The claim moves the
 * task to preparing_data in one statement; the outcome (data URLs, standard field names, status, event) is one
 * statement. A crash in between leaves the task in preparing_data under a lease; recovery sends it back to
 * pending (cycle/recovery.ts).
 */
import type { AnyRawTask } from '../../core/models/tasks.ts';
import { getTask } from '../../db/queries/tasks.ts';
import { claimFullTask, finishTask, grpoRewardFunctionsRemoval, subtypeUpdate } from '../../db/queries/validator-tasks.ts';
import { errorText, isLostClaim, leaseMs, now, type ValidatorContext } from '../context.ts';
import { withLease } from '../lease.ts';
import { prepareImageTask } from '../prep/image.ts';
import { prepareTextTask, type PrepOutcome } from '../prep/text.ts';

/** One pass: claims up to `maxConcurrentTaskPreps` pending tasks and preps them concurrently. */
export async function prepPass(ctx: ValidatorContext): Promise<number> {
  const claimed: AnyRawTask[] = [];
  for (let i = 0; i < ctx.config.validator.maxConcurrentTaskPreps; i++) {
    const got = await claimFullTask(ctx.db, {
      from: 'pending',
      to: 'preparing_data',
      worker: ctx.worker,
      leaseMs: leaseMs(ctx),
      now: now(ctx),
      excludeBenchmark: true,
    });
    if (!got) break;
    claimed.push(got.task);
  }
  await Promise.all(claimed.map((task) => prepOne(ctx, String(task.task_id), task)));
  return claimed.length;
}

/** `claimed`: the task as the claim returned it (saves reading it again); read from the database when absent. */
export async function prepOne(ctx: ValidatorContext, taskId: string, claimed?: AnyRawTask): Promise<void> {
  const log = ctx.log.child({ task_id: taskId });
  await withLease(ctx, taskId, async () => {
    let outcome: PrepOutcome | undefined;
    let failure: string | undefined;
    const task = claimed ?? (await getTask(ctx.db, taskId));
    if (!task) return;
    try {
      log.info({ task_type: task.task_type, ds: task.ds }, 'preparing task data');
      outcome = task.task_type === 'ImageTask' ? await prepareImageTask(task, ctx) : await prepareTextTask(task, ctx);
    } catch (err) {
      failure = errorText(err);
    }
    try {
      if (outcome) {
        const o = outcome;
        // Status, data URLs, standard field names and dropped reward functions: one statement.
        await finishTask(ctx.db, taskId, 'preparing_data', 'looking_for_nodes', {
          worker: ctx.worker,
          now: now(ctx),
          set: { training_data: o.trainingData, test_data: o.testData, ...(o.ds ? { ds: o.ds } : {}) },
          detail: { train_rows: o.trainRows, test_rows: o.testRows, synth_rows: o.synthRows, files: o.keys },
          writes: [subtypeUpdate(task.task_type, o.subtype), grpoRewardFunctionsRemoval(o.droppedRewardIds)].filter((w) => w !== null),
        });
        log.info({ train_rows: o.trainRows, test_rows: o.testRows, synth_rows: o.synthRows }, 'task data ready; looking for miners');
      } else {
        await finishTask(ctx.db, taskId, 'preparing_data', 'prep_task_failure', { worker: ctx.worker, now: now(ctx), detail: { error: failure } });
        log.warn({ err: failure }, 'task prep failed');
      }
    } catch (err) {
      if (isLostClaim(err)) log.warn('lost the task to another worker before prep finished; its result is discarded');
      else throw err;
    }
  });
}
