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
 * cannot write to the PGlite directory while this process has it open). With `gate` and `warmTasks` it first runs
 * those tasks to the end before it says it is warm, so the measured window sees a process that has already run
 * every code path once (V8's compiled code, zod's compiled parsers, lazily loaded modules), as a long-running
 * validator has; they are not counted in the window's tasks.
 *
 * argv: <json: { home, dataDir, hourSeconds, t0, r0, chainUrl, storageUrl, netuid, cpu?, sandbox?, gate?, weights?, remoteEval?, idleSeconds?, warmupSeconds?, databaseUrl?, create?, warmTasks? }>
 */
import pino from 'pino';
import { httpChain } from '../../src/chain/devnet/index.ts';
import { ScaledClock } from '../../src/clock/index.ts';
import { openDb } from '../../src/db/index.ts';
import type { Db, Queryable } from '../../src/db/types.ts';
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
const a = JSON.parse(raw) as { home: string; dataDir: string; hourSeconds: number; t0: number; r0: number; chainUrl: string; storageUrl: string; netuid: number; cpu?: boolean; sandbox?: boolean; gate?: boolean; weights?: boolean; remoteEval?: boolean; idleSeconds?: number; warmupSeconds?: number; databaseUrl?: string; create?: TaskType[]; warmTasks?: TaskType[] };
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
const opened = await openDb(a.databaseUrl ? { databaseUrl: a.databaseUrl } : { dataDir: a.dataDir });
// Diagnostics for the CPU bench (GOD_BENCH_QUERY_STATS=1): count statements and their wall time by text.
const queryStats = new Map<string, { n: number; ms: number }>();
const counted = <Q extends Queryable>(q: Q): Q =>
  new Proxy(q, {
    get(target, prop, receiver) {
      if (prop === 'query') {
        return async (sql: string, params?: readonly unknown[]) => {
          const t = performance.now();
          try {
            return await target.query(sql, params);
          } finally {
            const k = sql.replace(/\s+/g, ' ').trim().slice(0, 90);
            const e = queryStats.get(k) ?? { n: 0, ms: 0 };
            e.n++;
            e.ms += performance.now() - t;
            queryStats.set(k, e);
          }
        };
      }
      if (prop === 'transaction') return (fn: (tx: Queryable) => Promise<unknown>) => (target as unknown as Db).transaction((tx) => fn(counted(tx)));
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...x: unknown[]) => unknown).bind(target) : v;
    },
  });
