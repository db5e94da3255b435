/**
 * Test harness for tournaments: a fake trainer (a loopback HTTP server that "trains" instantly — the real trainer
 * runs miners' code, which these tests do not need), loopback miners answering `/training_repo/{type}` to signed
 * requests, metagraph rows, and a stand-in for the validator's evaluation that writes known losses into
 * `task_nodes`, so round winners are known in advance.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ManualClock } from '../../src/clock/index.ts';
import { trainerProxyRequestSchema, type TrainerProxyRequest } from '../../src/core/models/trainer.ts';
import type { TaskStatus } from '../../src/core/enums.ts';
import { tournamentRules, type TournamentRules } from '../../src/core/rules/tournament.ts';
import { setTaskStatus } from '../../src/db/queries/tasks.ts';
import type { Db, Queryable } from '../../src/db/types.ts';
import { Sr25519Keypair } from '../../src/keys/keypair.ts';
import { silentLogger } from '../../src/log/index.ts';
import { SignedClient } from '../../src/net/client.ts';
import { tournamentContext, type TournamentContext } from '../../src/tournament/context.ts';
import { fetchPass, gpuSyncPass, handOffPass, monitorPass, registerTrainer, schedulePass } from '../../src/tournament/orchestrator.ts';
import { lifecycleUntilIdle, publishPass, schedulingPass } from '../../src/tournament/lifecycle.ts';
import { signedRepoSource } from '../../src/tournament/repo-source.ts';
import { staticTaskFactory } from '../../src/tournament/task-factory.ts';
import { HttpTrainerClient } from '../../src/tournament/trainer-client.ts';
import type { RepoPublisher, TournamentTaskFactory } from '../../src/tournament/ports.ts';
import { seededRandom } from '../../src/validator/rng.ts';

export const NETUID = 56;

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}

export interface FakeJob {
  request: TrainerProxyRequest;
  status: 'training' | 'success' | 'failure';
  starts: number;
}

/**
 * A trainer that finishes every job at once with the outcome `outcome` picks (default success), refuses starts whose
 * GPUs overlap a running job (409), and counts starts per (task, hotkey).
 */
export class FakeTrainer {
  readonly jobs = new Map<string, FakeJob>();
  readonly overlaps: string[] = [];
  outcome: (r: TrainerProxyRequest) => FakeJob['status'] = () => 'success';
  refuse: ((r: TrainerProxyRequest) => { status: number; body: unknown } | null) | null = null;
  private server: http.Server;
  port = 0;

  constructor(readonly gpus: { gpu_id: number; gpu_type: string; vram_gb: number }[]) {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err) => send(res, 500, { detail: String(err) }));
    });
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.port = await listen(this.server);
    return this;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  private busy(): Set<number> {
    const ids = new Set<number>();
    for (const j of this.jobs.values()) if (j.status === 'training') for (const g of j.request.gpu_ids) ids.add(g);
    return ids;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'POST' && url.pathname === '/v1/trainer/start_training') {
      const parsed = trainerProxyRequestSchema.safeParse(await readJson(req));
      if (!parsed.success) return send(res, 422, { detail: parsed.error.issues });
      const r = parsed.data;
      const refusal = this.refuse?.(r);
      if (refusal) return send(res, refusal.status, refusal.body);
      const busy = this.busy();
      const key = `${r.training_data.task_id}:${r.hotkey}`;
      const own = this.jobs.get(key);
      if (r.gpu_ids.some((g) => busy.has(g)) && !(own && own.status === 'training')) {
        this.overlaps.push(key);
        return send(res, 409, { detail: 'GPUs busy' });
      }
      this.jobs.set(key, { request: r, status: this.outcome(r), starts: (own?.starts ?? 0) + 1 });
      return send(res, 200, { message: 'Started Training!', task_id: r.training_data.task_id });
    }
    if (req.method === 'GET' && url.pathname === '/v1/trainer/get_gpu_availability') {
      const busy = this.busy();
      return send(res, 200, this.gpus.map((g) => ({ ...g, available: !busy.has(g.gpu_id), used_until: null })));
    }
    const m = /^\/v1\/trainer\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && m) {
      const job = this.jobs.get(`${decodeURIComponent(m[1]!)}:${url.searchParams.get('hotkey')}`);
      if (!job) return send(res, 404, { detail: 'not found' });
      return send(res, 200, { ...job.request, status: job.status, started_at: null, finished_at: null, wandb_url: null, logs: [`[x] ${job.status}`] });
    }
    send(res, 404, { detail: 'no route' });
  }

  /** Distinct (task, hotkey) jobs and total starts. */
  starts(): { jobs: number; starts: number } {
    let starts = 0;
    for (const j of this.jobs.values()) starts += j.starts;
    return { jobs: this.jobs.size, starts };
  }
}

