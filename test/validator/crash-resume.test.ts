/**
 * Reliability: the validator is killed with SIGKILL at ≥ 20 points spread over every phase of the pipeline and
 * restarted on the same database; at the end no task is lost, none is stuck, none was scored twice, every
 * status history is a legal path through the state machine, and a miner told an expected repo name before a
 * crash is told the same one after it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SYNTHETIC_ACCOUNT_ID, type AnyRawTask } from '../../src/core/models/tasks.ts';
import { canTransition } from '../../src/core/task-status.ts';
import { openDb, type Db } from '../../src/db/index.ts';
import { insertTask, listTaskEvents } from '../../src/db/queries/tasks.ts';
import { openTestDb } from '../../src/db/testing.ts';
import { initCrypto } from '../../src/keys/keypair.ts';
import { FakeMiner } from './support/fake-miner.ts';
import { registerNodes } from './support/context.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = fileURLToPath(new URL('./support/crash-child.ts', import.meta.url));
const T0 = Date.parse('2025-08-01T10:00:00Z');
const FACTOR = 1200; // one task hour = 3 s
/** Enough work that the kills land before the pipeline runs dry (more is added if it does). */
const INITIAL_BATCHES = 3;

/** Log messages that mark a phase; the parent kills right after one of them appears. */
const PHASES: [string, string][] = [
  ['prep:start', 'preparing task data'],
  ['prep:done', 'task data ready; looking for miners'],
  ['offers:start', 'offering the task to miners'],
  ['offers:answer', 'offer answered'],
  ['offers:done', 'miners found; task ready'],
  ['training:send', 'start-training sent'],
  ['training:done', 'training started'],
  ['deadline', 'training time is over; task waits for evaluation'],
  ['evaluation:start', 'evaluating submissions on the test set'],
  ['evaluation:done', 'task scored'],
  ['restart', 'validator started'],
];

const miners: FakeMiner[] = [];
let dataDir = '';
let parentDir = '';

beforeAll(async () => {
  await initCrypto();
  for (const [uri, behaviour] of [
    ['//CrashGoodA', 'good'],
    ['//CrashGoodB', 'good'],
    ['//CrashGoodC', 'good'],
    ['//CrashWrong', 'wrong_repo'],
    ['//CrashDown', 'down'],
  ] as const) {
    const m = new FakeMiner({ uri, behaviour });
    await m.start();
    miners.push(m);
  }
  const t = await openTestDb('pglite', { onDisk: true });
  dataDir = t.location;
  parentDir = dirname(dataDir);
  await registerNodes(t.db, 56, miners, new Date(T0));
  for (let b = 0; b < INITIAL_BATCHES; b++) await addBatch(t.db, b);
  await t.db.close();
});

afterAll(async () => {
  await Promise.all(miners.map((m) => m.stop()));
  if (parentDir) rmSync(parentDir, { recursive: true, force: true });
});

