/**
 * Keeps a claim alive while slow work runs (a prep that downloads gigabytes, a long offer round, an evaluation):
 * the lease is renewed every third of its length. If a renewal finds the claim gone (another worker took the
 * task after a stall), `lost` is set and the work's final transition will fail and roll back.
 */
import { renewTaskClaim } from '../db/queries/tasks.ts';
import { errorText, leaseMs, type ValidatorContext } from './context.ts';

export interface LeaseHandle {
  readonly lost: boolean;
}

export async function withLease<T>(
  ctx: ValidatorContext,
  taskId: string,
  fn: (lease: LeaseHandle) => Promise<T>,
): Promise<T> {
  const ms = leaseMs(ctx);
  const state = { lost: false, stopped: false };
  let timer: { cancel(): void } | undefined;
  const arm = (): void => {
    timer = ctx.clock.setTimer(ms / 3, () => {
      if (state.stopped) return;
      renewTaskClaim(ctx.db, taskId, ctx.worker, { leaseMs: ms, now: new Date(ctx.clock.now()) })
        .then((held) => {
          if (!held) {
            state.lost = true;
            ctx.log.warn({ task_id: taskId }, 'lost the claim on a task while working on it');
          } else if (!state.stopped) arm();
        })
        .catch((err: unknown) => {
          ctx.log.warn({ task_id: taskId, err: errorText(err) }, 'could not renew a task claim; retrying');
          if (!state.stopped) arm();
        });
    });
  };
  arm();
  try {
    return await fn(state);
  } finally {
    state.stopped = true;
    timer?.cancel();
  }
}
