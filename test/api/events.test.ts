import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTaskStatus } from '../../src/db/queries/tasks.ts';
import type { TaskStatus } from '../../src/core/enums.ts';
import { ProgressPoller } from '../../src/api/index.ts';
import { client, json, seedNode, seedResult, seedTask, startHarness, type Harness } from './harness.ts';

let h: Harness;
let alice: ReturnType<typeof client>;

beforeAll(async () => {
  h = await startHarness({ rules: { eventPollMs: 30, sseHeartbeatMs: 200 } });
  alice = client(h.base, h.customer.key);
});
afterAll(async () => {
  await h?.close();
});

const PATH: TaskStatus[] = ['preparing_data', 'looking_for_nodes', 'ready', 'training', 'preevaluation', 'evaluating'];

async function walk(taskId: string, to: TaskStatus[]): Promise<void> {
  for (const s of to) await setTaskStatus(h.db, taskId, s, { actor: 'test' });
}

interface SseBlock {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** Reads an event stream until it closes (or `maxMs`), returning its blocks. */
async function readStream(res: Response, onBlock: (b: SseBlock) => void | Promise<void>, maxMs = 20_000): Promise<SseBlock[]> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const blocks: SseBlock[] = [];
  let buffer = '';
  const deadline = Date.now() + maxMs;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const raw = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const block: SseBlock = {};
      for (const line of raw.split('\n')) {
        if (line.startsWith(':')) block.comment = line.slice(1).trim();
        else {
          const [k, ...rest] = line.split(':');
          (block as Record<string, string>)[k as string] = rest.join(':').trimStart();
        }
      }
      blocks.push(block);
      await onBlock(block);
    }
  }
  await reader.cancel().catch(() => {});
  return blocks;
}

