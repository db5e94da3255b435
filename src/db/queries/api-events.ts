/**
 * The task event log as the API reads it (`task_events`, append-only): status changes written by every status
 * update, `evaluation_result` rows written by the task_nodes trigger (migration 0006), and what the API and the
 * progress poller append (`training_progress`, `cancelled`).
 */
import type { Queryable } from '../types.ts';
import { isUuid } from './api-tasks.ts';

export interface EventRow {
  id: number;
  task_id: string;
  event_type: string;
  from_status: string | null;
  to_status: string | null;
  actor: string | null;
  detail: Record<string, unknown>;
  created_at: Date;
}

const COLUMNS = 'id::int8 AS id, task_id::text AS task_id, event_type, from_status, to_status, actor, detail, created_at';

function normalise(row: EventRow): EventRow {
  // int8 may come back as a string from pg; ids stay far below 2^53.
  return { ...row, id: Number(row.id) };
}

/** A task's events with id > `after`, oldest first. */
export async function taskEventsAfter(q: Queryable, taskId: string, after: number, limit: number): Promise<EventRow[]> {
  if (!isUuid(taskId)) return [];
  const { rows } = await q.query<EventRow>(
    `SELECT ${COLUMNS} FROM task_events WHERE task_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
    [taskId, after, limit],
  );
  return rows.map(normalise);
}

/** Every event with id > `after`, oldest first (the live bus and the webhook dispatcher read this). */
export async function eventsAfter(q: Queryable, after: number, limit: number, types?: readonly string[]): Promise<EventRow[]> {
  const { rows } = await q.query<EventRow>(
    `SELECT ${COLUMNS} FROM task_events WHERE id > $1 AND ($3::text[] IS NULL OR event_type = ANY($3::text[])) ORDER BY id LIMIT $2`,
    [after, limit, types ? [...types] : null],
  );
  return rows.map(normalise);
}

export async function maxEventId(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ m: string | number | null }>('SELECT max(id) AS m FROM task_events');
  return Number(rows[0]?.m ?? 0);
}

export interface NewEvent {
  taskId: string;
  type: string;
  actor?: string | null;
  detail?: Record<string, unknown>;
  fromStatus?: string | null;
  toStatus?: string | null;
  now: Date;
}

export async function appendTaskEvent(q: Queryable, e: NewEvent): Promise<EventRow> {
  const { rows } = await q.query<EventRow>(
    `INSERT INTO task_events (task_id, event_type, from_status, to_status, actor, detail, created_at)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7) RETURNING ${COLUMNS}`,
    [e.taskId, e.type, e.fromStatus ?? null, e.toStatus ?? null, e.actor ?? null, JSON.stringify(e.detail ?? {}), e.now],
  );
  const row = rows[0];
  if (!row) throw new Error('appendTaskEvent: nothing returned');
  return normalise(row);
}

/** The latest `training_progress` detail per hotkey of a task (the poller writes only changes). */
export async function latestProgress(q: Queryable, taskId: string): Promise<Map<string, Record<string, unknown>>> {
  const { rows } = await q.query<{ hotkey: string; detail: Record<string, unknown> }>(
    `SELECT DISTINCT ON (detail->>'hotkey') detail->>'hotkey' AS hotkey, detail FROM task_events
      WHERE task_id = $1 AND event_type = 'training_progress' ORDER BY detail->>'hotkey', id DESC`,
    [taskId],
  );
  return new Map(rows.map((r) => [r.hotkey, r.detail]));
}

/** Named cursor (api_cursors). */
export async function readCursor(q: Queryable, name: string): Promise<number | null> {
  const { rows } = await q.query<{ value: string | number }>('SELECT value FROM api_cursors WHERE name = $1', [name]);
  return rows[0] ? Number(rows[0].value) : null;
}

export async function writeCursor(q: Queryable, name: string, value: number): Promise<void> {
  await q.query(
    `INSERT INTO api_cursors (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = GREATEST(api_cursors.value, EXCLUDED.value)`,
    [name, value],
  );
}
