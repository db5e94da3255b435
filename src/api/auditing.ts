/**
 * Public auditing routes (miner-protocol-chain.md §9; validator.md §10.1): what auditors and the re-evaluation
 * tool read. No key, as in the original; data stays hidden while a task runs. `limit` is bounded here (the
 * original's is not, validator.md §13.17e).
 */
import { z } from 'zod';
import { latestScoresUrl } from '../db/queries/validator-weights.ts';
import {
  hotkeyDetailsFor,
  listAuditTaskIds,
  listAuditTaskIdsForHotkey,
  loadTaskBatch,
} from '../db/queries/api-tasks.ts';
import type { AnyTask } from '../core/models/tasks.ts';
import { HttpError } from '../http/errors.ts';
import { route, type RouteDefinition } from '../http/route.ts';
import { pageQuery, toPage, type ApiContext } from './context.ts';
import { auditTaskSchema, auditTaskWithHotkeysSchema, hideWhileInFlight } from './views.ts';

const TAGS = ['auditing'];

/** The tasks, in-flight data hidden (and that of tasks in an open tournament). */
async function hidden(ctx: ApiContext, ids: readonly string[]): Promise<AnyTask[]> {
  const { tasks, inOpenTournament } = await loadTaskBatch(ctx.db, ids);
  return tasks.map((t) => hideWhileInFlight(t, inOpenTournament.has(t.task_id as string)));
}

export function auditingRoutes(ctx: ApiContext): RouteDefinition[] {
  const page = pageQuery(ctx.rules);
  return [
    route({
      method: 'GET',
      url: '/auditing/tasks',
      query: page,
      response: z.array(auditTaskSchema),
      tags: TAGS,
      summary: 'Recent tasks with every stored field (tournament and benchmark tasks left out)',
      handler: async ({ query }) => hidden(ctx, await listAuditTaskIds(ctx.db, toPage(query))),
    }),
    route({
      method: 'GET',
      url: '/auditing/tasks/hotkey/{hotkey}',
      params: z.object({ hotkey: z.string().min(1).max(100) }),
      query: page,
      response: z.array(auditTaskWithHotkeysSchema),
      tags: TAGS,
      summary: "Tasks a miner submitted to, each with that miner's score, losses, rank, repo and offer answer",
      handler: async ({ params, query }) => {
        const ids = await listAuditTaskIdsForHotkey(ctx.db, params.hotkey, toPage(query));
        const tasks = await hidden(ctx, ids);
        const details = await hotkeyDetailsFor(ctx.db, ids, params.hotkey);
        return tasks.map((t) => ({ ...t, hotkey_details: details.get(t.task_id as string) ?? [] }));
      },
    }),
    route({
      method: 'GET',
      url: '/auditing/tasks/{task_id}',
      params: z.object({ task_id: z.string().min(1).max(100) }),
      response: auditTaskWithHotkeysSchema,
      tags: TAGS,
      summary: "One task with every assigned miner's outcome (what the re-evaluation tool reads)",
      handler: async ({ params }) => {
        const [task] = await hidden(ctx, [params.task_id]);
        if (!task) throw new HttpError(404, 'Task not found');
        const details = await hotkeyDetailsFor(ctx.db, [task.task_id as string]);
        return { ...task, hotkey_details: details.get(task.task_id as string) ?? [] };
      },
    }),
    route({
      method: 'GET',
      url: '/auditing/scores-url',
      response: z.object({ url: z.string() }),
      tags: TAGS,
      summary: 'URL of the scores file behind the latest weight setting; 400 when there is none yet',
      handler: async () => {
        const url = await latestScoresUrl(ctx.db);
        if (url === null) throw new HttpError(400, 'No scores url found... sorry :/');
        return { url };
      },
    }),
  ];
}