describe('task event log', () => {
  it('polling returns created, every status change and per-miner evaluation results in order, from a cursor', async () => {
    const created = await json(await alice.post('/v1/tasks/create_dpo', {
      account_id: h.customer.accountId, model_repo: 'm', ds_repo: 'd', field_prompt: 'p', field_chosen: 'c', field_rejected: 'r', hours_to_complete: 1,
    }));
    const id = created.task_id as string;
    await walk(id, PATH);
    await seedResult(h.db, id, 'hk-1', { quality: 2, test: 0.3, synth: 0.4, repo: 'r/1' });
    await seedResult(h.db, id, 'hk-2', { quality: Number.NaN });
    await setTaskStatus(h.db, id, 'success', { actor: 'test' });

    const all = await json(await alice.get(`/v1/tasks/${id}/events`));
    expect(all.finished).toBe(true);
    const kinds = all.events.map((e: { event_type: string; to_status: string | null; detail: { hotkey?: string } }) =>
      e.event_type === 'status_changed' ? e.to_status : e.event_type === 'evaluation_result' ? `result:${e.detail.hotkey}` : e.event_type);
    expect(kinds).toEqual(['created', ...PATH, 'result:hk-1', 'result:hk-2', 'success']);
    const ids = all.events.map((e: { id: number }) => e.id);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(all.events[7].detail).toEqual({ hotkey: 'hk-1', quality_score: 2, test_loss: 0.3, synth_loss: 0.4, score_reason: null });
    expect(all.events[8].detail.quality_score).toBeNull();

    const tail = await json(await alice.get(`/v1/tasks/${id}/events?after=${ids[6]}&limit=2`));
    expect(tail.events.map((e: { id: number }) => e.id)).toEqual(ids.slice(7, 9));
    expect(tail.next_after).toBe(ids[8]);
    const none = await json(await alice.get(`/v1/tasks/${id}/events?after=${ids[ids.length - 1]}`));
    expect(none).toEqual({ events: [], next_after: ids[ids.length - 1], finished: true });
    expect((await client(h.base, h.other.key).get(`/v1/tasks/${id}/events`)).status).toBe(404);
    expect((await alice.get(`/v1/tasks/${id}/events?after=-1`)).status).toBe(422);
  });

  it('the SSE stream delivers backlog then live events in order and ends when the task finishes', async () => {
    const id = await seedTask(h.db, h.customer.accountId, 'pending');
    const res = await alice.get(`/v1/tasks/${id}/events/stream`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    let started = false;
    const blocks = await readStream(res, async (b) => {
      if (!started && b.event === 'created') {
        started = true;
        // Live part: the pipeline moves the task on while the client listens.
        setTimeout(() => {
          void (async () => {
            await walk(id, PATH);
            await seedResult(h.db, id, 'hk-live', { quality: 1 });
            await setTaskStatus(h.db, id, 'success', { actor: 'test' });
          })();
        }, 50);
      }
    });
    const events = blocks.filter((b) => b.data !== undefined && b.event !== 'end');
    const parsed = events.map((b) => JSON.parse(b.data as string) as { id: number; event_type: string; to_status: string | null });
    expect(parsed.map((e) => (e.event_type === 'status_changed' ? e.to_status : e.event_type))).toEqual(['created', ...PATH, 'evaluation_result', 'success']);
    expect(events.map((b) => Number(b.id))).toEqual(parsed.map((e) => e.id));
    expect(parsed.map((e) => e.id)).toEqual([...parsed.map((e) => e.id)].sort((a, b) => a - b));
    expect(blocks[blocks.length - 1]?.event).toBe('end');
    expect(h.api.context.bus.size).toBe(0);

    // Reconnecting with Last-Event-ID replays only what came after it, then ends (the task is over).
    const resume = await alice.get(`/v1/tasks/${id}/events/stream`, { 'last-event-id': String(parsed[5]!.id) });
    const again = (await readStream(resume, () => {})).filter((b) => b.data !== undefined && b.event !== 'end');
    expect(again.map((b) => Number(b.id))).toEqual(parsed.slice(6).map((e) => e.id));
  });

  it('an idle stream gets keep-alive comments, and closing the client unsubscribes it', async () => {
    const id = await seedTask(h.db, h.customer.accountId, 'training');
    const controller = new AbortController();
    const res = await fetch(`${h.base}/v1/tasks/${id}/events/stream`, { headers: { authorization: `Bearer ${h.customer.key}` }, signal: controller.signal });
    let comments = 0;
    await readStream(res, (b) => {
      if (b.comment === 'keep-alive' && ++comments === 2) controller.abort();
    }, 5000).catch(() => {});
    expect(comments).toBe(2);
    for (let i = 0; i < 50 && h.api.context.bus.size > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(h.api.context.bus.size).toBe(0);
  });

  it('training progress: one event per miner whenever its answer changes', async () => {
    const id = await seedTask(h.db, h.customer.accountId, 'training');
    await seedNode(h.db, 'hk-p1', 11);
    await seedNode(h.db, 'hk-p2', 12);
    await h.db.query(`INSERT INTO task_nodes (task_id, hotkey, netuid) VALUES ($1, 'hk-p1', 56), ($1, 'hk-p2', 56)`, [id]);
    let step = 10;
    const poller = new ProgressPoller(h.api.context, async (node) =>
      node.hotkey === 'hk-p1' ? { status: 'running', step, total_steps: 100, loss: { value: 1.5 } } : null, 60_000);
    expect(await poller.tick()).toBe(1);
    expect(await poller.tick()).toBe(0);
    step = 20;
    expect(await poller.tick()).toBe(1);
    const { events } = await json(await alice.get(`/v1/tasks/${id}/events`));
    const progress = events.filter((e: { event_type: string }) => e.event_type === 'training_progress');
    expect(progress.map((e: { detail: { step: number; hotkey: string } }) => [e.detail.hotkey, e.detail.step])).toEqual([['hk-p1', 10], ['hk-p1', 20]]);
  });
});
