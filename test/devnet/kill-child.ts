/**
 * Child process of the devnet kill test: the devnet's validator alone, on a PGlite data directory, against the
 * chain, hub, blob store and miners the parent runs (chain over HTTP, hub over HTTP, the blob store's directory and
 * signing key shared, so the signed URLs it hands out are served by the parent). Its clock continues the parent's
 * scaled clock across restarts. Logs JSON lines to stdout; once every task is terminal it sets weights (retrying
 * past the chain's rate limit) and exits 0. The parent kills it with SIGKILL at chosen points and starts it again.
 *
 * bench/devnet also runs it (`cpu: true`) to measure the validator's own CPU: evaluation then runs in worker
 * processes for every task type, and the last line reports this process's CPU from "validator started" on.
 *
 * With `idleSeconds` it first measures its idle CPU rate, and with `create` it creates those tasks itself (the parent
 * cannot write to the PGlite directory while this process has it open).
 *
 * argv: <json: { home, dataDir, hourSeconds, t0, r0, chainUrl, storageUrl, netuid, cpu?, sandbox?, idleSeconds?, warmupSeconds?, databaseUrl?, create? }>
 */
import pino from 'pino';
import { httpChain } from '../../src/chain/devnet/index.ts';
import { ScaledClock } from '../../src/clock/index.ts';
import { openDb } from '../../src/db/index.ts';
import type { TaskType } from '../../src/core/enums.ts';
import { createDevnetTask, devnetConfig, VALIDATOR_URI } from '../../src/devnet/devnet.ts';
import { DEVNET_GRPO_EVAL } from '../../src/devnet/grpo.ts';
import { initCrypto, Sr25519Keypair } from '../../src/keys/keypair.ts';
import { MetagraphSync } from '../../src/metagraph/sync.ts';
import { SqlNodeStore } from '../../src/metagraph/store.ts';
import { SignedClient } from '../../src/net/client.ts';
import { HttpModelHub } from '../../src/storage/hub/client.ts';
import { openLocalBlobStore } from '../../src/storage/open.ts';
import { BuiltinContentService, BuiltinDatasetSource, BuiltinImageGenerator, noTournaments, TemplateLlm, UnavailableRewardChecker } from '../../src/validator/adapters/builtin.ts';
import { StorageBlobAdapter } from '../../src/validator/adapters/blob-stores.ts';
import { httpFetcher } from '../../src/validator/adapters/fetch.ts';
import { StorageHubAdapter } from '../../src/validator/adapters/hub.ts';
import type { ValidatorContext } from '../../src/validator/context.ts';
import { BuiltinEvaluationExecutor } from '../../src/validator/evaluation/builtin.ts';
import { mathRandom } from '../../src/validator/rng.ts';
import { Validator } from '../../src/validator/validator.ts';
import { setWeightsOnce } from '../../src/validator/weights/loop.ts';

const raw = process.argv[2];
if (!raw) throw new Error('usage: kill-child.ts JSON');
const a = JSON.parse(raw) as { home: string; dataDir: string; hourSeconds: number; t0: number; r0: number; chainUrl: string; storageUrl: string; netuid: number; cpu?: boolean; sandbox?: boolean; idleSeconds?: number; warmupSeconds?: number; databaseUrl?: string; create?: TaskType[] };
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const startCpu = cpuMs();

