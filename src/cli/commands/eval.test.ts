/**
 * `god eval` end to end with the built-in executor: a small instruct task in a temporary PGlite database, its
 * test set served over loopback HTTP (as signed URLs are), tiny GPT repos in a local hub, then the command itself
 * in a child process. The losses must equal what the engine computes for the same files directly.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.ts';
import type { Config } from '../../config/schema.ts';
import type { AnyRawTask } from '../../core/models/tasks.ts';
import { insertTask } from '../../db/queries/tasks.ts';
import { upsertSubmission } from '../../db/queries/validator-nodes.ts';
import { openTestDb, type TestDb } from '../../db/testing.ts';
import { gptConfig } from '../../ml/config.ts';
import { proceduralInstruct } from '../../ml/data/procedural.ts';
import { encodeInstruct } from '../../ml/data/template.ts';
import { evaluateInstructRepos } from '../../ml/evaluate.ts';
import { Gpt } from '../../ml/gpt.ts';
import { saveModel } from '../../ml/hub-format.ts';
import { LocalModelHub } from '../../storage/hub/local.ts';
import { formatTable, runEval, type EvalReport } from './eval.ts';

const run = promisify(execFile);
const cfg = gptConfig({ contextLength: 32, width: 16, depth: 1, heads: 2 });
const rows = proceduralInstruct({ seed: 3, count: 12, split: 'test', tasks: ['copy', 'first'], minLength: 3, maxLength: 4 });
const HOTKEY_A = '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty';
const HOTKEY_B = '5FLSigC9HGRKVhB9FiEo4Y3koPsNmBmLJbpXg2mp1hXcS59Y';

let tdb: TestDb;
let home: string;
let server: http.Server;
let taskId: string;
let config: Config;
let originalDir: string;

async function uploadDir(hub: LocalModelHub, repo: string, dir: string): Promise<void> {
  const files = [];
  for (const name of await readdir(dir)) files.push({ path: name, bytes: new Uint8Array(await readFile(join(dir, name))) });
  await hub.createRepo(repo, { existOk: true });
  await hub.upload(repo, files, { message: 'model' });
}

beforeAll(async () => {
  tdb = await openTestDb('pglite', { onDisk: true });
  home = dirname(tdb.location);
  originalDir = join(home, 'base-model');
  await saveModel(originalDir, Gpt.init(cfg, 1));
  await saveModel(join(home, 'cand-a'), Gpt.init(cfg, 2));
  await saveModel(join(home, 'cand-b'), Gpt.init(cfg, 1));
  const hub = await LocalModelHub.open({ root: join(home, 'hub') });
  await uploadDir(hub, 'alice/task-model', join(home, 'cand-a'));
  await uploadDir(hub, 'bob/task-model', join(home, 'cand-b'));

  const body = JSON.stringify(rows);
  server = http.createServer((req, res) => (req.url?.startsWith('/blobs/test.json?') ? res.end(body) : res.writeHead(404).end()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/blobs/test.json?expires=9&signature=x`;

  const task = await insertTask(tdb.db, {
    task_type: 'InstructTextTask',
    is_organic: false,
    status: 'success',
    model_id: originalDir,
    ds: 'god-local/procedural',
    account_id: '00000000-0000-0000-0000-000000000000',
    hours_to_complete: 1,
    created_at: new Date().toISOString(),
    field_instruction: 'instruct',
    field_input: 'input',
    field_output: 'output',
    field_system: null,
    format: null,
    no_input_format: null,
    file_format: 'json',
    test_data: url,
    synthetic_data: url,
  } as AnyRawTask);
  taskId = String(task.task_id);
  config = loadConfig({ env: { GOD_HOME: home } }).config;
  for (const [hotkey, repo] of [[HOTKEY_A, 'alice/task-model'], [HOTKEY_B, 'bob/task-model']] as const) {
    await upsertSubmission(tdb.db, { taskId, hotkey, netuid: config.protocol.netuid, repo, modelHash: null, now: new Date() });
  }
}, 120_000);

afterAll(async () => {
  server?.close();
  await tdb?.cleanup();
  if (home) await rm(home, { recursive: true, force: true });
});

/** What the engine itself says for these directories and rows. */
async function expectedLosses(): Promise<Record<string, number>> {
  const examples = rows.map((r) => encodeInstruct({ instruct: r.instruct, input: r.input ?? null, output: r.output, system: null }, {}));
  const out = await evaluateInstructRepos(originalDir, [{ id: 'a', dir: join(home, 'cand-a') }, { id: 'b', dir: join(home, 'cand-b') }], examples);
  return { 'alice/task-model': (out.a as { eval_loss: number }).eval_loss, 'bob/task-model': (out.b as { eval_loss: number }).eval_loss };
}

