/**
 * `npm run bench -- validator-parts [--reps N]`: the validator's CPU per real-time task, bottom up. Each operation a
 * task needs from the validator is timed alone in this process (process.cpuUsage over many repetitions after a
 * warm-up; the peers run in other processes so their CPU is not counted), then multiplied by how many a task needs.
 * The counts are those the devnet bench prints per task with `GOD_BENCH_QUERY_STATS=1` (statements and outgoing
 * requests; the default miners): 4 offers, 4 training starts, 4 submission lookups (signed), 2 hub look-ups, about
 * 21 statements; and 3 blob puts and 3 deletes (train, test and synthetic files), one data prep. The sum is a floor under what
 * `npm run bench -- devnet --validator-process` measures as a whole (which adds GC, loops, logging, timers).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { systemClock } from '../../src/clock/index.ts';
import type { AnyTextRawTask } from '../../src/core/models/tasks.ts';
import { openPostgres } from '../../src/db/postgres.ts';
import { migrate } from '../../src/db/migrate.ts';
import { claimTask } from '../../src/db/queries/validator-tasks.ts';
import { devnetConfig } from '../../src/devnet/devnet.ts';
import { initCrypto, Sr25519Keypair } from '../../src/keys/keypair.ts';
import { bufferedRequest } from '../../src/net/buffered-request.ts';
import { SignedClient } from '../../src/net/client.ts';
import { LocalBlobStore } from '../../src/storage/blob/local.ts';
import { MemoryBlobStore } from '../../src/validator/adapters/blob-stores.ts';
import { BuiltinDatasetSource, TemplateLlm } from '../../src/validator/adapters/builtin.ts';
import { httpFetcher } from '../../src/validator/adapters/fetch.ts';
import { prepareTextTask } from '../../src/validator/prep/text.ts';
import type { ValidatorContext } from '../../src/validator/context.ts';
import { mathRandom } from '../../src/validator/rng.ts';
import { temporaryPostgres } from '../support/postgres.ts';

const repsArg = process.argv.indexOf('--reps');
const REPS = repsArg > 0 ? Number(process.argv[repsArg + 1]) : 300;
if (!Number.isInteger(REPS) || REPS < 10) throw new Error('--reps: an integer ≥ 10');

/** CPU ms per call of `fn`, after `REPS / 5` warm-up calls. */
async function cpuPer(fn: (i: number) => Promise<unknown>, reps = REPS): Promise<number> {
  for (let i = 0; i < Math.max(5, Math.floor(reps / 5)); i++) await fn(i);
  const c0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) await fn(i);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / reps;
}

// A miner and a hub in another process: a plain HTTP server answering every request with a small JSON body.
const SERVER = `require('http').createServer((req, res) => { req.resume(); req.on('end', () => { res.setHeader('content-type', 'application/json'); res.end('{"message":"Yes. I can do instruct jobs","accepted":true}'); }); }).listen(0, '127.0.0.1', function () { process.send(this.address().port); });`;
const server: ChildProcess = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const port = await new Promise<number>((resolve) => server.once('message', (m) => resolve(Number(m))));
const base = `http://127.0.0.1:${port}`;

await initCrypto();
const key = Sr25519Keypair.fromUri('//Alice');
const offer = { ds: 'god-local/strings-instruct@4200', model: 'god-local/tinygpt-tiny', hours_to_complete: 1, task_id: '0b6d8c4e-3c8e-4f7c-9d0a-6a1e0b2f7c11', task_type: 'InstructTextTask', model_params_count: 1_000_000 };
const rows: [string, number, number][] = [];

const reused = new SignedClient({ keypair: key });
const fresh = new SignedClient({ keypair: key, agent: new http.Agent({ keepAlive: false }) });
const signedReused = await cpuPer(() => reused.post({ baseUrl: base, minerHotkey: key.ss58Address, path: '/task_offer/', payload: offer }));
const signedFresh = await cpuPer(() => fresh.post({ baseUrl: base, minerHotkey: key.ss58Address, path: '/task_offer/', payload: offer }));
const hubFetch = await cpuPer(async () => (await fetch(`${base}/api/models/org/repo`)).json());
const hubGet = await cpuPer(async () => (await bufferedRequest(`${base}/api/models/org/repo`, { method: 'GET', timeoutMs: 120_000 })).json());
rows.push(
  ['signed miner call, connection reused (offer, start)', signedReused, 8],
  ['signed miner call, new connection (submission)', signedFresh, 4],
  ['hub look-up over fetch (before session 5)', hubFetch, 0],
  ['hub look-up over node:http (HttpModelHub now)', hubGet, 2],
);
server.kill();