await initCrypto();
const factor = 3600 / a.hourSeconds;
const clock = new ScaledClock(factor, { origin: a.t0 + (Date.now() - a.r0) * factor });
const config = devnetConfig(a.home, factor);
const log = pino({ level: 'info', base: { pid: process.pid } }, pino.destination({ dest: 1, sync: true }));
const db = await openDb(a.databaseUrl ? { databaseUrl: a.databaseUrl } : { dataDir: a.dataDir });
const key = Sr25519Keypair.fromUri(VALIDATOR_URI);
const chain = httpChain(a.chainUrl, key);
const blobStore = await openLocalBlobStore(config, { clock }, a.storageUrl);
const hub = new HttpModelHub({ baseUrl: a.storageUrl });
const ctx: ValidatorContext = {
  db,
  clock,
  log,
  config,
  netuid: a.netuid,
  hotkey: key.ss58Address,
  worker: `kill-child:${process.pid}`,
  random: mathRandom,
  miners: new SignedClient({ keypair: key }),
  blobs: new StorageBlobAdapter(blobStore, a.storageUrl),
  fetch: httpFetcher,
  hub: new StorageHubAdapter(hub),
  llm: new TemplateLlm(),
  datasets: new BuiltinDatasetSource(httpFetcher, config.prep.maxDownloadBytes),
  content: new BuiltinContentService({ textModels: [{ model_id: 'god-local/tinygpt-tiny' }], imageModels: [{ model_id: 'god-local/tinydiff-tiny', model_type: 'sdxl' }], rows: 2500 }),
  images: new BuiltinImageGenerator(),
  rewards: new UnavailableRewardChecker('the kill test runs no GRPO task'),
  executor: new BuiltinEvaluationExecutor({ fetch: httpFetcher, hub, home: a.home, grpo: DEVNET_GRPO_EVAL, textInWorker: a.cpu === true }),
  tournaments: noTournaments,
  chain,
};
let closeSandbox = async (): Promise<void> => {};
if (a.sandbox) {
  const { Sandbox } = await import('../../src/sandbox/index.ts');
  const sandbox = await Sandbox.start({ rules: { poolSize: 1 } });
  ctx.rewards = { validate: async (code, rows) => sandbox.validateRewardFunction(code, rows as never) };
  closeSandbox = () => sandbox.close();
}
const sync = new MetagraphSync({ chain, store: new SqlNodeStore(db), netuid: a.netuid, clock, ourHotkey: key.ss58Address, log });
await sync.syncOnce();
sync.start();
const validator = new Validator(ctx, { synthetic: false, weights: true });
await validator.start();
const TERMINAL = ['success', 'failure', 'failure_finding_nodes', 'prep_task_failure'];
const openTasks = async (): Promise<number> =>
  (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM tasks WHERE status <> ALL($1::text[])', [TERMINAL])).rows[0]?.n ?? 0;
let idle = { cpuMs: 0, wallMs: 0 };
if (a.idleSeconds) {
  // Warm-up first (JIT, first metagraph sync, first weights pass), so the idle rate is the steady background only;
  // the idle window polls the database exactly as the task phase below does, so both carry the same probe cost.
  await new Promise((r) => setTimeout(r, (a.warmupSeconds ?? 0) * 1000));
  const c = cpuMs();
  const w = performance.now();
  while (performance.now() - w < a.idleSeconds * 1000) {
    await new Promise((r) => setTimeout(r, 200));
    await openTasks();
  }
  idle = { cpuMs: cpuMs() - c, wallMs: performance.now() - w };
}
const loopsCpu = cpuMs();
const loopsWall = performance.now();
for (const type of a.create ?? []) await createDevnetTask({ ctx }, type);

for (;;) {
  await new Promise((r) => setTimeout(r, 200));
  if ((await openTasks()) === 0) break;
}
await validator.stop();
const { rows: done } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM tasks');
if (a.cpu) log.info({ startup_cpu_ms: loopsCpu - startCpu - idle.cpuMs, idle_cpu_ms: idle.cpuMs, idle_wall_ms: idle.wallMs, loops_cpu_ms: cpuMs() - loopsCpu, loops_wall_ms: performance.now() - loopsWall, tasks: done[0]?.n ?? 0 }, 'validator cpu');
// Weights once more over the final scores (the loop may have set them before the last task finished).
for (let i = 0; i < 200; i++) {
  const attempt = await setWeightsOnce(ctx);
  log.info({ kind: attempt.kind }, 'final weights attempt');
  if (attempt.kind === 'set' || attempt.kind === 'nothing_to_set') break;
  await new Promise((r) => setTimeout(r, 250));
}
await sync.stop();
await closeSandbox();
await db.close();
log.info('all tasks finished');
process.exit(0);
