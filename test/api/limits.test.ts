import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBlobStore } from '../../src/validator/adapters/blob-stores.ts';
import { client, instructBody, json, startHarness, type Harness } from './harness.ts';

let h: Harness;
const blobs = new MemoryBlobStore();

beforeAll(async () => {
  h = await startHarness({ uploads: blobs, rules: { bodyLimitBytes: 4096, uploadLimitBytes: 64 * 1024 } });
});
afterAll(async () => {
  await h?.close();
});

describe('authentication', () => {
  it('401 without or with a wrong key on every keyed route, 403 on admin routes for customer keys', async () => {
    const doc = await json(await fetch(`${h.base}/openapi.json`));
    const keyed: [string, string][] = [];
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, { security?: unknown; 'x-required-scope'?: string }>>)) {
      for (const [method, op] of Object.entries(ops)) if (op.security) keyed.push([method.toUpperCase(), path]);
    }
    expect(keyed.length).toBeGreaterThan(25);
    const concrete = (p: string) => p.replace(/\{[^}]+\}/g, '8a4e3f0c-5d1b-4c2a-9e7f-0123456789ab');
    for (const [method, path] of keyed) {
      const none = await fetch(h.base + concrete(path), { method, headers: { 'content-type': 'application/json' }, body: method === 'GET' ? null : '{}' });
      expect(none.status, `${method} ${path}`).toBe(401);
      const wrong = await fetch(h.base + concrete(path), { method, headers: { authorization: 'Bearer god_notARealKeyAtAll_xxxxxxxxxxxxxxxxxxxxxxxxxxx' } });
      expect(wrong.status, `${method} ${path}`).toBe(401);
      expect(await json(wrong)).toEqual({ detail: 'Invalid API key' });
    }
    const admin = keyed.filter(([method, path]) => (doc.paths[path][method.toLowerCase()]['x-required-scope'] as string) === 'admin');
    expect(admin.map(([m, p]) => `${m} ${p}`).sort()).toEqual(['POST /v1/tasks/create_with_fixed_datasets', 'PUT /v1/tasks/{task_id}/training_repo_backup']);
    for (const [method, path] of admin) {
      const res = await fetch(h.base + concrete(path), { method, headers: { authorization: `Bearer ${h.customer.key}` } });
      expect(res.status).toBe(403);
    }
    // The public auditing routes need no key.
    expect((await fetch(`${h.base}/auditing/tasks`)).status).toBe(200);
  });
});

describe('bad bodies', () => {
  it('malformed JSON and wrong types are 422 with the field path', async () => {
    const alice = client(h.base, h.customer.key);
    const broken = await alice.post('/v1/tasks/create', '{"model_repo": ');
    expect(broken.status).toBe(422);
    expect((await json(broken)).detail[0]).toMatchObject({ type: 'json_invalid', loc: ['body', expect.any(Number)] });
    const wrong = await alice.post('/v1/tasks/create_dpo', { account_id: 'nope', model_repo: 7, field_prompt: 'p', hours_to_complete: 'x' });
    expect(wrong.status).toBe(422);
    const locs = (await json(wrong)).detail.map((d: { loc: string[] }) => d.loc.join('.'));
    expect(locs).toEqual(expect.arrayContaining(['body.account_id', 'body.model_repo', 'body.hours_to_complete', 'body.field_chosen', 'body.field_rejected', 'body.ds_repo']));
    const nested = await alice.post('/v1/tasks/create_image', {
      account_id: h.customer.accountId, model_repo: 'x', hours_to_complete: 1, image_text_pairs: Array.from({ length: 10 }, (_, i) => (i === 3 ? { image_url: 'a' } : { image_url: 'a', text_url: 'b' })),
    });
    expect((await json(nested)).detail[0]).toMatchObject({ type: 'missing', loc: ['body', 'image_text_pairs', 3, 'text_url'] });
  });

  it('bodies over the limit are 413', async () => {
    const alice = client(h.base, h.customer.key);
    const res = await alice.post('/v1/tasks/create', instructBody(h.customer.accountId, { result_model_name: 'x'.repeat(5000) }));
    expect(res.status).toBe(413);
    expect(await json(res)).toEqual({ detail: 'Request body too large (limit 4096 bytes)' });
  });
});

