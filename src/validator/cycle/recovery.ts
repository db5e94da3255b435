/**
 * Time-driven transitions: training → preevaluation once the deadline has passed (validator.md §4.2,
 * `move_tasks_to_preevaluation_loop`), and the crash repair — a task left in preparing_data or evaluating whose
 * claim ran out goes back to pending / preevaluation (the original does this once at start-up; here it is a sweep,
 * so it also covers a worker that hung).
 */
import { claimTask, releaseAllClaims } from '../../db/queries/validator-tasks.ts';
import { now, type ValidatorContext } from '../context.ts';
import { MARKET_FILTER } from './offers.ts';

/** Every training task whose termination_at has passed moves to preevaluation. */
export async function preevaluationPass(ctx: ValidatorContext): Promise<number> {
  let moved = 0;
  for (;;) {
    const row = await claimTask(ctx.db, { from: 'training', to: 'preevaluation', worker: ctx.worker, leaseMs: null, now: now(ctx), ...MARKET_FILTER });
    if (!row) return moved;
    moved++;
    ctx.log.info({ task_id: row.task_id }, 'training time is over; task waits for evaluation');
  }
}

/** Interrupted preps and evaluations whose claim has run out start again from the previous status. */
export async function recoveryPass(ctx: ValidatorContext): Promise<number> {
  let moved = 0;
  for (;;) {
    // Benchmark roots live in preparing_data as templates; nothing prepares them.
    const row = await claimTask(ctx.db, { from: 'preparing_data', to: 'pending', worker: ctx.worker, leaseMs: null, now: now(ctx), excludeBenchmarkRoots: true, detail: { recovery: true } });
    if (!row) break;
    moved++;
    ctx.log.warn({ task_id: row.task_id }, 'prep was interrupted; task is pending again');
  }
  for (;;) {
    const row = await claimTask(ctx.db, { from: 'evaluating', to: 'preevaluation', worker: ctx.worker, leaseMs: null, now: now(ctx), detail: { recovery: true } });
    if (!row) break;
    moved++;
    ctx.log.warn({ task_id: row.task_id }, 'evaluation was interrupted; task waits for evaluation again');
  }
  return moved;
}

/** Start-up: release the claims a previous run held (single validator per database), then repair at once. */
export async function startupRecovery(ctx: ValidatorContext): Promise<{ released: number; repaired: number }> {
  const released = ctx.config.validator.recoverClaimsOnStart ? await releaseAllClaims(ctx.db, now(ctx)) : 0;
  const repaired = await recoveryPass(ctx);
  if (released + repaired > 0) ctx.log.info({ released, repaired }, 'resumed from the database');
  return { released, repaired };
}
