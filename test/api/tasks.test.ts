import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveRewardFunction } from '../../src/sandbox/store.ts';
import { client, imagePairs, instructBody, json, seedResult, seedTask, startHarness, type Harness } from './harness.ts';

let h: Harness;
let alice: ReturnType<typeof client>;
let bob: ReturnType<typeof client>;
let admin: ReturnType<typeof client>;

beforeAll(async () => {
  h = await startHarness();
  alice = client(h.base, h.customer.key);
  bob = client(h.base, h.other.key);
  admin = client(h.base, h.admin.key);
});
afterAll(async () => {
  await h?.close();
});

async function createOk(path: string, body: unknown, who = alice): Promise<string> {
  const res = await who.post(path, body);
  const out = await json(res);
  expect(res.status, JSON.stringify(out)).toBe(200);
  expect(out).toMatchObject({ success: true, account_id: h.customer.accountId });
  expect(typeof out.task_id).toBe('string');
  expect(Date.parse(out.created_at)).not.toBeNaN();
  return out.task_id as string;
}

describe('task creation for every type', () => {
  it('instruct: stored as pending with the request fields, termination = created + hours', async () => {
    const id = await createOk('/v1/tasks/create', instructBody(h.customer.accountId, { field_system: '  ', field_input: ' input ' }));
    const { rows } = await h.db.query<{ status: string; hours_to_complete: number; created_at: Date; termination_at: Date; field_input: string; field_system: string | null; file_format: string }>(
      'SELECT t.status, t.hours_to_complete, t.created_at, t.termination_at, i.field_input, i.field_system, i.file_format FROM tasks t JOIN instruct_text_tasks i USING (task_id) WHERE task_id = $1',
      [id],
    );
    expect(rows[0]).toMatchObject({ status: 'pending', hours_to_complete: 3, field_input: 'input', field_system: null, file_format: 'hf' });
    expect(rows[0]!.termination_at.getTime() - rows[0]!.created_at.getTime()).toBe(3 * 3_600_000);
    const events = await h.db.query('SELECT event_type, to_status FROM task_events WHERE task_id = $1', [id]);
    expect(events.rows).toEqual([{ event_type: 'created', to_status: 'pending' }]);
  });

  it('chat, DPO and image', async () => {
    const chat = await createOk('/v1/tasks/create_chat', {
      account_id: h.customer.accountId, model_repo: 'm/chat', ds_repo: 'd/chat', chat_template: 'chatml', chat_column: ' ', hours_to_complete: 1,
    });
    const chatRow = await h.db.query('SELECT chat_template, chat_column, chat_role_field FROM chat_tasks WHERE task_id = $1', [chat]);
    expect(chatRow.rows[0]).toEqual({ chat_template: 'chatml', chat_column: null, chat_role_field: null });

    const dpo = await createOk('/v1/tasks/create_dpo', {
      account_id: h.customer.accountId, model_repo: 'm/dpo', ds_repo: 'd/dpo', field_prompt: 'prompt', field_chosen: 'chosen', field_rejected: 'rejected',
      prompt_format: '{prompt}', hours_to_complete: 2,
    });
    const dpoRow = await h.db.query('SELECT field_prompt, prompt_format, chosen_format FROM dpo_tasks WHERE task_id = $1', [dpo]);
    expect(dpoRow.rows[0]).toEqual({ field_prompt: 'prompt', prompt_format: '{prompt}', chosen_format: null });

    const image = await createOk('/v1/tasks/create_image', {
      account_id: h.customer.accountId, model_repo: 'stabilityai/sdxl', model_type: 'flux', image_text_pairs: imagePairs(10), hours_to_complete: 1,
    });
    const pairs = await h.db.query<{ image_url: string }>('SELECT image_url FROM image_text_pairs WHERE task_id = $1 ORDER BY id', [image]);
    expect(pairs.rows.map((r) => r.image_url)).toEqual(imagePairs(10).map((p) => p.image_url));
    const imgRow = await h.db.query<{ model_type: string; ds: string }>('SELECT model_type, ds FROM image_tasks JOIN tasks USING (task_id) WHERE task_id = $1', [image]);
    expect(imgRow.rows[0]?.model_type).toBe('flux');
    expect(imgRow.rows[0]?.ds).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('image pairs outside 10..50 are a 422 on image_text_pairs', async () => {
    const res = await alice.post('/v1/tasks/create_image', { account_id: h.customer.accountId, model_repo: 'x', image_text_pairs: imagePairs(9), hours_to_complete: 1 });
    expect(res.status).toBe(422);
    expect((await json(res)).detail[0]).toMatchObject({ type: 'too_short', loc: ['body', 'image_text_pairs'] });
  });

  it('GRPO references stored functions by id with per-task weights; an unknown id is 400, not 500', async () => {
    const code = 'def length_reward(completions, **kwargs):\n    """Longer is better."""\n    return [len(c) for c in completions]\n';
    const rewardId = await saveRewardFunction(h.db, { code, isManual: true });
    const id = await createOk('/v1/tasks/create_grpo', {
      account_id: h.customer.accountId, model_repo: 'm/grpo', ds_repo: 'trl-lib/tldr', field_prompt: 'prompt',
      reward_functions: [{ reward_id: rewardId, reward_weight: 0.7 }], hours_to_complete: 4,
    });
    const details = await json(await alice.get(`/v1/tasks/${id}`));
    expect(details.reward_functions).toEqual([expect.objectContaining({ reward_id: rewardId, reward_func: code, reward_weight: 0.7 })]);

    for (const unknown of ['8a4e3f0c-5d1b-4c2a-9e7f-0123456789ab', 'not-a-uuid']) {
      const res = await alice.post('/v1/tasks/create_grpo', {
        account_id: h.customer.accountId, model_repo: 'm', ds_repo: 'd', field_prompt: 'p', reward_functions: [{ reward_id: unknown, reward_weight: 1 }], hours_to_complete: 1,
      });
      expect(res.status).toBe(400);
      expect(await json(res)).toEqual({ detail: `Reward function with ID ${unknown} not found` });
    }
    const empty = await alice.post('/v1/tasks/create_grpo', { account_id: h.customer.accountId, model_repo: 'm', ds_repo: 'd', field_prompt: 'p', reward_functions: [], hours_to_complete: 1 });
    expect(empty.status).toBe(422);
    expect((await json(empty)).detail[0].loc).toEqual(['body', 'reward_functions']);
  });

  it('custom-dataset variants store the given URLs, ds "custom" and the s3 format', async () => {
    const text = await createOk('/v1/tasks/create_custom_dataset_text', {
      ...instructBody(h.customer.accountId), ds_repo: undefined, training_data: 'https://u.example/train.json', test_data: 'https://u.example/test.json',
    });
    const chat = await createOk('/v1/tasks/create_custom_dataset_chat', {
      account_id: h.customer.accountId, model_repo: 'm', chat_template: 'chatml', training_data: 'https://u.example/chat.json', hours_to_complete: 1,
    });
    const dpo = await createOk('/v1/tasks/create_custom_dataset_dpo', {
      account_id: h.customer.accountId, model_repo: 'm', field_prompt: 'p', field_chosen: 'c', field_rejected: 'r', training_data: 'https://u.example/dpo.json', hours_to_complete: 1,
    });
    const rewardId = await saveRewardFunction(h.db, { code: 'def one(completions, **kwargs):\n    return [1.0] * len(completions)\n', isManual: true });
    const grpo = await createOk('/v1/tasks/create_custom_dataset_grpo', {
      account_id: h.customer.accountId, model_repo: 'm', field_prompt: 'p', training_data: 'https://u.example/grpo.json', hours_to_complete: 1,
      reward_functions: [{ reward_id: rewardId, reward_weight: 1 }],
    });
    const { rows } = await h.db.query<{ task_id: string; ds: string; training_data: string; test_data: string | null; task_type: string }>(
      'SELECT task_id::text AS task_id, ds, training_data, test_data, task_type::text AS task_type FROM tasks WHERE task_id = ANY($1::uuid[]) ORDER BY task_type::text',
      [[text, chat, dpo, grpo]],
    );
    expect(rows.map((r) => [r.task_type, r.ds, r.training_data, r.test_data])).toEqual([
      ['ChatTask', 'custom', 'https://u.example/chat.json', null],
      ['DpoTask', 'custom', 'https://u.example/dpo.json', null],
      ['GrpoTask', 'custom', 'https://u.example/grpo.json', null],
      ['InstructTextTask', 'custom', 'https://u.example/train.json', 'https://u.example/test.json'],
    ]);
    const formats = await h.db.query<{ file_format: string }>(
      `SELECT file_format FROM instruct_text_tasks WHERE task_id = $1 UNION ALL SELECT file_format FROM chat_tasks WHERE task_id = $2`,
      [text, chat],
    );
    expect(formats.rows.map((r) => r.file_format)).toEqual(['s3', 's3']);
  });

  it('fixed datasets: admin only, straight to looking_for_nodes', async () => {
    const body = { ...instructBody(h.customer.accountId), training_data: 'https://u/t', synthetic_data: 'https://u/s', test_data: 'https://u/x' };
    expect((await alice.post('/v1/tasks/create_with_fixed_datasets', body)).status).toBe(403);
    const res = await admin.post('/v1/tasks/create_with_fixed_datasets', body);
    expect(res.status).toBe(200);
    const { rows } = await h.db.query<{ status: string }>('SELECT status FROM tasks WHERE task_id = $1', [(await json(res)).task_id]);
    expect(rows[0]?.status).toBe('looking_for_nodes');
  });

  it('fractional, zero and negative hours are a 422 on hours_to_complete (the original 500s or accepts them)', async () => {
    for (const hours of [1.5, 0, -2]) {
      const res = await alice.post('/v1/tasks/create', instructBody(h.customer.accountId, { hours_to_complete: hours }));
      expect(res.status).toBe(422);
      expect((await json(res)).detail).toEqual([
        expect.objectContaining({ type: 'value_error', loc: ['body', 'hours_to_complete'], msg: expect.stringContaining('whole number of hours') }),
      ]);
    }
  });

  it('a customer key cannot create for another account (403); an admin key can', async () => {
    const res = await alice.post('/v1/tasks/create', instructBody(h.other.accountId));
    expect(res.status).toBe(403);
    expect((await json(res)).detail).toContain('cannot act for account');
    const ok = await admin.post('/v1/tasks/create', instructBody(h.other.accountId, { ds_repo: 'other/ds' }));
    expect(ok.status).toBe(200);
    expect((await json(ok)).account_id).toBe(h.other.accountId);
  });

  it('instruct reuse: an identical success within 7 days yields a new task already in success with that repo', async () => {
    const cols = { field_instruction: 'instruct', field_input: 'input', field_output: 'output' };
    const old = await seedTask(h.db, h.customer.accountId, 'success', { ds: 'reuse/ds', ...cols });
    await seedResult(h.db, old, 'hk-reuse', { quality: 2, repo: 'miner/reused-model' });
    const id = await createOk('/v1/tasks/create', instructBody(h.customer.accountId, { ds_repo: 'reuse/ds', ...cols }));
    const details = await json(await alice.get(`/v1/tasks/${id}`));
    expect(details).toMatchObject({ status: 'success', trained_model_repository: 'miner/reused-model', ds_repo: 'reuse/ds' });
  });
});

describe('task details and lists', () => {
  it('hides data while in flight and shows it once finished; chat tasks have details (the original 500s)', async () => {
    const running = await seedTask(h.db, h.customer.accountId, 'training');
    const d1 = await json(await alice.get(`/v1/tasks/${running}`));
    expect(d1).toMatchObject({ id: running, status: 'training', ds_repo: 'Hidden', task_type: 'InstructTextTask', base_model_repository: 'Qwen/Qwen2-0.5B', finished_at: null });
    const done = await seedTask(h.db, h.customer.accountId, 'success');
    expect(await json(await alice.get(`/v1/tasks/${done}`))).toMatchObject({ ds_repo: 'tatsu-lab/alpaca', status: 'success' });

    const chat = await seedTask(h.db, h.customer.accountId, 'training', {
      task_type: 'ChatTask', chat_template: 'chatml', chat_column: 'conversations', synthetic_data: 'https://leak/synth.json', field_instruction: undefined,
    });
    const chatRes = await alice.get(`/v1/tasks/${chat}`);
    expect(chatRes.status).toBe(200);
    expect(await json(chatRes)).toMatchObject({ task_type: 'ChatTask', chat_template: 'chatml', chat_column: 'conversations', ds_repo: 'Hidden' });
    // The chat synthetic set is hidden on the public auditing view too (the original leaks it).
    const audit = await json(await fetch(`${h.base}/auditing/tasks/${chat}`));
    expect(audit.synthetic_data).toBeNull();
    expect(audit.test_data).toBeNull();
  });

  it('404 for unknown tasks and for tasks of another account; 422 for a malformed id', async () => {
    const mine = await seedTask(h.db, h.customer.accountId, 'pending');
    expect((await bob.get(`/v1/tasks/${mine}`)).status).toBe(404);
    expect((await alice.get('/v1/tasks/8a4e3f0c-5d1b-4c2a-9e7f-0123456789ab')).status).toBe(404);
    const bad = await alice.get('/v1/tasks/nope');
    expect(bad.status).toBe(422);
    expect((await json(bad)).detail[0]).toMatchObject({ loc: ['path', 'task_id'], type: 'uuid_parsing' });
    expect((await admin.get(`/v1/tasks/${mine}`)).status).toBe(200);
  });

  it('account list is newest first, paginated, and closed to other customers', async () => {
    // Later than anything the other tests create for this account, so these five are the newest.
    const t0 = Date.now() + 60_000;
    const acct = h.other.accountId;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await seedTask(h.db, acct, 'pending', {}, new Date(t0 + i * 1000)));
    const page1 = await json<{ id: string }[]>(await bob.get(`/v1/tasks/account/${acct}?limit=2&page=1`));
    const page2 = await json<{ id: string }[]>(await bob.get(`/v1/tasks/account/${acct}?limit=2&page=2`));
    const viaOffset = await json<{ id: string }[]>(await bob.get(`/v1/tasks/account/${acct}?limit=2&offset=1`));
    const newestFirst = [...ids].reverse();
    expect(page1.map((t) => t.id)).toEqual(newestFirst.slice(0, 2));
    expect(page2.map((t) => t.id)).toEqual(newestFirst.slice(2, 4));
    expect(viaOffset.map((t) => t.id)).toEqual(newestFirst.slice(1, 3));
    expect((await alice.get(`/v1/tasks/account/${acct}`)).status).toBe(403);
    const tooBig = await bob.get(`/v1/tasks/account/${acct}?limit=100000`);
    expect(tooBig.status).toBe(422);
    expect((await json(tooBig)).detail[0]).toMatchObject({ loc: ['query', 'limit'], type: 'less_than_equal' });
  });

  it('GET /v1/tasks filters by status and type; customers see only their own', async () => {
    const eval1 = await seedTask(h.db, h.other.accountId, 'evaluating');
    const list = await json<{ id: string; status: string }[]>(await bob.get('/v1/tasks?status=evaluating,preevaluation&limit=500'));
    expect(list.map((t) => t.id)).toContain(eval1);
    expect(list.every((t) => ['evaluating', 'preevaluation'].includes(t.status))).toBe(true);
    const aliceList = await json<{ account_id: string }[]>(await alice.get('/v1/tasks?limit=500'));
    expect(aliceList.length).toBeGreaterThan(0);
    expect(aliceList.every((t) => t.account_id === h.customer.accountId)).toBe(true);
    const byAdmin = await json<{ id: string }[]>(await admin.get(`/v1/tasks?account_id=${h.other.accountId}&status=evaluating`));
    expect(byAdmin.map((t) => t.id)).toEqual([eval1]);
    const images = await json<{ task_type: string }[]>(await alice.get('/v1/tasks?task_type=ImageTask'));
    expect(images.length).toBeGreaterThan(0);
    expect(images.every((t) => t.task_type === 'ImageTask')).toBe(true);
  });

  it('organic completed: successes only, search terms ANDed, hours window', async () => {
    const hit = await seedTask(h.db, h.customer.accountId, 'success', { result_model_name: 'Llama Alpaca Fine', termination_at: new Date().toISOString() });
    await seedTask(h.db, h.customer.accountId, 'success', { result_model_name: 'llama only', termination_at: new Date().toISOString() });
    const found = await json<{ id: string }[]>(await alice.get('/v1/tasks/organic/completed?search_model_name=alpaca%20LLAMA&hours=1'));
    expect(found.map((t) => t.id)).toEqual([hit]);
    expect((await alice.get('/v1/tasks/organic/completed?hours=0')).status).toBe(422);
  });

  it('breakdown, node results and the result route report scores (NaN and inf made safe)', async () => {
    const id = await seedTask(h.db, h.customer.accountId, 'success');
    await seedResult(h.db, id, 'hk-a', { quality: 3, test: 0.5, synth: 0.6, repo: 'a/model' });
    await seedResult(h.db, id, 'hk-b', { quality: 0.5, test: Infinity, synth: Number.NaN, repo: 'b/model', reason: 'weak' });
    await seedResult(h.db, id, 'hk-c', { quality: null });
    const breakdown = await json(await alice.get(`/v1/tasks/breakdown/${id}`));
    expect(breakdown).toEqual({
      id,
      miner_results: [
        { hotkey: 'hk-a', quality_score: 3, test_loss: 0.5, synth_loss: 0.6, score_reason: null },
        { hotkey: 'hk-b', quality_score: 0.5, test_loss: null, synth_loss: null, score_reason: 'weak' },
      ],
    });
    const result = await json(await alice.get(`/v1/tasks/${id}/result`));
    expect(result).toMatchObject({
      status: 'success', finished: true, succeeded: true, trained_model_repository: 'a/model',
      winner: { hotkey: 'hk-a', rank: 1, quality_score: 3, repo: 'a/model' },
    });
    expect(result.miner_results[1]).toMatchObject({ hotkey: 'hk-b', rank: 2, test_loss: 1e100, synth_loss: null });
    const node = await json(await alice.get('/v1/tasks/node_results/hk-a'));
    expect(node).toEqual({ success: true, hotkey: 'hk-a', task_results: expect.arrayContaining([{ task_id: id, quality_score: 3 }]) });
    expect((await bob.get(`/v1/tasks/breakdown/${id}`)).status).toBe(404);
  });

  it('the training_repo_backup override wins; result_model_name can be renamed; both 404 when unknown', async () => {
    const id = await seedTask(h.db, h.customer.accountId, 'success');
    await seedResult(h.db, id, 'hk-x', { quality: 1, repo: 'x/model' });
    expect((await alice.put(`/v1/tasks/${id}/training_repo_backup?training_repo=ops/fixed`)).status).toBe(403);
    const put = await admin.put(`/v1/tasks/${id}/training_repo_backup?training_repo=ops/fixed`);
    expect(put.status).toBe(200);
    expect(await put.text()).toBe('');
    expect((await json(await alice.get(`/v1/tasks/${id}`))).trained_model_repository).toBe('ops/fixed');
    expect((await alice.put(`/v1/tasks/${id}/result_model_name?result_model_name=renamed`)).status).toBe(200);
    expect((await json(await alice.get(`/v1/tasks/${id}`))).result_model_name).toBe('renamed');
    expect((await admin.put('/v1/tasks/8a4e3f0c-5d1b-4c2a-9e7f-0123456789ab/training_repo_backup?training_repo=x')).status).toBe(404);
    const missing = await alice.put(`/v1/tasks/${id}/result_model_name`);
    expect(missing.status).toBe(422);
    expect((await json(missing)).detail[0]).toMatchObject({ loc: ['query', 'result_model_name'], type: 'missing' });
  });

  it('delete answers "Success" as text and removes the task; 404 afterwards', async () => {
    const id = await seedTask(h.db, h.customer.accountId, 'pending');
    expect((await bob.del(`/v1/tasks/delete/${id}`)).status).toBe(404);
    const res = await alice.del(`/v1/tasks/delete/${id}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('Success');
    expect((await alice.get(`/v1/tasks/${id}`)).status).toBe(404);
    expect((await alice.del(`/v1/tasks/delete/${id}`)).status).toBe(404);
  });
});

describe('cancel', () => {
  it('moves an unfinished task to failure with a recorded reason; a finished one is 409', async () => {
    const id = await seedTask(h.db, h.customer.accountId, 'training');
    const res = await alice.post(`/v1/tasks/${id}/cancel`);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ task_id: id, previous_status: 'training', status: 'failure', cancelled: true });
    const ev = await h.db.query<{ from_status: string; to_status: string; detail: { reason: string } }>(
      `SELECT from_status, to_status, detail FROM task_events WHERE task_id = $1 AND event_type = 'status_changed'`,
      [id],
    );
    expect(ev.rows).toEqual([{ from_status: 'training', to_status: 'failure', detail: { reason: 'cancelled', cancelled_by: 'alice' } }]);
    const again = await alice.post(`/v1/tasks/${id}/cancel`);
    expect(again.status).toBe(409);
    expect((await json(again)).detail).toBe('Task has already finished (status failure)');
    expect((await bob.post(`/v1/tasks/${id}/cancel`)).status).toBe(404);
  });
});

describe('account', () => {
  it('tells a key which account it acts for', async () => {
    expect(await json(await alice.get('/v1/account'))).toMatchObject({ account_id: h.customer.accountId, name: 'alice', scopes: ['customer'] });
  });
});