describe('god eval', () => {
  let report: EvalReport;

  it('re-evaluates the task\'s submissions with the built-in engine and scores them', async () => {
    report = await runEval({ taskId }, { db: tdb.db, config });
    const expected = await expectedLosses();
    expect(report.executor).toBe('builtin');
    expect(report.task_type).toBe('InstructTextTask');
    expect(report.model_params_count).toBeGreaterThan(0);
    const byRepo = Object.fromEntries(report.rows.map((r) => [r.repo, r]));
    for (const repo of ['alice/task-model', 'bob/task-model']) {
      expect(byRepo[repo]!.test_loss).toBeCloseTo(expected[repo]!, 10);
      // The synthetic file is the same here, so the top repos get the same loss on it.
      expect(byRepo[repo]!.synth_loss).toBeCloseTo(expected[repo]!, 10);
      expect(byRepo[repo]!.is_finetune).toBe(true);
    }
    expect(byRepo['alice/task-model']!.hotkey).toBe(HOTKEY_A);
    // Lower loss wins the task's top score.
    const [best, worst] = expected['alice/task-model']! < expected['bob/task-model']! ? ['alice/task-model', 'bob/task-model'] : ['bob/task-model', 'alice/task-model'];
    expect(byRepo[best]!.score).toBeGreaterThan(byRepo[worst]!.score);
    expect(formatTable(report)).toContain(`${best}`);
  }, 120_000);

  it('--models evaluates only the named repos; an unknown task is an error', async () => {
    const one = await runEval({ taskId, models: ['bob/task-model'], synth: false }, { db: tdb.db, config });
    expect(one.rows.map((r) => [r.repo, r.hotkey, r.synth_loss === r.test_loss])).toEqual([['bob/task-model', HOTKEY_B, true]]);
    const stray = await runEval({ taskId, models: ['nobody/missing'], synth: false }, { db: tdb.db, config });
    expect(stray.rows[0]!.hotkey).toBeNull();
    expect(stray.rows[0]!.score_reason).toMatch(/could not download nobody\/missing/);
    await expect(runEval({ taskId: '6b0c3e0e-0000-4000-8000-000000000000' }, { db: tdb.db, config })).rejects.toThrow(/not in the database/);
  }, 120_000);

  it('runs as a command: `god eval --task-id … --json` on the same database', async () => {
    await tdb.db.close();
    const env = { ...process.env, GOD_HOME: home, GOD_LOG_LEVEL: 'silent' };
    const { stdout } = await run('node', ['bin/god.js', 'eval', '--task-id', taskId, '--json', '--no-synth'], { env, cwd: process.cwd(), timeout: 120_000 });
    const cli = JSON.parse(stdout) as EvalReport;
    expect(cli.rows.map((r) => [r.repo, r.test_loss])).toEqual(report.rows.map((r) => [r.repo, r.test_loss]));
    const table = await run('node', ['bin/god.js', 'eval', '--task-id', taskId, '--no-synth'], { env, cwd: process.cwd(), timeout: 120_000 });
    expect(table.stdout.split('\n')[1]).toMatch(/^repo\s+hotkey\s+test_loss\s+synth_loss\s+finetune\s+score\s+reason$/);
  }, 180_000);
});