/** Ten tasks of every text type: nine that succeed and one whose dataset lacks the named column. */
async function addBatch(db: Db, batch: number): Promise<void> {
  const base = {
    is_organic: true,
    status: 'pending',
    model_id: 'god-local/tiny-gpt',
    account_id: 'e3947cb3-7c20-41c7-b215-9a5e96c29011',
    hours_to_complete: 1,
    created_at: new Date(T0).toISOString(),
    next_delay_at: new Date(T0).toISOString(),
    result_model_name: `batch-${batch}`,
  };
  const instruct = { task_type: 'InstructTextTask', field_instruction: 'instruction', field_input: 'input', field_output: 'output' };
  const tasks: Record<string, unknown>[] = [
    { ...base, ...instruct, ds: 'god-local/strings-instruct@4500' },
    { ...base, ...instruct, ds: 'god-local/arith-instruct@4500', is_organic: false, account_id: SYNTHETIC_ACCOUNT_ID },
    { ...base, ...instruct, ds: 'god-local/strings-instruct@5000', hours_to_complete: 2 },
    { ...base, ...instruct, ds: 'god-local/arith-instruct@5000', field_input: null },
    { ...base, ...instruct, ds: 'god-local/strings-instruct@4600', is_organic: false, account_id: SYNTHETIC_ACCOUNT_ID },
    { ...base, task_type: 'DpoTask', ds: 'god-local/strings-dpo@4500', field_prompt: 'prompt', field_chosen: 'chosen', field_rejected: 'rejected' },
    { ...base, task_type: 'ChatTask', ds: 'god-local/mixed-chat@4500', chat_column: 'conversations', chat_template: 'chatml' },
    {
      ...base,
      task_type: 'GrpoTask',
      ds: 'god-local/strings-grpo@4500',
      field_prompt: 'prompt',
      extra_column: 'extra_data',
      reward_functions: [{ reward_func: 'def r(completions, **kwargs):\n    return [1.0 for _ in completions]', reward_weight: 1 }],
    },
    { ...base, task_type: 'DpoTask', ds: 'god-local/arith-dpo@4500', field_prompt: 'prompt', field_chosen: 'chosen', field_rejected: 'rejected', is_organic: false, account_id: SYNTHETIC_ACCOUNT_ID },
    { ...base, ...instruct, ds: 'god-local/strings-instruct@4500', field_instruction: 'no_such_column' },
  ];
  for (const task of tasks) await insertTask(db, task as AnyRawTask, { now: new Date(T0) });
}

interface Run {
  child: ChildProcess;
  seen: string[];
  exited: Promise<number | null>;
  waitFor(phase: string, timeoutMs: number): Promise<boolean>;
}

function startChild(r0: number): Run {
  const losses = { crashgooda: 0.4, crashgoodb: 0.6, crashgoodc: 0.8, crashwrong: 0.1 };
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, JSON.stringify({ t0: T0, r0, factor: FACTOR, losses })], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const seen: string[] = [];
  const waiters: { phase: string; resolve: (hit: boolean) => void }[] = [];
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
      const phase = PHASES.find(([, m]) => m === msg)?.[0];
      if (!phase) continue;
      seen.push(phase);
      for (const w of waiters.filter((x) => x.phase === phase)) w.resolve(true);
    }
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      if (code !== 0 && code !== null) console.error(stderr);
      for (const w of waiters) w.resolve(false);
      resolve(code);
    }),
  );
  return {
    child,
    seen,
    exited,
    waitFor: (phase, timeoutMs) =>
      new Promise((resolve) => {
        if (seen.includes(phase)) return resolve(true);
        waiters.push({ phase, resolve });
        setTimeout(() => resolve(false), timeoutMs);
      }),
  };
}

