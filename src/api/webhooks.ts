/**
 * Completion webhooks (ours): an account registers URLs; when one of its tasks finishes (success, failure,
 * prep_task_failure, failure_finding_nodes — cancellation included) every URL gets one POST with the task's
 * details and result, signed with the webhook's secret:
 *
 *   X-God-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *
 * Failed deliveries (non-2xx, timeout, refused connection) are retried with exponential backoff; every attempt
 * is recorded and readable at GET /v1/webhooks/{id}/deliveries.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Timer } from '../clock/index.ts';
import type { StoredTaskStatus } from '../core/enums.ts';
import { isTerminalTaskStatus } from '../core/task-status.ts';
import { eventsAfter, maxEventId, readCursor, writeCursor, type EventRow } from '../db/queries/api-events.ts';
import { loadTask } from '../db/queries/api-tasks.ts';
import {
  claimDueDeliveries,
  countActiveWebhooks,
  createWebhook,
  disableWebhook,
  getWebhook,
  listDeliveries,
  listWebhooks,
  queueDeliveries,
  recordAttempt,
  type ClaimedDelivery,
  type DeliveryRow,
  type WebhookRow,
} from '../db/queries/api-webhooks.ts';
import { HttpError } from '../http/errors.ts';
import { route, type RouteDefinition } from '../http/route.ts';
import type { ApiKeyPrincipal } from '../auth/service.ts';
import { isAdmin, now, pageQuery, toPage, type ApiContext } from './context.ts';
import { outcomeOf } from './tasks.ts';
import { hideWhileInFlight, toTaskDetails } from './views.ts';

const TAGS = ['webhooks'];
const CURSOR = 'webhooks.events';
export const SIGNATURE_HEADER = 'x-god-signature';

/** `t=<unix>,v1=<hex>` over `<t>.<body>`. */
export function signWebhook(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/** Checks a signature header against the raw body (for receivers; tests use it). */
export function verifyWebhookSignature(secret: string, body: string, header: string, nowSeconds: number, toleranceSeconds = 300): boolean {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isSafeInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  return signWebhook(secret, body, t) === header;
}

const webhookUrl = z
  .string()
  .max(2000)
  .refine((u) => {
    try {
      const p = new URL(u).protocol;
      return p === 'http:' || p === 'https:';
    } catch {
      return false;
    }
  }, 'must be an http(s) URL');

const webhookSchema = z.object({ id: z.string(), url: z.string(), created_at: z.string(), account_id: z.string() });
const deliverySchema = z.object({
  id: z.number().int(),
  event_id: z.number().int(),
  task_id: z.string(),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int(),
  next_attempt_at: z.string().nullable(),
  last_status_code: z.number().int().nullable(),
  last_error: z.string().nullable(),
  created_at: z.string(),
  delivered_at: z.string().nullable(),
});

function webhookView(w: WebhookRow) {
  return { id: w.id, url: w.url, created_at: w.created_at.toISOString(), account_id: w.account_id };
}

function deliveryView(d: DeliveryRow): z.infer<typeof deliverySchema> {
  return {
    id: d.id,
    event_id: d.event_id,
    task_id: d.task_id,
    status: d.status,
    attempts: d.attempts,
    next_attempt_at: d.status === 'pending' ? d.next_attempt_at.toISOString() : null,
    last_status_code: d.last_status_code,
    last_error: d.last_error,
    created_at: d.created_at.toISOString(),
    delivered_at: d.delivered_at ? d.delivered_at.toISOString() : null,
  };
}

async function ownWebhook(ctx: ApiContext, auth: ApiKeyPrincipal, id: string): Promise<WebhookRow> {
  const w = await getWebhook(ctx.db, id);
  if (!w || w.disabled_at !== null || (!isAdmin(auth) && w.account_id.toLowerCase() !== auth.accountId.toLowerCase())) {
    throw new HttpError(404, 'Webhook not found');
  }
  return w;
}

export function webhookRoutes(ctx: ApiContext): RouteDefinition[] {
  const idParams = z.object({ webhook_id: z.guid() });
  return [
    route({
      method: 'POST',
      url: '/v1/webhooks',
      auth: 'customer',
      body: z.object({ url: webhookUrl }),
      response: webhookSchema.extend({ secret: z.string() }),
      status: 201,
      tags: TAGS,
      summary: "Register a URL to be called when one of this account's tasks finishes (the secret is shown only now)",
      handler: async ({ body, auth }) => {
        if ((await countActiveWebhooks(ctx.db, auth.accountId)) >= ctx.rules.maxWebhooksPerAccount) {
          throw new HttpError(409, `An account may register at most ${ctx.rules.maxWebhooksPerAccount} webhooks`);
        }
        const secret = `whsec_${randomBytes(32).toString('base64url')}`;
        const w = await createWebhook(ctx.db, { accountId: auth.accountId, url: body.url, secret, now: now(ctx) });
        return { ...webhookView(w), secret };
      },
    }),
    route({
      method: 'GET',
      url: '/v1/webhooks',
      auth: 'customer',
      response: z.array(webhookSchema),
      tags: TAGS,
      summary: "This account's webhooks",
      handler: async ({ auth }) => (await listWebhooks(ctx.db, auth.accountId)).map(webhookView),
    }),
    route({
      method: 'DELETE',
      url: '/v1/webhooks/{webhook_id}',
      auth: 'customer',
      params: idParams,
      response: z.object({ id: z.string(), deleted: z.boolean() }),
      tags: TAGS,
      summary: 'Stop calling a webhook (its delivery record is kept)',
      handler: async ({ params, auth }) => {
        await ownWebhook(ctx, auth, params.webhook_id);
        await disableWebhook(ctx.db, params.webhook_id, now(ctx));
        return { id: params.webhook_id, deleted: true };
      },
    }),
    route({
      method: 'GET',
      url: '/v1/webhooks/{webhook_id}/deliveries',
      auth: 'customer',
      params: idParams,
      query: pageQuery(ctx.rules),
      response: z.array(deliverySchema),
      tags: TAGS,
      summary: 'Deliveries of a webhook, newest first, with attempts and the last answer',
      handler: async ({ params, query, auth }) => {
        await ownWebhook(ctx, auth, params.webhook_id);
        const page = toPage(query);
        return (await listDeliveries(ctx.db, params.webhook_id, page.limit, page.offset)).map(deliveryView);
      },
    }),
  ];
}

/** Delay before retry number `attempt` (1-based): backoff × 2^(attempt−1), capped. */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

/**
 * Finds finished tasks in the event log, queues their deliveries and sends what is due. Runs on the clock;
 * `tick()` does one round (tests call it directly).
 */
export class WebhookDispatcher {
  private timer: Timer | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(
    private readonly ctx: ApiContext,
    private readonly send: typeof fetch = fetch,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    await this.running;
  }

  private schedule(): void {
    if (this.stopped || this.timer) return;
    this.timer = this.ctx.clock.setTimer(this.ctx.rules.webhookPollMs, () => {
      this.timer = undefined;
      this.running = this.tick()
        .catch((err: unknown) => this.ctx.log.warn({ err }, 'webhook round failed'))
        .finally(() => {
          this.running = undefined;
          this.schedule();
        });
    });
  }

  async tick(): Promise<{ queued: number; attempted: number }> {
    const queued = await this.scan();
    const attempted = await this.deliverDue();
    return { queued, attempted };
  }

  /** Queues deliveries for terminal status events after the cursor (re-reading a window behind it). */
  async scan(): Promise<number> {
    const db = this.ctx.db;
    let cursor = await readCursor(db, CURSOR);
    if (cursor === null) {
      // First start: completions from before webhooks existed are not announced.
      await writeCursor(db, CURSOR, await maxEventId(db));
      return 0;
    }
    let queued = 0;
    for (;;) {
      const events = await eventsAfter(db, Math.max(0, cursor - this.ctx.rules.eventLookback), 500, ['status_changed']);
      for (const e of events.filter((ev) => ev.to_status !== null && isTerminalTaskStatus(ev.to_status as StoredTaskStatus))) {
        queued += await this.queue(e);
      }
      const last = events[events.length - 1];
      if (!last || last.id <= cursor) break;
      cursor = last.id;
      await writeCursor(db, CURSOR, cursor);
      if (events.length < 500) break;
    }
    return queued;
  }

  private async queue(e: EventRow): Promise<number> {
    const task = await loadTask(this.ctx.db, e.task_id);
    if (!task) return 0;
    const payload = {
      type: 'task.finished',
      event_id: e.id,
      task_id: e.task_id,
      status: e.to_status,
      occurred_at: e.created_at.toISOString(),
      task: toTaskDetails(hideWhileInFlight(task)),
      result: await outcomeOf(this.ctx, task),
    };
    return queueDeliveries(this.ctx.db, { eventId: e.id, taskId: e.task_id, payload, now: now(this.ctx) });
  }

  async deliverDue(): Promise<number> {
    const at = now(this.ctx);
    const due = await claimDueDeliveries(this.ctx.db, at, this.ctx.rules.webhookTimeoutMs * 2, 20);
    await Promise.all(due.map((d) => this.deliver(d)));
    return due.length;
  }

  private async deliver(d: ClaimedDelivery): Promise<void> {
    const body = JSON.stringify(d.payload);
    const sentAt = now(this.ctx);
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      const res = await this.send(d.url, {
        method: 'POST',
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.ctx.rules.webhookTimeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'god-webhooks/1',
          [SIGNATURE_HEADER]: signWebhook(d.secret, body, Math.floor(sentAt.getTime() / 1000)),
          'x-god-event-id': String(d.event_id),
          'x-god-delivery-id': String(d.id),
        },
      });
      statusCode = res.status;
      await res.body?.cancel();
      if (res.status < 200 || res.status >= 300) error = `HTTP ${res.status}`;
    } catch (err) {
      error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
    const attempt = d.attempts + 1;
    const ok = error === null;
    const retryAt =
      ok || attempt >= this.ctx.rules.webhookMaxAttempts
        ? null
        : new Date(now(this.ctx).getTime() + retryDelayMs(attempt, this.ctx.rules.webhookBackoffMs, this.ctx.rules.webhookMaxBackoffMs));
    await recordAttempt(this.ctx.db, d.id, { ok, statusCode, error, now: now(this.ctx), retryAt });
    if (!ok) this.ctx.log.info({ delivery: d.id, attempt, error }, retryAt ? 'webhook delivery failed; will retry' : 'webhook delivery failed for good');
  }
}
