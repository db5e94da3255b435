/**
 * `god api` with the validator's storage selection and its own metrics: customer uploads land in the S3 server
 * `services.s3Endpoint` names (the in-repo test S3 server over loopback), and reward-function checks in the
 * sandbox show up on its `/metrics`.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccountWithKey, SqlApiKeyStore } from '../../auth/index.ts';
import { defaultConfig, type Config } from '../../config/schema.ts';
import { openDb } from '../../db/index.ts';
import { TestS3Server } from '../../storage/s3/local-server.ts';
import { registerApi } from './api.ts';

const home = mkdtempSync(join(tmpdir(), 'god-api-s3-'));
const previousHome = process.env.GOD_HOME;
const previousLevel = process.env.GOD_LOG_LEVEL;
let s3: TestS3Server;
let customer: string;

beforeAll(async () => {
  process.env.GOD_HOME = home;
  process.env.GOD_LOG_LEVEL = 'silent';
  s3 = await TestS3Server.start({ buckets: ['god-uploads'] });
  const db = await openDb({ migrate: true });
  try {
    customer = (await createAccountWithKey(new SqlApiKeyStore(db), 'uploader', ['customer'])).key;
  } finally {
    await db.close();
  }
}, 60_000);

afterAll(async () => {
  await s3?.close();
  if (previousHome === undefined) delete process.env.GOD_HOME;
  else process.env.GOD_HOME = previousHome;
  if (previousLevel === undefined) delete process.env.GOD_LOG_LEVEL;
  else process.env.GOD_LOG_LEVEL = previousLevel;
  rmSync(home, { recursive: true, force: true });
});

/** Runs `god api <args>` until `body` returns, then stops it; hands `body` the URL it listens on. */
async function withApi(config: Config, args: string[], body: (url: string, printed: string) => Promise<void>): Promise<void> {
  let stop: () => void = () => {};
  const stopped = new Promise<void>((r) => (stop = r));
  let printed = '';
  const program = new Command().exitOverride();
  registerApi(program, { out: (t) => (printed += t), untilStopped: () => stopped, loadConfig: () => config });
  const run = program.parseAsync(['node', 'god', 'api', '--port', '0', '--no-webhooks', '--no-tournaments', ...args]);
  try {
    for (let i = 0; i < 1200 && !printed.includes('listening'); i++) await Promise.race([new Promise((r) => setTimeout(r, 50)), run]);
    const url = /listening on (http:\/\/\S+)/.exec(printed)?.[1];
    if (!url) throw new Error(`god api did not start: ${printed}`);
    await body(url, printed);
  } finally {
    stop();
    await run;
  }
}

const auth = () => ({ authorization: `Bearer ${customer}`, 'content-type': 'application/json' });

describe('god api', () => {
  it('puts customer uploads into the S3 bucket services.s3Endpoint names, with a presigned URL that reads them back', async () => {
    const config: Config = {
      ...defaultConfig,
      services: { ...defaultConfig.services, s3Endpoint: s3.endpoint, s3Bucket: 'god-uploads', s3AccessKey: s3.accessKeyId, s3SecretKey: s3.secretAccessKey, s3Region: s3.region },
    };
    await withApi(config, ['--no-sandbox', '--uploads'], async (url, printed) => {
      expect(printed).toContain(`uploads: S3 bucket god-uploads at ${s3.endpoint}`);
      const rows = [{ instruction: 'say hi', output: 'hi' }, { instruction: 'say bye', output: 'bye' }];
      const res = await fetch(`${url}/v1/uploads`, { method: 'POST', headers: auth(), body: JSON.stringify(rows) });
      expect(res.status).toBe(201);
      const answer = (await res.json()) as { url: string; key: string; rows: number };
      expect(answer.rows).toBe(2);
      // The object is in the bucket, byte for byte, and the URL handed to the customer is the S3 server's.
      const stored = s3.buckets.get('god-uploads')?.get(answer.key);
      expect(stored).toBeDefined();
      expect(JSON.parse(new TextDecoder().decode(stored!.body))).toEqual(rows);
      expect(answer.url.startsWith(`${s3.endpoint}/god-uploads/${answer.key}?`)).toBe(true);
      expect(await (await fetch(answer.url)).json()).toEqual(rows);
    });
    // Nothing went to the local blob store under GOD_HOME.
    expect(existsSync(join(home, 'blobs'))).toBe(false);
  }, 60_000);

  it('counts the reward-function checks it runs in the sandbox on its /metrics', async () => {
    const config: Config = { ...defaultConfig, sandbox: { ...defaultConfig.sandbox, poolSize: 1, memoryLimitMb: 768 } };
    await withApi(config, [], async (url) => {
      const add = (code: string) =>
        fetch(`${url}/v1/grpo/reward_functions`, { method: 'POST', headers: auth(), body: JSON.stringify({ name: 'length', description: 'longer is better', code }) });
      expect((await add('def length_reward(completions, **kwargs):\n    return [len(c) for c in completions]\n')).status).toBe(200);
      expect((await add('x = 1')).status).toBe(400);
      const text = await (await fetch(`${url}/metrics`)).text();
      expect(text).toContain('god_sandbox_calls_total{kind="validate",outcome="ok",role="api"} 1');
      expect(text).toContain('god_sandbox_calls_total{kind="validate",outcome="error",role="api"} 1');
      expect(text).toContain('god_sandbox_call_duration_seconds_count{role="api",kind="validate",outcome="ok"} 1');
    });
  }, 120_000);
});
