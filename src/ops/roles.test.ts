/** The miner's real server (PGlite, loopback HTTP) serves the operations endpoints that `mountOperations` adds. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minerRules } from '../core/rules/miner.ts';
import { openTestDb, type TestDb } from '../db/testing.ts';
import type { GodServer } from '../http/index.ts';
import { createMinerServer } from '../miner/server.ts';
import { HealthResponseSchema } from './mount.ts';

let t: TestDb;
let miner: GodServer;
let baseUrl: string;

beforeAll(async () => {
  t = await openTestDb('pglite');
  miner = createMinerServer({
    db: t.db,
    minerHotkey: '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty',
    lookupStake: () => ({ found: false }),
    minStake: 1000,
    rules: minerRules,
    hubUsername: 'miner-user',
    dataDir: '/nonexistent-god-miner-data',
    trainingRepo: { text: { githubRepo: 'https://github.com/me/t', commitHash: 'a' }, image: { githubRepo: 'https://github.com/me/i', commitHash: 'b' } },
    backendName: 'copy',
  });
  baseUrl = await miner.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await miner?.close();
  await t?.cleanup();
});

describe('miner server operations endpoints', () => {
  it('serves /health with the miner role and /metrics in Prometheus text, counting the /health request', async () => {
    expect(baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${baseUrl}/health`);
    expect(health.status).toBe(200);
    const body = HealthResponseSchema.parse(await health.json());
    expect(body.role).toBe('miner');
    expect(body.status).toBe('healthy');

    const metrics = await fetch(`${baseUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await metrics.text();
    expect(text).toMatch(/^god_process_cpu_user_seconds_total\{role="miner"\} /m);
    expect(text).toMatch(/^god_http_requests_total\{[^}]*route="\/health"[^}]*status="200"[^}]*\} 1$/m);
    // The authenticated routes are still there, untouched.
    const offer = await fetch(`${baseUrl}/task_offer/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(offer.status).not.toBe(404);
    expect(offer.status).toBeGreaterThanOrEqual(400);
  });
});
