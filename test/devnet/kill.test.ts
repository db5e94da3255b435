/**
 * Reliability of the whole devnet: the validator runs in a child process (test/devnet/kill-child.ts) against the
 * chain, storage and real built-in miners this test runs, on a PGlite data directory. It is killed with SIGKILL at
 * 20+ points spread over every task state — pending, preparing_data, looking_for_nodes, ready, training,
 * preevaluation, evaluating — and while it sets weights (right after the chain applied its set_weights call, before
 * the scores file is stored), and restarted on the same database each time. At the end no task is lost, none is
 * stuck (all terminal), none was scored twice, and every status history is a legal path of the state machine.
 *
 * Kill points come from the child's log lines (each state change the validator makes is logged) and, for weight
 * setting, from the chain itself: the parent owns the chain and sees the call arrive.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import type { GodServer } from '../../src/http/server.ts';
import { serveDevnetChain } from '../../src/chain/devnet/index.ts';
import { canTransition } from '../../src/core/task-status.ts';
import { openDb, type Db } from '../../src/db/index.ts';
import { listTaskEvents } from '../../src/db/queries/tasks.ts';
import { createDevnetTask, startDevnet, type Devnet } from '../../src/devnet/devnet.ts';
import { ensureBaseModel } from '../../src/ml/zoo.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = fileURLToPath(new URL('./kill-child.ts', import.meta.url));
/** The fastest time scale the built-in miners keep up with: one task hour = 8 s. */
const HOUR_SECONDS = 8;
const STEPS = 8;
const MIN_KILLS = Number(process.env.GOD_KILL_POINTS ?? 20);

/** Where the parent kills: the log line that marks the state, or the chain seeing set_weights. */
const TARGETS: [state: string, msg: string][] = [
  ['pending', 'validator started'],
  ['preparing_data', 'preparing task data'],
  ['looking_for_nodes', 'task data ready; looking for miners'],
  ['ready', 'miners found; task ready'],
  ['training', 'training started'],
  ['preevaluation', 'training time is over; task waits for evaluation'],
  ['evaluating', 'evaluating submissions on the test set'],
  ['weights', '(chain: set_weights applied)'],
];

const home = mkdtempSync(join(tmpdir(), 'god-devnet-kill-'));
const dataDir = join(home, 'validator-db');
let dn: Devnet | undefined;
let chainServer: GodServer | undefined;
afterAll(async () => {
  await chainServer?.close();
  await dn?.stop();
  rmSync(home, { recursive: true, force: true });
});

/** Instruct and DPO tasks with staggered deadlines, so the states overlap. */
async function addBatch(db: Db, devnet: Devnet): Promise<number> {
  const ctx = { ...devnet.ctx, db, clock: devnet.clock };
  const types = [['InstructTextTask', 1], ['InstructTextTask', 2], ['DpoTask', 1], ['InstructTextTask', 2]] as const;
  for (const [type, hours] of types) await createDevnetTask({ ctx }, type, { hours });
  return types.length;
}

interface Run {
  child: ChildProcess;
  seen: string[];
  exited: Promise<number | null>;
  /** The first of `states` seen from now on (null after `timeoutMs` or when the child exits). */
  waitForAny(states: readonly string[], timeoutMs: number): Promise<string | null>;
  note(state: string): void;
}

let current: Run | undefined;

function startChild(args: Record<string, unknown>): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(args)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const seen: string[] = [];
  const waiters: { states: readonly string[]; resolve: (hit: string | null) => void }[] = [];
  const note = (state: string) => {
    seen.push(state);
    for (const w of waiters.filter((x) => x.states.includes(state))) w.resolve(state);
  };
  let buffer = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    buffer += d.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      let msg = '';
      try {
        msg = (JSON.parse(line) as { msg?: string }).msg ?? '';
      } catch {
        continue;
      }
      const state = TARGETS.find(([, m]) => m === msg)?.[0];
      if (state) note(state);
    }
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      if (code !== 0 && code !== null) console.error(stderr.slice(-4000));
      for (const w of waiters) w.resolve(null);
      resolve(code);
    }),
  );
  return {
    child,
    seen,
    exited,
    note,
    waitForAny: (states, timeoutMs) =>
      new Promise((resolve) => {
        waiters.push({ states, resolve });
        setTimeout(() => resolve(null), timeoutMs);
      }),
  };
}

