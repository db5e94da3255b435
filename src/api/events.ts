/**
 * The task event log (ours; the original has none): status changes, per-miner training progress and evaluation
 * results, read by polling (`GET /v1/tasks/{id}/events?after=`) or as a server-sent event stream.
 *
 * Stream format: one `id:` / `event:` / `data:` block per event (`data` is the same JSON object the poll returns),
 * a `: keep-alive` comment when idle, and a final `event: end` once the task has finished. A client that
 * reconnects with `Last-Event-ID` (or `?after=`) gets what it missed.
 */
import { z } from 'zod';
import type { StoredTaskStatus } from '../core/enums.ts';
import { isTerminalTaskStatus } from '../core/task-status.ts';
import { taskEventsAfter, type EventRow } from '../db/queries/api-events.ts';
import { getTaskRow } from '../db/queries/tasks.ts';
import { HttpError } from '../http/errors.ts';
import { route, type RouteDefinition } from '../http/route.ts';
import { taskForCaller, taskIdParams, type ApiContext } from './context.ts';

const TAGS = ['events'];

export const taskEventSchema = z.object({
  id: z.number().int(),
  task_id: z.string(),
  event_type: z.string(),
  from_status: z.string().nullable(),
  to_status: z.string().nullable(),
  actor: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()),
  created_at: z.string(),
});
export type TaskEvent = z.infer<typeof taskEventSchema>;

export function toWire(e: EventRow): TaskEvent {
  return {
    id: e.id,
    task_id: e.task_id,
    event_type: e.event_type,
    from_status: e.from_status,
    to_status: e.to_status,
    actor: e.actor,
    detail: e.detail ?? {},
    created_at: e.created_at instanceof Date ? e.created_at.toISOString() : String(e.created_at),
  };
}

function endsTask(e: EventRow): boolean {
  return e.event_type === 'status_changed' && e.to_status !== null && isTerminalTaskStatus(e.to_status as StoredTaskStatus);
}

function sseBlock(e: EventRow): string {
  return `id: ${e.id}\nevent: ${e.event_type}\ndata: ${JSON.stringify(toWire(e))}\n\n`;
}

/** `after` from the query, else the standard `Last-Event-ID` header, else 0. */
function cursorOf(query: { after?: number | undefined }, header: string | string[] | undefined): number {
  if (query.after !== undefined) return query.after;
  const raw = Array.isArray(header) ? header[0] : header;
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

export function eventRoutes(ctx: ApiContext, streams: Set<() => void>): RouteDefinition[] {
  const afterQuery = z.object({
    after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional().describe('return events with a larger id'),
    limit: z.coerce.number().int().min(1).max(ctx.rules.maxEventsPerPage).default(ctx.rules.maxEventsPerPage),
  });

  return [
    route({
      method: 'GET',
      url: '/v1/tasks/{task_id}/events',
      auth: 'customer',
      params: taskIdParams,
      query: afterQuery,
      response: z.object({ events: z.array(taskEventSchema), next_after: z.number().int(), finished: z.boolean() }),
      tags: TAGS,
      summary: "The task's events after a cursor, oldest first; poll again with after=next_after",
      handler: async ({ params, query, auth }) => {
        const task = await taskForCaller(ctx, auth, params.task_id);
        const after = query.after ?? 0;
        const rows = await taskEventsAfter(ctx.db, params.task_id, after, query.limit);
        return {
          events: rows.map(toWire),
          next_after: rows.length > 0 ? (rows[rows.length - 1] as EventRow).id : after,
          finished: isTerminalTaskStatus(task.status as StoredTaskStatus),
        };
      },
    }),
    route({
      method: 'GET',
      url: '/v1/tasks/{task_id}/events/stream',
      auth: 'customer',
      params: taskIdParams,
      query: afterQuery.pick({ after: true }),
      responseContentType: 'text/event-stream',
      tags: TAGS,
      summary: "Live stream (server-sent events) of the task's events; ends with `event: end` when the task finishes",
      handler: async ({ params, query, auth, request, reply }) => {
        const task = await taskForCaller(ctx, auth, params.task_id);
        let cursor = cursorOf(query, request.headers['last-event-id']);
        const backlog: EventRow[] = [];
        for (;;) {
          const page = await taskEventsAfter(ctx.db, params.task_id, cursor, ctx.rules.maxEventsPerPage);
          backlog.push(...page);
          if (page.length < ctx.rules.maxEventsPerPage) break;
          cursor = (page[page.length - 1] as EventRow).id;
        }
        if (request.raw.destroyed) throw new HttpError(499, 'client went away');

        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        let open = true;
        let unsubscribe: () => void = () => {};
        const heartbeat = setInterval(() => open && res.write(': keep-alive\n\n'), ctx.rules.sseHeartbeatMs);
        heartbeat.unref();
        const finish = () => {
          if (!open) return;
          open = false;
          clearInterval(heartbeat);
          unsubscribe();
          streams.delete(finish);
          res.end();
        };
        streams.add(finish);
        request.raw.on('close', finish);

        const send = (events: EventRow[]) => {
          if (!open) return;
          let ended = false;
          for (const e of events) {
            res.write(sseBlock(e));
            ended ||= endsTask(e);
          }
          if (ended) {
            res.write('event: end\ndata: {}\n\n');
            finish();
          }
        };
        res.write(`retry: 2000\n\n`);
        send(backlog);
        if (!open) return reply;
        // Already over, and its last status event was before the client's cursor: nothing more will come.
        const current = await getTaskRow(ctx.db, task.task_id as string);
        if (current && isTerminalTaskStatus(current.status as StoredTaskStatus)) {
          const late = await taskEventsAfter(ctx.db, params.task_id, Math.max(cursor, ...backlog.map((e) => e.id)), ctx.rules.maxEventsPerPage);
          send(late);
          if (open) {
            res.write('event: end\ndata: {}\n\n');
            finish();
          }
          return reply;
        }
        const from = query.after ?? cursorOf({}, request.headers['last-event-id']);
        unsubscribe = ctx.bus.subscribe(params.task_id, from, backlog.map((e) => e.id), send);
        return reply;
      },
    }),
  ];
}