it('survives kill -9 at 20+ points across all states: nothing lost, stuck or scored twice', async () => {
  const r0 = Date.now();
  const kills: string[] = [];
  let batches = INITIAL_BATCHES;
  for (let round = 0; round < 60 && kills.length < 21; round++) {
    const run = startChild(r0);
    const target = PHASES[round % PHASES.length]![0];
    // Start-up (tsx, PGlite, crypto) takes seconds on a loaded machine; phases are counted from there.
    const up = target === 'restart' ? Promise.resolve(true) : Promise.race([run.waitFor('restart', 30_000), run.exited.then(() => false)]);
    const hit = (await up) && (await Promise.race([run.waitFor(target, 6_000), run.exited.then(() => false)]));
    // A few ms after the phase's line (the next statement may be mid-flight).
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 15)));
    if (run.child.exitCode !== null) {
      expect(run.child.exitCode).toBe(0);
      // Everything finished before enough kills: give it more work.
      const db = await openDb({ dataDir });
      await addBatch(db, batches++);
      await db.close();
      continue;
    }
    run.child.kill('SIGKILL');
    await run.exited;
    kills.push(hit ? target : `random(${run.seen.at(-1) ?? 'start'})`);
  }
  // Run to completion.
  {
    const run = startChild(r0);
    const code = await Promise.race([run.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 120_000))]);
    if (code === 'timeout') run.child.kill('SIGKILL');
    expect(code).toBe(0);
  }
  console.log(kills.join(' '));
  expect(kills.length).toBeGreaterThanOrEqual(20);
  const phasesHit = new Set(kills.filter((k) => !k.startsWith('random')));
  expect(phasesHit.size).toBeGreaterThanOrEqual(6);

  const db = await openDb({ dataDir });
  try {
    const { rows: tasks } = await db.query<{ task_id: string; status: string; n_eval_attempts: number; task_type: string; ds: string }>(
      'SELECT task_id, status, n_eval_attempts, task_type::text, ds FROM tasks ORDER BY created_at, task_id',
    );
    expect(tasks).toHaveLength(10 * batches); // none lost, none duplicated
    const byStatus = tasks.map((t) => t.status);
    for (const task of tasks.filter((x) => x.status !== 'success' && x.status !== 'prep_task_failure')) {
      const path = (await listTaskEvents(db, task.task_id)).map((e) => `${e.event_type}:${e.to_status ?? ''}:${JSON.stringify(e.detail)}`);
      console.log(task.task_type, task.ds, task.status, path.join('\n  '));
    }
    expect(byStatus.filter((s) => s === 'success')).toHaveLength(9 * batches);
    expect(byStatus.filter((s) => s === 'prep_task_failure')).toHaveLength(batches);
    for (const task of tasks) {
      const events = (await listTaskEvents(db, task.task_id)).filter((e) => e.to_status !== null);
      // a legal path: each change starts where the previous ended and is allowed by the state machine
      for (let i = 1; i < events.length; i++) {
        expect(events[i]!.from_status, `task ${task.task_id} event ${i}`).toBe(events[i - 1]!.to_status);
        expect(canTransition(events[i]!.from_status!, events[i]!.to_status!)).toBe(true);
      }
      // scored once: exactly one outcome written from evaluating, and the attempt counter agrees
      const outcomes = events.filter((e) => e.from_status === 'evaluating' && e.detail.recovery !== true);
      if (task.status === 'success') {
        expect(outcomes).toHaveLength(1);
        expect(task.n_eval_attempts).toBe(1);
      }
    }
    // the winner of each successful task is the best miner assigned to it (GRPO: highest reward); a good miner
    // whose offer reply was lost to a kill or a timeout may not be assigned to every task
    const { rows: assigned } = await db.query<{ task_id: string; task_type: string; hotkey: string; quality_score: number | null }>(
      `SELECT t.task_id, t.task_type::text, x.hotkey, x.quality_score FROM task_nodes x JOIN tasks t USING (task_id)
        WHERE t.status = 'success'`,
    );
    const loss = new Map([[miners[0]!.hotkey, 0.4], [miners[1]!.hotkey, 0.6], [miners[2]!.hotkey, 0.8]]);
    const successIds = new Set(assigned.map((a) => a.task_id));
    expect(successIds.size).toBe(9 * batches);
    for (const id of successIds) {
      const rows = assigned.filter((a) => a.task_id === id);
      const good = rows.filter((r) => loss.has(r.hotkey));
      const grpo = rows[0]!.task_type === 'GrpoTask';
      const best = good.sort((a, b) => (grpo ? loss.get(b.hotkey)! - loss.get(a.hotkey)! : loss.get(a.hotkey)! - loss.get(b.hotkey)!))[0]!;
      expect(rows.filter((r) => r.quality_score === 3).map((r) => r.hotkey)).toEqual([best.hotkey]);
      // everyone else assigned was scored too (0 or −1), nobody left unscored
      expect(rows.every((r) => r.quality_score !== null)).toBe(true);
    }
    // expected repo names survive restarts: what each miner was last told is what the database holds
    const { rows: names } = await db.query<{ task_id: string; hotkey: string; expected_repo_name: string }>(
      'SELECT task_id, hotkey, expected_repo_name FROM task_nodes WHERE expected_repo_name IS NOT NULL',
    );
    for (const n of names) {
      const m = miners.find((x) => x.hotkey === n.hotkey)!;
      const told = new Set(m.starts.filter((s) => s.body.task_id === n.task_id).map((s) => s.body.expected_repo_name));
      if (told.size > 0) expect([...told]).toEqual([n.expected_repo_name]);
    }
  } finally {
    await db.close();
  }
}, 900_000);