it(`kill -9 of the devnet's validator at ${MIN_KILLS}+ points across every state: no task lost, stuck or scored twice`, async () => {
  await ensureBaseModel('god-local/tinygpt-tiny', { home });
  const devnet = await startDevnet({
    home,
    hourSeconds: HOUR_SECONDS,
    steps: STEPS,
    runValidator: false,
    miners: [
      { name: 'bob', uri: '//Bob', kind: 'builtin', recipe: 'aggressive' },
      { name: 'dave', uri: '//Dave', kind: 'broken' },
      { name: 'eve', uri: '//Eve', kind: 'copycat', copies: 'bob' },
    ],
  });
  dn = devnet;
  const served = await serveDevnetChain(devnet.chain);
  chainServer = served.server;
  // The weight-setting kill point: the chain has applied set_weights; the child has not stored the scores file yet.
  const submit = devnet.chain.submit.bind(devnet.chain);
  devnet.chain.submit = async (raw: unknown) => {
    const receipt = await submit(raw);
    if ((raw as { op?: unknown }).op === 'set_weights') current?.note('weights');
    return receipt;
  };

  let created = 0;
  {
    const db = await openDb({ dataDir, migrate: true });
    created += await addBatch(db, devnet);
    await db.close();
  }
  const args = { home, dataDir, hourSeconds: HOUR_SECONDS, t0: devnet.clock.now(), r0: Date.now(), chainUrl: served.url, storageUrl: devnet.storage.baseUrl, netuid: devnet.ctx.netuid };

  const kills: string[] = [];
  const started = Date.now();
  // Each round kills at the first state seen that this cycle has not killed in yet (a cycle covers all states), so
  // rounds do not wait for one particular state while others pass by.
  let cycle = new Set<string>();
  for (let round = 0; round < 80 && kills.length < MIN_KILLS; round++) {
    if (cycle.size === TARGETS.length) cycle = new Set();
    const want = TARGETS.map(([state]) => state).filter((state) => !cycle.has(state));
    const run = (current = startChild(args));
    // Start-up (tsx, PGlite, crypto) takes seconds on a loaded machine; states are watched from there.
    const up = await run.waitForAny(['pending'], 60_000);
    const hit = up === null ? null : want.includes('pending') ? 'pending' : await run.waitForAny(want, 10_000);
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 15)));
    if (run.child.exitCode !== null) {
      expect(run.child.exitCode).toBe(0);
      // Everything finished before enough kills: more work.
      const db = await openDb({ dataDir });
      created += await addBatch(db, devnet);
      await db.close();
      continue;
    }
    run.child.kill('SIGKILL');
    await run.exited;
    if (hit) cycle.add(hit);
    kills.push(hit ?? `random(after ${run.seen.at(-1) ?? 'start'})`);
  }
  const killSeconds = (Date.now() - started) / 1000;
  {
    const run = (current = startChild(args));
    const code = await Promise.race([run.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 240_000))]);
    if (code === 'timeout') run.child.kill('SIGKILL');
    expect(code).toBe(0);
  }
  console.log(`${kills.length} kills in ${killSeconds.toFixed(0)}s: ${kills.join(' ')}`);
  expect(kills.length).toBeGreaterThanOrEqual(MIN_KILLS);
  // Every state was hit at least once by a targeted kill (weights included).
  const hitStates = new Set(kills.filter((k) => !k.startsWith('random')));
  expect([...hitStates].sort()).toEqual(TARGETS.map(([s]) => s).sort());

  const db = await openDb({ dataDir });
  try {
    const { rows: tasks } = await db.query<{ task_id: string; status: string; n_eval_attempts: number; task_type: string }>(
      'SELECT task_id, status, n_eval_attempts, task_type::text FROM tasks ORDER BY created_at, task_id',
    );
    expect(tasks).toHaveLength(created); // none lost, none duplicated
    for (const task of tasks) {
      expect(['success', 'failure', 'failure_finding_nodes', 'prep_task_failure'], `task ${task.task_id} is stuck`).toContain(task.status);
      const events = (await listTaskEvents(db, task.task_id)).filter((e) => e.to_status !== null);
      for (let i = 1; i < events.length; i++) {
        expect(events[i]!.from_status, `task ${task.task_id} event ${i}`).toBe(events[i - 1]!.to_status);
        expect(canTransition(events[i]!.from_status!, events[i]!.to_status!)).toBe(true);
      }
      // Scored once per attempt: one outcome leaves evaluating per counted attempt, never an extra one.
      const outcomes = events.filter((e) => e.from_status === 'evaluating' && e.detail.recovery !== true);
      expect(outcomes, `task ${task.task_id}`).toHaveLength(task.n_eval_attempts);
      const results = (await listTaskEvents(db, task.task_id)).filter((e) => e.event_type === 'evaluation_result');
      const perMiner = new Map<string, number>();
      for (const r of results) perMiner.set(String(r.detail.hotkey), (perMiner.get(String(r.detail.hotkey)) ?? 0) + 1);
      // A result event is written when a miner's score is set or changes (migration 0006): a re-evaluation that gives
      // the same score adds none, so at most one per attempt — never more.
      for (const [hotkey, n] of perMiner) expect(n, `task ${task.task_id} miner ${hotkey}`).toBeLessThanOrEqual(task.n_eval_attempts);
    }
    const successes = tasks.filter((t) => t.status === 'success').length;
    console.log(`${tasks.length} tasks: ${successes} success; ${tasks.map((t) => `${t.task_type}=${t.status}/${t.n_eval_attempts}`).join(', ')}`);
    expect(successes).toBeGreaterThanOrEqual(Math.ceil(tasks.length / 2));
    // Weights were set over the final scores and the chain holds them.
    const { weights } = await devnet.chain.weights(devnet.ctx.netuid, devnet.validatorUid);
    expect(weights.some(([, w]) => w > 0)).toBe(true);
  } finally {
    await db.close();
  }
}, 600_000);
