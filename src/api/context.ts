/**
 * What every router of the API shares: the database, time, configuration, limits and the optional ports
 * (reward-function validation, upload storage), plus the access rules between accounts.
 */
import { z } from 'zod';
import type { ApiKeyPrincipal } from '../auth/service.ts';
import type { Clock } from '../clock/index.ts';
import type { Config } from '../config/schema.ts';
import type { AnyTask } from '../core/models/tasks.ts';
import type { ApiRules } from '../core/rules/api.ts';
import { loadTaskBatch } from '../db/queries/api-tasks.ts';
import type { Db } from '../db/types.ts';
import { HttpError } from '../http/errors.ts';
import type { Logger } from '../log/index.ts';
import type { EventBus } from './events-bus.ts';

/** Trial-runs a reward function before it is stored (src/sandbox `Sandbox` satisfies this). */
export interface RewardFunctionValidator {
  validateRewardFunction(code: string): Promise<{ valid: boolean; error: string | null; name: string | null }>;
}

/** Where customer uploads go (the validator's blob store port satisfies this). */
export interface UploadStore {
  put(key: string, body: Uint8Array, contentType?: string): Promise<unknown>;
  /** A URL anyone holding it may GET until it expires. */
  signedUrl(key: string, expiresInSeconds: number): Promise<string>;
}

export interface ApiContext {
  db: Db;
  config: Config;
  clock: Clock;
  log: Logger;
  rules: ApiRules;
  netuid: number;
  bus: EventBus;
  rewards?: RewardFunctionValidator;
  uploads?: UploadStore;
}

export function now(ctx: Pick<ApiContext, 'clock'>): Date {
  return new Date(ctx.clock.now());
}

export function isAdmin(p: ApiKeyPrincipal): boolean {
  return p.scopes.includes('admin');
}

/** Customers act for their own account only; admin keys (the operator's frontend) for any. */
export function assertActsFor(p: ApiKeyPrincipal, accountId: string): void {
  if (!isAdmin(p) && p.accountId.toLowerCase() !== accountId.toLowerCase()) {
    throw new HttpError(403, `This API key belongs to account ${p.accountId} and cannot act for account ${accountId}`);
  }
}

/**
 * The task if this caller may see it. A customer asking for another account's task gets the same 404 as for a
 * task that does not exist, so ids of other accounts cannot be probed.
 */
export async function taskForCaller(ctx: ApiContext, p: ApiKeyPrincipal, taskId: string): Promise<AnyTask> {
  return (await taskViewForCaller(ctx, p, taskId)).task;
}

/** `taskForCaller` plus whether the task is in a tournament that has not completed (its data stays hidden). */
export async function taskViewForCaller(ctx: ApiContext, p: ApiKeyPrincipal, taskId: string): Promise<{ task: AnyTask; inOpenTournament: boolean }> {
  const { tasks, inOpenTournament } = await loadTaskBatch(ctx.db, [taskId]);
  const task = tasks[0];
  if (!task || (!isAdmin(p) && task.account_id.toLowerCase() !== p.accountId.toLowerCase())) {
    throw new HttpError(404, 'Task not found.');
  }
  return { task, inOpenTournament: inOpenTournament.has(task.task_id as string) };
}

/** `limit` / `page` as the original takes them, bounded; `offset` (ours) overrides `page`. */
export function pageQuery(rules: ApiRules) {
  return z.object({
    limit: z.coerce.number().int().min(1).max(rules.maxPageSize).default(rules.defaultPageSize),
    page: z.coerce.number().int().min(1).max(1_000_000).default(1),
    offset: z.coerce.number().int().min(0).max(100_000_000).optional(),
  });
}

export function toPage(q: { limit: number; page: number; offset?: number | undefined }): { limit: number; offset: number } {
  return { limit: q.limit, offset: q.offset ?? (q.page - 1) * q.limit };
}

export const taskIdParams = z.object({ task_id: z.guid() });