const db = process.env.GOD_BENCH_QUERY_STATS ? counted(opened) : opened;
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
// With GOD_BENCH_QUERY_STATS also the validator's outgoing requests, by kind (task ids folded).
const requestStats = new Map<string, number>();
if (process.env.GOD_BENCH_QUERY_STATS) {
  const count = (k: string) => requestStats.set(k, (requestStats.get(k) ?? 0) + 1);
  const fold = (path: string) => path.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, ':task_id');
  const miners = ctx.miners;
  ctx.miners = {
    post: (call) => (count(`miner POST ${fold(call.path)}`), miners.post(call)),
    get: (call) => (count(`miner GET ${fold(call.path)}`), miners.get(call)),
  } as typeof miners;
  const hubPort = ctx.hub;
  ctx.hub = { repoInfo: (repo) => (count('hub repo info'), hubPort.repoInfo(repo)) }; // the devnet hub adapter has only repoInfo
}
if (a.remoteEval) {
  // The bench's busy child hands evaluation to the parent over IPC, as a production validator hands it to an
  // evaluation container: downloading the submitted repos and running the evaluator are then outside this process,
  // and what stays in it is the request and the result.
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  process.on('message', (m: { kind: string; id: number; result?: unknown; error?: string }) => {
    const p = pending.get(m.id);
    if (!p || m.kind !== 'evaluated') return;
    pending.delete(m.id);
    if (m.error !== undefined) p.reject(new Error(m.error));
    else p.resolve(m.result);
  });
  ctx.executor = {
    run: (job, signal) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        signal?.addEventListener('abort', () => process.send?.({ kind: 'cancel', id }), { once: true });
        process.send?.({ kind: 'evaluate', id, job });
      }),
  };
}
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
const validator = new Validator(ctx, { synthetic: false, weights: a.weights ?? true });
await validator.start();
const TERMINAL = ['success', 'failure', 'failure_finding_nodes', 'prep_task_failure'];
const openTasks = async (): Promise<number> =>
  (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM tasks WHERE status <> ALL($1::text[])', [TERMINAL])).rows[0]?.n ?? 0;
let idle = { cpuMs: 0, wallMs: 0 };
// Monotonic marks (ns, the clock V8 stamps --cpu-prof samples with) so the bench can split a profile by window.
const marks = { idleStartNs: 0, idleEndNs: 0, tasksStartNs: 0, tasksEndNs: 0 };
const hr = (): number => Number(process.hrtime.bigint());
if (a.idleSeconds) {
  // Warm-up first (JIT, first metagraph sync, first weights pass), so the idle rate is the steady background only;
  // the idle window polls the database exactly as the task phase below does, so both carry the same probe cost.
  await new Promise((r) => setTimeout(r, (a.warmupSeconds ?? 0) * 1000));
  const c = cpuMs();
  const w = performance.now();
  marks.idleStartNs = hr();
  while (performance.now() - w < a.idleSeconds * 1000) {
    await new Promise((r) => setTimeout(r, 200));
    await openTasks();
  }
  idle = { cpuMs: cpuMs() - c, wallMs: performance.now() - w };
  marks.idleEndNs = hr();
}
// With `gate`, the bench runs this child and an idle twin side by side: each says when it is warm, both start the
// measured window on the parent's `go`, and the twin (no tasks) ends it on the parent's `stop`, so the two windows
// share the machine's load and the twin's CPU is the background to subtract.
const stdinLines: string[] = [];
let stdinWaiter: (() => void) | null = null;
if (a.gate) {
  const { createInterface } = await import('node:readline');
  createInterface({ input: process.stdin }).on('line', (l) => {
    stdinLines.push(l.trim());
    stdinWaiter?.();
  });
}
const waitFor = async (word: string): Promise<void> => {
  while (!stdinLines.includes(word)) await new Promise<void>((r) => (stdinWaiter = r));
};
const warmTasks = a.gate ? (a.warmTasks ?? []) : [];
let warmCpuMs = 0;
if (warmTasks.length > 0) {
  const c = cpuMs();
  for (const type of warmTasks) await createDevnetTask({ ctx }, type);
  while ((await openTasks()) > 0) await new Promise((r) => setTimeout(r, 200));
  warmCpuMs = cpuMs() - c;
  log.info({ tasks: warmTasks.length }, 'warm-up tasks finished');
}
if (a.gate) {
  await new Promise((r) => setTimeout(r, (a.warmupSeconds ?? 0) * 1000));
  log.info('validator warm');
  await waitFor('go');
}
const loopsCpu = cpuMs();
const loopsWall = performance.now();
marks.tasksStartNs = hr();
queryStats.clear();
requestStats.clear();
for (const type of a.create ?? []) await createDevnetTask({ ctx }, type);

if (a.gate && (a.create ?? []).length === 0) {
  // The twin polls the database as the busy child does, so both carry the same probe cost.
  const stop = waitFor('stop').then(() => true);
  while (!(await Promise.race([stop, new Promise<false>((r) => setTimeout(() => r(false), 200))]))) await openTasks();
} else {
  for (;;) {
    await new Promise((r) => setTimeout(r, 200));
    if ((await openTasks()) === 0) break;
  }
}
marks.tasksEndNs = hr();
if (process.env.GOD_BENCH_QUERY_STATS) {
  const top = [...queryStats.entries()].sort((x, y) => y[1].ms - x[1].ms).slice(0, 40);
  for (const [sql, st] of top) process.stderr.write(`query[${(a.create ?? []).length > 0 ? "busy" : "twin"}] ${String(st.n).padStart(6)} × ${st.ms.toFixed(0).padStart(6)} ms  ${sql}\n`);
  for (const [k, n] of requestStats) process.stderr.write(`request[${(a.create ?? []).length > 0 ? 'busy' : 'twin'}] ${String(n).padStart(6)}  ${k}\n`);
}
await validator.stop();
const { rows: done } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM tasks');
if (a.cpu) log.info({ startup_cpu_ms: loopsCpu - startCpu - idle.cpuMs - warmCpuMs, warm_tasks: warmTasks.length, warm_cpu_ms: warmCpuMs, idle_cpu_ms: idle.cpuMs, idle_wall_ms: idle.wallMs, loops_cpu_ms: cpuMs() - loopsCpu, loops_wall_ms: performance.now() - loopsWall, tasks: (done[0]?.n ?? 0) - warmTasks.length, cpu_marks: marks }, 'validator cpu');
// Weights once more over the final scores (the loop may have set them before the last task finished). The bench's
// idle twin sets none (it shares the busy child's hotkey and chain).
const twin = a.gate === true && (a.create ?? []).length === 0;
for (let i = 0; i < 200 && !twin; i++) {
  const before = cpuMs();
  const attempt = await setWeightsOnce(ctx);
  log.info({ kind: attempt.kind }, 'final weights attempt');
  if (attempt.kind === 'set' && a.cpu) log.info({ weights_cpu_ms: cpuMs() - before, tasks: done[0]?.n ?? 0 }, 'weights cpu');
  if (attempt.kind === 'set' || attempt.kind === 'nothing_to_set') break;
  await new Promise((r) => setTimeout(r, 250));
}
await sync.stop();
await closeSandbox();
await db.close();
log.info('all tasks finished');
process.exit(0);