const pg = await temporaryPostgres('validator-parts');
if (typeof pg === 'string') {
  process.stdout.write(`  PostgreSQL: ${pg}; statements not measured\n`);
} else {
  const db = await openPostgres({ url: pg.socketUrl });
  await migrate(db);
  const now = new Date();
  const claim = await cpuPer(() => claimTask(db, { from: 'pending', to: 'preparing_data', worker: 'bench', leaseMs: 60_000, now }));
  const write = await cpuPer((i) => db.query('INSERT INTO task_events (task_id, event_type, to_status, actor, created_at) VALUES (gen_random_uuid(), $1, $2, $3, $4)', ['bench', 'pending', `w${i}`, now]));
  rows.push(['statement: a claim that finds nothing', claim, 0], ['statement: one-row insert (stands for each of the task\'s)', write, 21]);
  await db.close();
  pg.stop();
}

const home = join(tmpdir(), `god-bench-validator-parts-${process.pid}`);
rmSync(home, { recursive: true, force: true });
const store = await LocalBlobStore.open({ root: join(home, 'blobs'), secret: new Uint8Array(32) });
const body = new TextEncoder().encode(JSON.stringify(Array.from({ length: 3000 }, (_, i) => ({ instruct: `question ${i} `.repeat(5), output: `answer ${i} `.repeat(4) }))));
const putCpu = await cpuPer((i) => store.put(`p_${i}.json`, body, 'application/json'), Math.min(REPS, 100));
const delCpu = await cpuPer((i) => store.delete(`p_${i}.json`), Math.min(REPS, 100));
rows.push([`local blob store put (${Math.round(body.length / 1024)} KiB, fsynced)`, putCpu, 3], ['local blob store delete', delCpu, 3]);

const config = devnetConfig(home, 180);
const ctx = {
  config,
  datasets: new BuiltinDatasetSource(httpFetcher, config.prep.maxDownloadBytes),
  llm: new TemplateLlm(),
  blobs: new MemoryBlobStore(),
  random: mathRandom,
  log: pino({ level: 'silent' }),
  clock: systemClock,
} as unknown as ValidatorContext;
const prepTasks = [
  { task_id: '11111111-1111-4111-8111-111111111111', task_type: 'InstructTextTask', ds: 'god-local/strings-instruct@4200', field_instruction: 'instruction', field_input: 'input', field_output: 'output', file_format: 'hf' },
  { task_id: '11111111-1111-4111-8111-111111111112', task_type: 'ChatTask', ds: 'god-local/mixed-chat@4200', chat_template: 'chatml', chat_column: 'conversations', chat_role_field: 'from', chat_content_field: 'value', chat_user_reference: 'human', chat_assistant_reference: 'gpt', file_format: 'hf' },
  { task_id: '11111111-1111-4111-8111-111111111113', task_type: 'DpoTask', ds: 'god-local/strings-dpo@4200', field_prompt: 'prompt', field_chosen: 'chosen', field_rejected: 'rejected', file_format: 'hf' },
] as unknown as AnyTextRawTask[];
let prepSum = 0;
for (const t of prepTasks) prepSum += await cpuPer(() => prepareTextTask(t, ctx), Math.max(10, Math.floor(REPS / 15)));
rows.push(['data prep (instruct, chat, DPO averaged; 4,200-row built-in sets, template LLM)', prepSum / prepTasks.length, 1]);
rmSync(home, { recursive: true, force: true });

process.stdout.write(`  ${'operation'.padEnd(82)} ${'ms CPU'.padStart(7)}  ×/task  ms/task\n`);
let floor = 0;
for (const [name, ms, n] of rows) {
  floor += ms * n;
  process.stdout.write(`  ${name.padEnd(82)} ${ms.toFixed(3).padStart(7)}  ${String(n).padStart(6)}  ${(ms * n).toFixed(1).padStart(7)}\n`);
}
process.stdout.write(`SUMMARY validator-parts: the operations a real-time task needs sum to ${floor.toFixed(1)} ms CPU per task (target for the whole validator < 50 ms)\n`);
process.exit(0);
