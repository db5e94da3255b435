/**
 * Customer webhooks and their deliveries (migration 0006). Deliveries are queued once per (webhook, event) and
 * claimed with SKIP LOCKED, so several API processes can share the dispatching.
 */
import type { Queryable } from '../types.ts';
import { isUuid } from './api-tasks.ts';

export interface WebhookRow {
  id: string;
  account_id: string;
  url: string;
  secret: string;
  created_at: Date;
  after_event_id: number;
  disabled_at: Date | null;
}

const WEBHOOK_COLUMNS = 'id::text AS id, account_id::text AS account_id, url, secret, created_at, after_event_id::int8 AS after_event_id, disabled_at';

function webhook(row: WebhookRow): WebhookRow {
  return { ...row, after_event_id: Number(row.after_event_id) };
}

export async function createWebhook(
  q: Queryable,
  w: { accountId: string; url: string; secret: string; now: Date },
): Promise<WebhookRow> {
  const { rows } = await q.query<WebhookRow>(
    `INSERT INTO api_webhooks (account_id, url, secret, created_at, after_event_id)
     VALUES ($1, $2, $3, $4, COALESCE((SELECT max(id) FROM task_events), 0)) RETURNING ${WEBHOOK_COLUMNS}`,
    [w.accountId, w.url, w.secret, w.now],
  );
  return webhook(rows[0] as WebhookRow);
}

export async function countActiveWebhooks(q: Queryable, accountId: string): Promise<number> {
  const { rows } = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM api_webhooks WHERE account_id = $1 AND disabled_at IS NULL', [accountId]);
  return rows[0]?.n ?? 0;
}

/** Active webhooks, of one account or (accountId null) of all. */
export async function listWebhooks(q: Queryable, accountId: string | null): Promise<WebhookRow[]> {
  const { rows } = await q.query<WebhookRow>(
    `SELECT ${WEBHOOK_COLUMNS} FROM api_webhooks WHERE disabled_at IS NULL AND ($1::uuid IS NULL OR account_id = $1) ORDER BY created_at, id`,
    [accountId],
  );
  return rows.map(webhook);
}

export async function getWebhook(q: Queryable, id: string): Promise<WebhookRow | null> {
  if (!isUuid(id)) return null;
  const { rows } = await q.query<WebhookRow>(`SELECT ${WEBHOOK_COLUMNS} FROM api_webhooks WHERE id = $1`, [id]);
  return rows[0] ? webhook(rows[0]) : null;
}

/** Disables the webhook (its deliveries stay on record); false when it was not active. */
export async function disableWebhook(q: Queryable, id: string, now: Date): Promise<boolean> {
  if (!isUuid(id)) return false;
  const res = await q.query('UPDATE api_webhooks SET disabled_at = $2 WHERE id = $1 AND disabled_at IS NULL', [id, now]);
  return res.rowCount === 1;
}

export interface DeliveryRow {
  id: number;
  webhook_id: string;
  event_id: number;
  task_id: string;
  payload: Record<string, unknown>;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: Date;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
}

const DELIVERY_COLUMNS = `id::int8 AS id, webhook_id::text AS webhook_id, event_id::int8 AS event_id, task_id::text AS task_id, payload,
  status, attempts, next_attempt_at, last_status_code, last_error, created_at, delivered_at`;

function delivery(row: DeliveryRow): DeliveryRow {
  return { ...row, id: Number(row.id), event_id: Number(row.event_id) };
}

/**
 * Queues one delivery per active webhook of the task's account that was registered before the event. Returns
 * how many were queued (0 when already queued).
 */
export async function queueDeliveries(
  q: Queryable,
  e: { eventId: number; taskId: string; payload: Record<string, unknown>; now: Date },
): Promise<number> {
  const res = await q.query(
    `INSERT INTO api_webhook_deliveries (webhook_id, event_id, task_id, payload, next_attempt_at, created_at)
     SELECT w.id, $1, $2, $3::jsonb, $4, $4 FROM api_webhooks w JOIN tasks t ON t.account_id = w.account_id
      WHERE t.task_id = $2 AND w.disabled_at IS NULL AND w.after_event_id < $1
     ON CONFLICT (webhook_id, event_id) DO NOTHING`,
    [e.eventId, e.taskId, JSON.stringify(e.payload), e.now],
  );
  return res.rowCount;
}

export interface ClaimedDelivery extends DeliveryRow {
  url: string;
  secret: string;
}

/** Claims up to `limit` due deliveries for `leaseMs` (another dispatcher skips them meanwhile). */
export async function claimDueDeliveries(q: Queryable, now: Date, leaseMs: number, limit: number): Promise<ClaimedDelivery[]> {
  const { rows } = await q.query<ClaimedDelivery>(
    `WITH due AS (
       SELECT d.id FROM api_webhook_deliveries d
        WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND (d.claimed_until IS NULL OR d.claimed_until <= $1)
        ORDER BY d.next_attempt_at, d.id LIMIT $3 FOR UPDATE SKIP LOCKED)
     UPDATE api_webhook_deliveries d SET claimed_until = $2 FROM due, api_webhooks w
      WHERE d.id = due.id AND w.id = d.webhook_id
     RETURNING d.id::int8 AS id, d.webhook_id::text AS webhook_id, d.event_id::int8 AS event_id, d.task_id::text AS task_id, d.payload,
               d.status, d.attempts, d.next_attempt_at, d.last_status_code, d.last_error, d.created_at, d.delivered_at, w.url, w.secret`,
    [now, new Date(now.getTime() + leaseMs), limit],
  );
  return rows.map((r) => ({ ...delivery(r), url: r.url, secret: r.secret }));
}

/** Records one attempt: delivered, retried at `retryAt`, or failed for good (retryAt null). */
export async function recordAttempt(
  q: Queryable,
  id: number,
  outcome: { ok: boolean; statusCode: number | null; error: string | null; now: Date; retryAt: Date | null },
): Promise<void> {
  const status = outcome.ok ? 'delivered' : outcome.retryAt ? 'pending' : 'failed';
  await q.query(
    `UPDATE api_webhook_deliveries
        SET attempts = attempts + 1, status = $2, last_status_code = $3, last_error = $4, claimed_until = NULL,
            delivered_at = CASE WHEN $2 = 'delivered' THEN $5::timestamptz ELSE delivered_at END,
            next_attempt_at = COALESCE($6::timestamptz, next_attempt_at)
      WHERE id = $1`,
    [id, status, outcome.statusCode, outcome.error, outcome.now, outcome.retryAt],
  );
}

export async function listDeliveries(q: Queryable, webhookId: string, limit: number, offset: number): Promise<DeliveryRow[]> {
  if (!isUuid(webhookId)) return [];
  const { rows } = await q.query<DeliveryRow>(
    `SELECT ${DELIVERY_COLUMNS} FROM api_webhook_deliveries WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3`,
    [webhookId, limit, offset],
  );
  return rows.map(delivery);
}
