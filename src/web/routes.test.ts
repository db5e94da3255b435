/**
 * The dashboard's routes on a real API server (loopback, migrated PGlite): the page and its CSP, the redirect at
 * `/`, the bundled script, the config document, the network and score-history reads, and that the API's own
 * paths are untouched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, json, seedNode, seedResult, seedTask, startHarness, type Harness } from '../../test/api/harness.ts';

let h: Harness;
const weightsRead: [number, number][] = [
  [1, 600],
  [2, 200],
];

beforeAll(async () => {
  h = await startHarness({
    dashboard: {
      validatorHotkey: 'VALI',
      chain: { getUid: async (_n, hotkey) => (hotkey === 'VALI' ? 0 : null), getWeights: async () => weightsRead },
      baseModels: ['god-local/tinygpt-tiny'],
    },
  });
});
afterAll(async () => h?.close());

describe('dashboard routes', () => {
  it('serves the page with a same-origin-only CSP, and redirects / and /dashboard there', async () => {
    const page = await fetch(`${h.base}/dashboard/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'self'/);
    const html = await page.text();
    expect(html).toContain('src="/dashboard/app.js"');
    expect(html).not.toMatch(/https?:\/\//);
    for (const path of ['/', '/dashboard']) {
      const r = await fetch(`${h.base}${path}`, { redirect: 'manual' });
      expect([301, 302]).toContain(r.status);
      expect(r.headers.get('location')).toBe('/dashboard/');
    }
    const css = await fetch(`${h.base}/dashboard/app.css`);
    expect(css.headers.get('content-type')).toMatch(/text\/css/);
    expect(await css.text()).toContain('.bracket');
  });

  it('bundles the client on first request, serves it with an etag and answers 304 to it', async () => {
    const js = await fetch(`${h.base}/dashboard/app.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    const code = await js.text();
    expect(code.length).toBeGreaterThan(10_000);
    expect(code).toContain('/v1/tasks');
    // Nothing to download at run time: no import of another origin.
    expect(code).not.toMatch(/import\s*\(?\s*["']https?:/);
    const etag = js.headers.get('etag')!;
    expect((await fetch(`${h.base}/dashboard/app.js`, { headers: { 'if-none-match': etag } })).status).toBe(304);
  });

  it('publishes the create limits and suggestions', async () => {
    const c = await json(await fetch(`${h.base}/dashboard/config.json`));
    expect(c).toEqual({ max_hours: 720, image_pairs: { min: 10, max: 50 }, base_models: ['god-local/tinygpt-tiny'], datasets: [], netuid: 56 });
  });

  it('reads the network: nodes with stakes and the weights the validator set, behind a key', async () => {
    expect((await fetch(`${h.base}/dashboard/api/network`)).status).toBe(401);
    await seedNode(h.db, 'VALI', 0);
    await seedNode(h.db, 'MINER1', 1);
    await seedNode(h.db, 'MINER2', 2);
    const n = await json(await client(h.base, h.customer.key).get('/dashboard/api/network'));
    expect(n.nodes.map((x: { uid: number; is_validator: boolean }) => [x.uid, x.is_validator])).toEqual([
      [0, true],
      [1, false],
      [2, false],
    ]);
    expect(n.nodes[1]).toMatchObject({ hotkey: 'MINER1', stake: 100, alpha_stake: 100, tao_stake: 0, ip: '127.0.0.1' });
    expect(n.weights).toEqual({
      setter_uid: 0,
      weights: [
        { uid: 1, hotkey: 'MINER1', weight: 600, share: 0.75 },
        { uid: 2, hotkey: 'MINER2', weight: 200, share: 0.25 },
      ],
    });
  });

  it("reads each miner's score history on successful tasks only, oldest first", async () => {
    const t1 = await seedTask(h.db, h.customer.accountId, 'success', {}, new Date(Date.now() - 3 * 3_600_000));
    const t2 = await seedTask(h.db, h.customer.accountId, 'success', {}, new Date(Date.now() - 3_600_000));
    const failed = await seedTask(h.db, h.customer.accountId, 'failure');
    await seedResult(h.db, t1, 'MINER1', { quality: 3 });
    await seedResult(h.db, t2, 'MINER1', { quality: -1 });
    await seedResult(h.db, t2, 'MINER2', { quality: 3 });
    await seedResult(h.db, failed, 'MINER2', { quality: 1 });
    await seedResult(h.db, t1, 'MINER2', { quality: NaN });
    const hist = await json(await client(h.base, h.customer.key).get('/dashboard/api/score-history'));
    expect(hist.map((s: { hotkey: string; points: { task_id: string; quality_score: number }[] }) => [s.hotkey, s.points.map((p) => [p.task_id, p.quality_score])])).toEqual([
      ['MINER1', [[t1, 3], [t2, -1]]],
      ['MINER2', [[t2, 3]]],
    ]);
    expect((await client(h.base, h.customer.key).get('/dashboard/api/score-history?days=0')).status).toBe(422);
  });

  it('previews a built-in named dataset (the same rows the validator prepares) and nothing else, behind a key', async () => {
    expect((await fetch(`${h.base}/dashboard/api/dataset-preview?dataset=god-local/strings-instruct`)).status).toBe(401);
    const api = client(h.base, h.customer.key);
    const p = await json(await api.get('/dashboard/api/dataset-preview?dataset=god-local/strings-instruct&rows=3'));
    const { loadBuiltinDataset } = await import('../ml/data/builtin.ts');
    const expected = loadBuiltinDataset('god-local/strings-instruct').slice(0, 3);
    expect(p).toEqual({ dataset: 'god-local/strings-instruct', columns: [...new Set(expected.flatMap((r) => Object.keys(r)))], rows: expected });
    // No network on the customer's behalf: a URL or a Hugging Face id is not read here.
    for (const dataset of ['http://169.254.169.254/latest/meta-data', 'yahma/alpaca-cleaned', 'god-local/nope']) {
      const r = await api.get(`/dashboard/api/dataset-preview?dataset=${encodeURIComponent(dataset)}`);
      expect(r.status).toBe(404);
      expect((await json(r)).detail).toMatch(/built-in datasets/);
    }
    expect((await api.get('/dashboard/api/dataset-preview?dataset=god-local/strings-instruct&rows=500')).status).toBe(422);
  });

  it('leaves the API paths alone', async () => {
    const r = await fetch(`${h.base}/v1/tasks`);
    expect(r.status).toBe(401);
    expect(await r.json()).toEqual({ detail: 'Not authenticated' });
    expect((await fetch(`${h.base}/health`)).status).toBe(200);
    expect((await fetch(`${h.base}/dashboard/nope`)).status).toBe(404);
  });
});
