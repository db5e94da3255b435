/**
 * The same API over PostgreSQL (TEST_DATABASE_URL, as `.ci/run` sets it): the main flows once, so SQL that only
 * PGlite accepts (or only PostgreSQL rejects) shows up. Without the variable this file reports NOT RUN.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseUrl } from '../../src/db/testing.ts';
import { setTaskStatus } from '../../src/db/queries/tasks.ts';
import { saveRewardFunction } from '../../src/sandbox/store.ts';
import { WebhookDispatcher } from '../../src/api/index.ts';
import { client, imagePairs, instructBody, json, seedNode, seedResult, seedTask, startHarness, type Harness } from './harness.ts';

const url = testDatabaseUrl();

if (!url) {
  describe('API on PostgreSQL', () => {
    it.skip('NOT RUN: TEST_DATABASE_URL is not set', () => {});
  });
} else {
  describe('API on PostgreSQL', () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness({ rules: { eventPollMs: 30 } }, 'postgres');
    });
    afterAll(async () => {
      await h?.close();
    });

    it('creates every type, lists, details, events, results, leaderboard, auditing and webhooks', async () => {
      const alice = client(h.base, h.customer.key);
      const ids: string[] = [];
      const create = async (path: string, body: unknown) => {
        const res = await alice.post(path, body);
        expect(res.status, path).toBe(200);
        ids.push((await json(res)).task_id);
      };
      await create('/v1/tasks/create', instructBody(h.customer.accountId));
      await create('/v1/tasks/create_chat', { account_id: h.customer.accountId, model_repo: 'm', ds_repo: 'd', chat_template: 'chatml', hours_to_complete: 1 });
      await create('/v1/tasks/create_dpo', { account_id: h.customer.accountId, model_repo: 'm', ds_repo: 'd', field_prompt: 'p', field_chosen: 'c', field_rejected: 'r', hours_to_complete: 1 });
      const rewardId = await saveRewardFunction(h.db, { code: 'def one(completions, **kwargs):\n    return [1.0] * len(completions)\n', isManual: true });
      await create('/v1/tasks/create_grpo', { account_id: h.customer.accountId, model_repo: 'm', ds_repo: 'd', field_prompt: 'p', reward_functions: [{ reward_id: rewardId, reward_weight: 1 }], hours_to_complete: 1 });
      await create('/v1/tasks/create_image', { account_id: h.customer.accountId, model_repo: 'm', image_text_pairs: imagePairs(10), hours_to_complete: 1 });
      const list = await json<{ id: string }[]>(await alice.get(`/v1/tasks/account/${h.customer.accountId}`));
      expect(list.map((t) => t.id).sort()).toEqual([...ids].sort());
      for (const id of ids) expect((await alice.get(`/v1/tasks/${id}`)).status).toBe(200);

      const dispatcher = new WebhookDispatcher(h.api.context, async () => new Response('ok'));
      await dispatcher.tick();
      await alice.post('/v1/webhooks', { url: 'http://127.0.0.1:9/hook' });

      const done = await seedTask(h.db, h.customer.accountId, 'evaluating', { model_id: 'org/Model-7B' });
      await seedNode(h.db, 'hk-pg', 1);
      await seedResult(h.db, done, 'hk-pg', { quality: 2, test: Number.NaN, repo: 'pg/model' });
      await setTaskStatus(h.db, done, 'success', { actor: 'test' });
      const events = await json(await alice.get(`/v1/tasks/${done}/events`));
      expect(events.events.map((e: { event_type: string }) => e.event_type)).toEqual(['created', 'evaluation_result', 'status_changed']);
      expect(events.events[1].detail.test_loss).toBeNull();
      expect(await json(await alice.get(`/v1/tasks/${done}/result`))).toMatchObject({ succeeded: true, trained_model_repository: 'pg/model' });
      const board = await json(await alice.get('/v1/leaderboard'));
      expect(board[0].stats.daily.workload_metrics.total_params_billions).toBe(7);
      const audit = await json(await fetch(`${h.base}/auditing/tasks/${done}`));
      expect(audit.hotkey_details[0]).toMatchObject({ hotkey: 'hk-pg', rank: 1, test_loss: null });
      expect((await json(await fetch(`${h.base}/auditing/tasks?limit=2`))).length).toBe(2);
      expect(await dispatcher.tick()).toEqual({ queued: 1, attempted: 1 });
      expect((await alice.post(`/v1/tasks/${ids[0]}/cancel`)).status).toBe(200);
      expect((await alice.get('/v1/network/detailed_status')).status).toBe(200);
      expect((await alice.get('/v1/tasks/organic/completed?search_model_name=my%20alpaca')).status).toBe(200);
    });
  });
}
