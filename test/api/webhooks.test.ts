import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock/index.ts';
import { setTaskStatus } from '../../src/db/queries/tasks.ts';
import { SIGNATURE_HEADER, verifyWebhookSignature, WebhookDispatcher } from '../../src/api/index.ts';
import { client, json, seedResult, seedTask, startHarness, type Harness } from './harness.ts';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let h: Harness;
let receiver: Server;
let receiverUrl: string;
const received: Received[] = [];
/** Status codes the receiver answers with, in order; 200 once used up. */
let script: number[] = [];
/** Delivery times are the API's clock: the test moves it instead of sleeping. */
const clock = new ManualClock(Date.now());

beforeAll(async () => {
  h = await startHarness({ clock, rules: { webhookBackoffMs: 5000, webhookMaxBackoffMs: 60_000, webhookMaxAttempts: 3, webhookTimeoutMs: 2000 } });
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body });
      res.statusCode = script.shift() ?? 200;
      res.end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  const addr = receiver.address();
  receiverUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});
afterAll(async () => {
  await h?.close();
  await new Promise((r) => receiver?.close(r));
});


describe('completion webhooks', () => {
  it('signs each delivery, retries failures with backoff and records every attempt', async () => {
    const alice = client(h.base, h.customer.key);
    const bob = client(h.base, h.other.key);
    const dispatcher = new WebhookDispatcher(h.api.context);
    await dispatcher.tick(); // first start: the cursor begins at the end of the log

    const created = await alice.post('/v1/webhooks', { url: `${receiverUrl}/alice` });
    expect(created.status).toBe(201);
    const hook = await json(created);
    expect(hook.secret).toMatch(/^whsec_/);
    await bob.post('/v1/webhooks', { url: `${receiverUrl}/bob` });
    expect((await json(await alice.get('/v1/webhooks'))).map((w: { id: string }) => w.id)).toEqual([hook.id]);

    const id = await seedTask(h.db, h.customer.accountId, 'evaluating');
    await seedResult(h.db, id, 'hk-w', { quality: 2, repo: 'w/model' });
    script = [500];
    await setTaskStatus(h.db, id, 'success', { actor: 'test' });

    expect(await dispatcher.tick()).toEqual({ queued: 1, attempted: 1 });
    expect(received).toHaveLength(1);
    let deliveries = await json(await alice.get(`/v1/webhooks/${hook.id}/deliveries`));
    expect(deliveries).toEqual([expect.objectContaining({ task_id: id, status: 'pending', attempts: 1, last_status_code: 500, last_error: 'HTTP 500' })]);

    expect(await dispatcher.tick()).toEqual({ queued: 0, attempted: 0 }); // the retry is not due yet
    await clock.advance(4000);
    expect((await dispatcher.tick()).attempted).toBe(0);
    await clock.advance(1000);
    expect((await dispatcher.tick()).attempted).toBe(1);
    expect(received).toHaveLength(2);
    deliveries = await json(await alice.get(`/v1/webhooks/${hook.id}/deliveries`));
    expect(deliveries[0]).toMatchObject({ status: 'delivered', attempts: 2, last_status_code: 200, last_error: null });

    const last = received[1] as Received;
    expect(last.path).toBe('/alice');
    const signature = String(last.headers[SIGNATURE_HEADER]);
    const at = Math.floor(clock.now() / 1000);
    expect(verifyWebhookSignature(hook.secret, last.body, signature, at)).toBe(true);
    expect(verifyWebhookSignature(hook.secret, last.body, signature, at + 3600)).toBe(false);
    expect(verifyWebhookSignature(hook.secret, last.body.replace('success', 'failure'), signature, at)).toBe(false);
    expect(verifyWebhookSignature('whsec_wrong', last.body, signature, at)).toBe(false);
    const payload = JSON.parse(last.body);
    expect(payload).toMatchObject({
      type: 'task.finished', task_id: id, status: 'success',
      task: { id, status: 'success', trained_model_repository: 'w/model' },
      result: { succeeded: true, trained_model_repository: 'w/model', winner: { hotkey: 'hk-w', quality_score: 2 } },
    });
    expect(last.headers['x-god-event-id']).toBe(String(payload.event_id));
    // Bob's webhook hears nothing of Alice's task.
    expect(received.some((r) => r.path === '/bob')).toBe(false);
  });

  it('gives up after the last attempt, and a deleted webhook gets nothing more', async () => {
    const carol = client(h.base, h.admin.key);
    const dispatcher = new WebhookDispatcher(h.api.context);
    const hook = await json(await carol.post('/v1/webhooks', { url: `${receiverUrl}/ops` }));
    const id = await seedTask(h.db, h.admin.accountId, 'training');
    script = [503, 503, 503];
    await setTaskStatus(h.db, id, 'preevaluation', { actor: 'test' });
    await setTaskStatus(h.db, id, 'evaluating', { actor: 'test' });
    await setTaskStatus(h.db, id, 'failure', { actor: 'test' });
    // Attempts at 0 s, +5 s and +10 s (5 s doubled); then no more.
    for (const wait of [5000, 10_000, 60_000]) {
      await dispatcher.tick();
      await clock.advance(wait);
    }
    expect((await dispatcher.tick()).attempted).toBe(0);
    const [d] = await json(await carol.get(`/v1/webhooks/${hook.id}/deliveries`));
    expect(d).toMatchObject({ status: 'failed', attempts: 3, last_status_code: 503, next_attempt_at: null });

    expect((await carol.del(`/v1/webhooks/${hook.id}`)).status).toBe(200);
    expect((await carol.get(`/v1/webhooks/${hook.id}/deliveries`)).status).toBe(404);
    const before = received.length;
    const id2 = await seedTask(h.db, h.admin.accountId, 'evaluating');
    await setTaskStatus(h.db, id2, 'success', { actor: 'test' });
    await dispatcher.tick();
    expect(received.length).toBe(before);
  });

  it('refuses non-http URLs and other accounts\' webhooks', async () => {
    const alice = client(h.base, h.customer.key);
    const bad = await alice.post('/v1/webhooks', { url: 'ftp://example.org/x' });
    expect(bad.status).toBe(422);
    expect((await json(bad)).detail[0]).toMatchObject({ loc: ['body', 'url'] });
    const hooks = await json(await client(h.base, h.other.key).get('/v1/webhooks'));
    expect((await alice.get(`/v1/webhooks/${hooks[0].id}/deliveries`)).status).toBe(404);
    expect((await alice.del(`/v1/webhooks/${hooks[0].id}`)).status).toBe(404);
  });
});