describe('uploads', () => {
  it('stores a JSON array and returns a signed URL that reads it back; not-an-array is 422; too big is 413', async () => {
    const alice = client(h.base, h.customer.key);
    const rows = Array.from({ length: 50 }, (_, i) => ({ instruction: `q${i}`, output: `a${i}` }));
    const res = await alice.post('/v1/uploads', rows);
    expect(res.status).toBe(201);
    const out = await json(res);
    expect(out).toMatchObject({ rows: 50, size: JSON.stringify(rows).length });
    const bytes = await blobs.fetcher()(out.url);
    expect(JSON.parse(Buffer.from(bytes).toString('utf8'))).toEqual(rows);
    const created = await alice.post('/v1/tasks/create_custom_dataset_text', { ...instructBody(h.customer.accountId), ds_repo: null, training_data: out.url });
    expect(created.status).toBe(200);

    const notArray = await alice.post('/v1/uploads', { rows });
    expect(notArray.status).toBe(422);
    expect((await json(notArray)).detail[0]).toMatchObject({ loc: ['body'], type: 'list_type' });
    const big = await alice.post('/v1/uploads', Array.from({ length: 3000 }, (_, i) => ({ text: `row ${i} ${'x'.repeat(20)}` })));
    expect(big.status).toBe(413);
    expect((await json(big)).detail).toBe('Request body too large (limit 65536 bytes)');
    expect((await fetch(`${h.base}/v1/uploads`, { method: 'POST', body: '[{"a":1}]' })).status).toBe(401);
  });
});

describe('OpenAPI and /docs', () => {
  it('documents the original paths exactly and the additions', async () => {
    const doc = await json(await fetch(`${h.base}/openapi.json`));
    expect(doc.openapi).toBe('3.1.0');
    const paths = Object.keys(doc.paths);
    for (const p of [
      '/health', '/v1/tasks/create', '/v1/tasks/create_image', '/v1/tasks/create_dpo', '/v1/tasks/create_chat', '/v1/tasks/create_grpo',
      '/v1/tasks/create_custom_dataset_text', '/v1/tasks/create_custom_dataset_chat', '/v1/tasks/create_with_fixed_datasets',
      '/v1/tasks/{task_id}', '/v1/tasks/delete/{task_id}', '/v1/tasks/breakdown/{task_id}', '/v1/tasks/node_results/{hotkey}',
      '/v1/tasks/account/{account_id}', '/v1/leaderboard', '/v1/network/status', '/v1/network/detailed_status',
      '/v1/tasks/organic/completed', '/v1/tasks/{task_id}/training_repo_backup', '/v1/tasks/{task_id}/result_model_name',
      '/v1/grpo/reward_functions', '/auditing/tasks', '/auditing/tasks/hotkey/{hotkey}', '/auditing/tasks/{task_id}', '/auditing/scores-url',
      '/v1/tasks/{task_id}/events', '/v1/tasks/{task_id}/events/stream', '/v1/tasks/{task_id}/cancel', '/v1/tasks/{task_id}/result',
      '/v1/webhooks', '/v1/uploads', '/v1/tasks',
    ]) expect(paths, p).toContain(p);
    expect(doc.paths['/v1/tasks/create'].post.requestBody.content['application/json'].schema.required).toEqual(
      expect.arrayContaining(['account_id', 'hours_to_complete', 'field_instruction', 'ds_repo', 'model_repo']),
    );
    expect(doc.paths['/v1/tasks/account/{account_id}'].get.parameters.find((p: { name: string }) => p.name === 'limit').schema).toMatchObject({ maximum: 500, minimum: 1 });
  });

  it('serves a self-contained docs page that loads nothing from elsewhere', async () => {
    const res = await fetch(`${h.base}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/default-src 'none'; script-src 'sha256-[A-Za-z0-9+/=]+'/);
    const html = await res.text();
    expect(html).toContain('data-spec="/openapi.json"');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!data\.)/);
    // The hash in the CSP is the inline script's, so a browser runs it.
    const { createHash } = await import('node:crypto');
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    expect(csp).toContain(`'sha256-${createHash('sha256').update(script).digest('base64')}'`);
  });
});

describe('rate limits', () => {
  it('a token bucket per key: 429 with Retry-After past the burst, other keys and /health unaffected', async () => {
    const limited = await startHarness({ rules: { rateLimitBurst: 5, rateLimitPerSecond: 0.5 } });
    try {
      const alice = client(limited.base, limited.customer.key);
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await alice.get('/v1/account')).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
      const res = await alice.get('/v1/account');
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await json(res)).detail).toMatch(/^Rate limit exceeded/);
      expect((await client(limited.base, limited.other.key).get('/v1/account')).status).toBe(200);
      for (let i = 0; i < 10; i++) expect((await fetch(`${limited.base}/health`)).status).toBe(200);
      // Anonymous callers share a bucket per address; wrong keys are limited too (no free guessing).
      const guesses: number[] = [];
      for (let i = 0; i < 7; i++) guesses.push((await client(limited.base, 'god_guessAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA').get('/v1/account')).status);
      expect(guesses.slice(-2)).toEqual([429, 429]);
    } finally {
      await limited.close();
    }
  });
});