/**
 * One loopback server answering `/training_repo/{type}` for many miners (by the signed request's miner-hotkey
 * header); `answers` is keyed by `<hotkey>:<type>` or just `<hotkey>`.
 */
export class FakeMiners {
  readonly answers = new Map<string, unknown>();
  private server = http.createServer((req, res) => {
    const hotkey = String(req.headers['miner-hotkey'] ?? '');
    const m = /^\/training_repo\/(text|image)$/.exec(req.url ?? '');
    const answer = this.answers.get(`${hotkey}:${m?.[1]}`) ?? this.answers.get(hotkey);
    if (!m || answer === undefined) return send(res, 404, { detail: 'no' });
    if (answer === 'garbage') {
      res.statusCode = 200;
      return res.end('not json');
    }
    send(res, 200, answer);
  });
  port = 0;

  async start(): Promise<this> {
    this.port = await listen(this.server);
    return this;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

export function commitOf(i: number): string {
  return (i.toString(16).padStart(2, '0') + 'a'.repeat(38)).slice(0, 40);
}

export async function seedNodes(db: Queryable, nodes: readonly { hotkey: string; alphaStake: number; port: number }[]): Promise<void> {
  for (const [i, n] of nodes.entries()) {
    await db.query(
      `INSERT INTO nodes (hotkey, netuid, node_id, coldkey, ip, ip_type, port, stake, alpha_stake, tao_stake)
       VALUES ($1, $2, $3, $4, '127.0.0.1', 4, $5, $6, $6, 0)
       ON CONFLICT (hotkey, netuid) DO UPDATE SET alpha_stake = EXCLUDED.alpha_stake, port = EXCLUDED.port`,
      [n.hotkey, NETUID, i, `cold-${n.hotkey}`, n.port, n.alphaStake],
    );
  }
}

const PATHS: Record<string, TaskStatus[]> = {
  looking_for_nodes: ['ready', 'training', 'preevaluation', 'evaluating'],
  training: ['preevaluation', 'evaluating'],
  preevaluation: ['evaluating'],
};

async function drive(db: Db, taskId: string, from: string, to: 'success' | 'failure'): Promise<void> {
  for (const s of [...(PATHS[from] ?? []), to]) await setTaskStatus(db, taskId, s, { actor: 'test-evaluator' });
}

/**
 * The validator's evaluation, stood in for: each tournament task waiting for evaluation gets losses from `lossOf`
 * for the hotkeys whose training succeeded (lower is better; GRPO rewards higher), quality 3 for the best and 0 for
 * the others, and ends in success (failure when nobody trained).
 */
export async function evaluateTournamentTasks(db: Db, lossOf: (hotkey: string, taskType: string) => number): Promise<number> {
  const { rows } = await db.query<{ task_id: string; task_type: string }>(
    `SELECT t.task_id::text AS task_id, t.task_type::text AS task_type FROM tasks t
      WHERE t.status = 'preevaluation' AND EXISTS (SELECT 1 FROM tournament_tasks tt WHERE tt.task_id = t.task_id)`,
  );
  for (const task of rows) {
    const trained = await db.query<{ hotkey: string }>(
      `SELECT hotkey FROM tournament_task_hotkey_trainings WHERE task_id = $1 AND training_status = 'success' ORDER BY hotkey`,
      [task.task_id],
    );
    const grpo = task.task_type === 'GrpoTask';
    const losses = trained.rows.map((r) => ({ hotkey: r.hotkey, loss: lossOf(r.hotkey, task.task_type) }));
    const best = [...losses].sort((a, b) => (grpo ? b.loss - a.loss : a.loss - b.loss))[0];
    for (const l of losses) {
      await db.query(`UPDATE task_nodes SET test_loss = $3, synth_loss = $3, quality_score = $4, score_reason = NULL WHERE task_id = $1 AND hotkey = $2`, [
        task.task_id,
        l.hotkey,
        l.loss,
        l.hotkey === best?.hotkey ? 3 : 0,
      ]);
    }
    await db.query(`UPDATE task_nodes SET quality_score = 0, score_reason = 'Invalid/No repo submitted' WHERE task_id = $1 AND quality_score IS NULL`, [task.task_id]);
    await drive(db, task.task_id, 'preevaluation', losses.length > 0 ? 'success' : 'failure');
  }
  return rows.length;
}

/** The general network, stood in for: copies of tournament tasks finish with one ordinary miner at `loss`. */
export async function finishGeneralCopies(db: Db, loss: (taskType: string) => number, outcome: 'success' | 'failure' = 'success'): Promise<number> {
  const { rows } = await db.query<{ task_id: string; status: string; task_type: string }>(
    `SELECT t.task_id::text AS task_id, t.status, t.task_type::text AS task_type FROM boss_round_synced_tasks s JOIN tasks t ON t.task_id = s.general_task_id
      WHERE t.status = 'looking_for_nodes'`,
  );
  for (const r of rows) {
    if (outcome === 'success') {
      await db.query(
        `INSERT INTO task_nodes (task_id, hotkey, netuid, test_loss, synth_loss, quality_score) VALUES ($1, 'general-miner', $2, $3, $3, 3) ON CONFLICT DO NOTHING`,
        [r.task_id, NETUID, loss(r.task_type)],
      );
    }
    await drive(db, r.task_id, r.status, outcome);
  }
  return rows.length;
}

export interface Harness {
  db: Db;
  clock: ManualClock;
  trainer: FakeTrainer;
  miners: FakeMiners;
  ctx: TournamentContext;
  /** A context as a freshly started process would build it (new worker id), on `db`. */
  fresh(db?: Db): TournamentContext;
  close(): Promise<void>;
}

export interface HarnessOptions {
  db: Db;
  miners: number;
  types?: ('text' | 'image')[];
  rules?: Partial<TournamentRules>;
  seed?: number;
  gpus?: { gpu_id: number; gpu_type: string; vram_gb: number }[];
  publisher?: RepoPublisher | null;
  tasks?: TournamentTaskFactory;
  log?: import('../../src/log/index.ts').Logger;
  /** Stake per miner index (default 1000 + 10·i). */
  stake?: (i: number) => number;
}

export const BURN = '5GU4Xkd3dCGTU3s8VLcHGc5wsD5M8XyxDca5yDQhYm1mVXFu';

export function minerHotkey(i: number): string {
  return `5Miner${String(i).padStart(3, '0')}${'x'.repeat(30)}`;
}

export async function harness(o: HarnessOptions): Promise<Harness> {
  const clock = new ManualClock(Date.UTC(2025, 7, 1));
  const keypair = Sr25519Keypair.fromUri('//Alice');
  const client = new SignedClient({ keypair, clock });
  const miners = await new FakeMiners().start();
  const gpus = o.gpus ?? [
    ...Array.from({ length: 8 }, (_, i) => ({ gpu_id: i, gpu_type: 'H100', vram_gb: 80 })),
    { gpu_id: 8, gpu_type: 'A100', vram_gb: 80 },
    { gpu_id: 9, gpu_type: 'A100', vram_gb: 80 },
  ];
  const trainer = await new FakeTrainer(gpus).start();
  const nodes = [{ hotkey: BURN, alphaStake: 0, port: miners.port }];
  for (let i = 0; i < o.miners; i++) {
    const hotkey = minerHotkey(i);
    nodes.push({ hotkey, alphaStake: o.stake?.(i) ?? 1000 + 10 * i, port: miners.port });
    miners.answers.set(hotkey, { github_repo: `https://github.com/miner${i}/G.O.D`, commit_hash: commitOf(i) });
  }
  await seedNodes(o.db, nodes);
  const rules: TournamentRules = { ...tournamentRules, ...o.rules };
  const trainers = new HttpTrainerClient({ timeoutMs: 5000, attempts: 1, backoffMinMs: 0, backoffMaxMs: 0, startedMessage: rules.expectedStartMessage });
  let n = 0;
  const fresh = (db: Db = o.db): TournamentContext =>
    tournamentContext({
      db,
      clock,
      log: o.log ?? silentLogger(),
      random: seededRandom((o.seed ?? 7) + n++),
      netuid: NETUID,
      worker: `test-worker-${n}`,
      rules,
      types: o.types ?? ['text'],
      repos: signedRepoSource(client, 2000),
      tasks: o.tasks ?? staticTaskFactory({ db, now: () => clock.date(), status: 'looking_for_nodes' }),
      trainers,
      publisher: o.publisher ?? null,
    });
  const ctx = fresh();
  await registerTrainer(ctx, trainer.address);
  return {
    db: o.db,
    clock,
    trainer,
    miners,
    ctx,
    fresh,
    async close() {
      await trainer.close();
      await miners.close();
    },
  };
}

/** One round of every loop, as the running service would do them, plus the stand-ins for evaluation. */
export async function tick(
  ctx: TournamentContext,
  lossOf: (hotkey: string, taskType: string) => number,
  generalLoss = (_t: string) => 1.0,
  /** Where the stand-ins for the validator write (another process: default the context's database). */
  validatorDb: Db = ctx.db,
): Promise<void> {
  await schedulingPass(ctx);
  await lifecycleUntilIdle(ctx);
  await fetchPass(ctx);
  await schedulePass(ctx);
  await monitorPass(ctx);
  await handOffPass(ctx);
  await gpuSyncPass(ctx);
  await evaluateTournamentTasks(validatorDb, lossOf);
  await finishGeneralCopies(validatorDb, generalLoss);
  await lifecycleUntilIdle(ctx);
  while (await publishPass(ctx));
}

export async function tournamentRows(db: Queryable): Promise<{ tournament_id: string; tournament_type: string; status: string; winner_hotkey: string | null; base_winner_hotkey: string | null }[]> {
  return (await db.query<{ tournament_id: string; tournament_type: string; status: string; winner_hotkey: string | null; base_winner_hotkey: string | null }>(
    'SELECT tournament_id, tournament_type, status, winner_hotkey, base_winner_hotkey FROM tournaments ORDER BY created_at, tournament_id',
  )).rows;
}


export class Crash extends Error {
  override readonly name = 'Crash';
}

/**
 * A handle on `db` that dies after `budget` statements: that statement and every later call throw Crash, as if the
 * process had been killed there (a transaction in flight rolls back). Used to restart the loops in every state.
 */
export function crashingDb(db: Db, budget: number): Db & { readonly dead: boolean; readonly used: number } {
  let used = 0;
  let dead = false;
  const step = () => {
    if (dead) throw new Crash('the process is dead');
    used++;
    if (used >= budget) {
      dead = true;
      throw new Crash(`killed at statement ${used}`);
    }
  };
  const wrapQ = (q: Queryable): Queryable => ({
    query: async (sql, params) => {
      step();
      return q.query(sql, params);
    },
    exec: async (sql) => {
      step();
      return q.exec(sql);
    },
  });
  const inner = wrapQ(db);
  return {
    driver: db.driver,
    location: db.location,
    get dead() {
      return dead;
    },
    get used() {
      return used;
    },
    query: inner.query,
    exec: inner.exec,
    transaction: async (fn) => {
      step();
      return db.transaction((tx) => fn(wrapQ(tx)));
    },
    close: () => db.close(),
  };
}
