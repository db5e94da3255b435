/**
 * A whole subnet in one process tree: the devnet chain (embedded), the storage server (local model hub + blob
 * store over HTTP), the validator on PGlite running its own loops, and several miners on loopback ports, each with
 * its own database and training backend. Training runs in src/ml worker processes, so the loops stay responsive.
 *
 * Time runs on one ScaledClock: one task hour lasts `hourSeconds` real seconds, for the chain's blocks and the
 * validator's loops and deadlines. Miners run on real time (they check request nonces against their clock); the
 * built-in backend scales its training deadline instead. HTTP timeouts stay real.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ScaledClock } from '../clock/index.ts';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import type { TaskType } from '../core/enums.ts';
import { SYNTHETIC_ACCOUNT_ID, type AnyRawTask } from '../core/models/tasks.ts';
import { openDb, type PgliteDb } from '../db/index.ts';
import type { Db } from '../db/types.ts';
import { insertTask } from '../db/queries/tasks.ts';
import { DevnetChainService, inProcessChain } from '../chain/devnet/index.ts';
import { initCrypto, Sr25519Keypair } from '../keys/keypair.ts';
import { createLogger, silentLogger, type Logger } from '../log/index.ts';
import { MetagraphSync } from '../metagraph/sync.ts';
import { SqlNodeStore } from '../metagraph/store.ts';
import { builtinBackend, type BuiltinRecipeName } from '../miner/backends/builtin.ts';
import { copyBackend, failBackend } from '../miner/backends/simple.ts';
import type { TrainingBackend } from '../miner/backends/types.ts';
import type { TrainingJob } from '../miner/jobs.ts';
import { startMiner, type RunningMiner } from '../miner/runtime.ts';
import { SignedClient } from '../net/client.ts';
import { startStorageServer, type StorageServer } from '../storage/open.ts';
import { BuiltinContentService, BuiltinDatasetSource, BuiltinImageGenerator, noTournaments, TemplateLlm, UnavailableRewardChecker } from '../validator/adapters/builtin.ts';
import { StorageBlobAdapter } from '../validator/adapters/blob-stores.ts';
import { httpFetcher } from '../validator/adapters/fetch.ts';
import { StorageHubAdapter } from '../validator/adapters/hub.ts';
import type { ValidatorContext } from '../validator/context.ts';
import { BuiltinEvaluationExecutor } from '../validator/evaluation/builtin.ts';
import type { EvaluationExecutor, EvaluationJob, RewardChecker } from '../validator/ports.ts';
import { createLocalEvaluationExecutor } from '../ml/executor.ts';
import type { ModelHub } from '../storage/hub/types.ts';
import { hex16, mathRandom } from '../validator/rng.ts';
import { Validator } from '../validator/validator.ts';
import { DEVNET_GRPO_EVAL, devnetGrpoFields } from './grpo.ts';
import { StorageMinerHub } from './hub.ts';
import { prepareDevnetTournaments, withDevnetBurn, type DevnetTournamentOptions, type DevnetTournaments } from './tournaments.ts';

export type DevnetMinerKind = 'builtin' | 'broken' | 'copycat';

export interface DevnetMinerSpec {
  /** Short name; also the miner's hub namespace. */
  readonly name: string;
  /** Dev key URI (`//Bob`). */
  readonly uri: string;
  readonly kind: DevnetMinerKind;
  /** builtin: the recipe. */
  readonly recipe?: BuiltinRecipeName;
  /** copycat: the name of the miner whose result it copies. */
  readonly copies?: string;
}

/** Two honest miners with different recipes, one that always fails, one that copies the first. */
export const DEFAULT_MINERS: readonly DevnetMinerSpec[] = [
  { name: 'bob', uri: '//Bob', kind: 'builtin', recipe: 'careful' },
  { name: 'charlie', uri: '//Charlie', kind: 'builtin', recipe: 'aggressive' },
  { name: 'dave', uri: '//Dave', kind: 'broken' },
  { name: 'eve', uri: '//Eve', kind: 'copycat', copies: 'charlie' },
];

export const VALIDATOR_URI = '//Alice';

export interface DevnetOptions {
  /** Root of everything the devnet writes (databases in memory; hub, blobs, model zoo, scratch here). */
  readonly home: string;
  /** Real seconds per task hour. */
  readonly hourSeconds: number;
  /** Training steps per job for the built-in recipes. */
  readonly steps: number;
  readonly miners?: readonly DevnetMinerSpec[];
  readonly netuid?: number;
  readonly textModel?: string;
  readonly imageModel?: string;
  /** The validator's synthetic scheduler (continuous mode). */
  readonly synthetic?: boolean;
  /** The validator's weights loop (continuous mode); `--once` sets weights itself at the end. */
  readonly weightsLoop?: boolean;
  /** Start the Python sandbox so GRPO reward functions can be checked and run. */
  readonly sandbox?: boolean;
  /** Start the validator's loops here (default); false: a test runs the validator in a child process instead. */
  readonly runValidator?: boolean;
  /** pino level of the components' own logs (default: silent). */
  readonly logLevel?: string;
  /** Run text and image tournaments: tournament miners, a trainer node and the tournament loops (tournaments.ts). */
  readonly tournaments?: DevnetTournamentOptions;
}

export interface DevnetMiner {
  readonly spec: DevnetMinerSpec;
  readonly hotkey: string;
  readonly url: string;
  readonly uid: number;
  readonly db: Db;
  readonly running: RunningMiner;
}

export interface Devnet {
  readonly ctx: ValidatorContext;
  readonly clock: ScaledClock;
  readonly chain: DevnetChainService;
  readonly storage: StorageServer;
  readonly validator: Validator;
  readonly validatorUid: number;
  readonly miners: readonly DevnetMiner[];
  readonly urls: { hub: string; blobs: string; miners: Record<string, string> };
  /** Null unless started with `tournaments`. */
  readonly tournaments: DevnetTournaments | null;
  stop(): Promise<void>;
}

/** The config the devnet's validator runs with: the rule defaults, paced for a scaled clock. */
export function devnetConfig(home: string, factor: number): Config {
  const base = loadConfig({ env: {} }).config;
  return {
    ...base,
    general: { ...base.general, home },
    validator: {
      ...base.validator,
      // Loop pauses are clock time (scaled); keep them near a second of real time.
      pendingLoopIdleSeconds: Math.max(1, factor),
      pendingLoopErrorSeconds: Math.max(1, 2 * factor),
      preevaluationPollSeconds: Math.max(1, factor),
      // A claim must outlive a real evaluation run, whatever the scale.
      claimLeaseSeconds: Math.max(base.validator.claimLeaseSeconds, 600 * factor),
    },
    evaluation: { ...base.evaluation, pollIntervalSeconds: Math.max(1, factor) },
  } as Config;
}

/** Miner rules for the devnet: every model and type, offers queue up (jobs train one after another). */
function minerRules(config: Config): Config['miner'] {
  return { ...config.miner, acceptModelSubstring: '', acceptModelPattern: null, busyRule: 'queue', maxQueuedJobs: 0, textMaxHoursExclusive: 1000, imageMaxHoursExclusive: 1000 } as Config['miner'];
}

/** The repo a miner's job for `taskId` was uploaded to, once that job completed. */
async function completedRepo(db: Db, taskId: string, signal: AbortSignal): Promise<string> {
  for (;;) {
    const { rows } = await db.query<{ status: string; submission_repo: string | null; error: string | null }>(
      'SELECT status, submission_repo, error FROM miner_jobs WHERE task_id = $1',
      [taskId],
    );
    const row = rows[0];
    if (row?.status === 'completed' && row.submission_repo) return row.submission_repo;
    if (row?.status === 'failed') throw new Error(`the copied miner failed this task: ${row.error ?? 'no reason'}`);
    if (signal.aborted) throw new Error('aborted while waiting for the copied miner');
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Instruct, chat and DPO through the validator's built-in executor; image through src/ml's local executor (the
 * validator's refuses it), with each repo downloaded from the local hub into a scratch folder for the run.
 */
class DevnetEvaluationExecutor implements EvaluationExecutor {
  constructor(
    private readonly text: EvaluationExecutor,
    private readonly hub: Pick<ModelHub, 'download'>,
    private readonly fetch: (url: string) => Promise<Uint8Array>,
    private readonly home: string,
  ) {}

  async run(job: EvaluationJob, signal?: AbortSignal): Promise<unknown> {
    if (job.task_type !== 'ImageTask') return this.text.run(job, signal);
    await mkdir(join(this.home, 'eval'), { recursive: true });
    const work = await mkdtemp(join(this.home, 'eval', 'job-'));
    try {
      let n = 0;
      const ml = createLocalEvaluationExecutor({
        fetchDataset: this.fetch,
        home: this.home,
        repoDir: async (repo) => {
          const dir = join(work, String(n++));
          try {
            await this.hub.download(repo, {}, dir);
            // A trainer publishes an image job's output under `checkpoints/` (as the original's uploader does).
            if (!existsSync(join(dir, 'adapter_config.json')) && existsSync(join(dir, 'checkpoints', 'adapter_config.json'))) return join(dir, 'checkpoints');
            return dir;
          } catch {
            return null;
          }
        },
      });
      return await ml.run(job, signal);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
}

export async function startDevnet(o: DevnetOptions): Promise<Devnet> {
  await initCrypto();
  const factor = 3600 / o.hourSeconds;
  const clock = new ScaledClock(factor);
  const netuid = o.netuid ?? 56;
  const config = o.tournaments ? withDevnetBurn(devnetConfig(o.home, factor)) : devnetConfig(o.home, factor);
  const log: Logger = o.logLevel ? createLogger({ name: 'devnet', level: o.logLevel }) : silentLogger();
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => {});
  };
  try {
    await mkdir(o.home, { recursive: true });

    // Chain: validator and miners registered with stake, miners' axons on loopback.
    const chain = await DevnetChainService.open({ clock, netuids: [netuid] });
    chain.start();
    stops.push(async () => chain.stop());
    const validatorKey = Sr25519Keypair.fromUri(VALIDATOR_URI);
    const validatorChain = inProcessChain(chain, validatorKey);
    await validatorChain.register({ netuid, coldkey: validatorKey.ss58Address, alphaStake: 100_000 });

    // Storage: one HTTP server for the hub and the signed blob URLs.
    const storage = await startStorageServer(config, { clock, logger: log.child({ component: 'storage' }) }, { host: '127.0.0.1', port: 0 });
    stops.push(() => storage.close());
    const minerHub = new StorageMinerHub(storage.hub);

    // Miners.
    const specs = o.miners ?? DEFAULT_MINERS;
    // initdb is the slow part of opening PGlite (seconds on a busy machine): run it and the migrations once, then
    // start every other database from that image.
    const template = (await openDb({ memory: true, migrate: true })) as PgliteDb;
    const image = await template.dumpDataDir();
    await template.close();
    const freshDb = () => openDb({ memory: true, loadDataDir: image, migrate: true });
    const miners: DevnetMiner[] = [];
    const byName = new Map<string, DevnetMiner>();
    const rules = minerRules(config);
    for (const spec of specs) {
      const key = Sr25519Keypair.fromUri(spec.uri);
      const db = await freshDb();
      stops.push(() => db.close());
      let backend: TrainingBackend;
      if (spec.kind === 'broken') backend = { ...failBackend(`${spec.name} is the devnet's broken miner: it fails every job`), name: 'broken' };
      else if (spec.kind === 'copycat') {
        const source = spec.copies;
        if (!source) throw new Error(`copycat miner ${spec.name} names no miner to copy`);
        const signal = AbortSignal.any([]);
        backend = {
          ...copyBackend({
            source: (job: TrainingJob) => {
              const target = byName.get(source);
              if (!target) throw new Error(`copycat ${spec.name}: no miner named ${source}`);
              return completedRepo(target.db, job.taskId, signal);
            },
          }),
          name: 'copycat',
        };
      } else {
        backend = builtinBackend({ recipe: spec.recipe ?? 'careful', steps: o.steps, home: o.home, workDir: join(o.home, 'miners', spec.name, 'work'), secondsPerHour: o.hourSeconds });
      }
      const stakes = validatorChain;
      const running = await startMiner({
        db,
        minerHotkey: key.ss58Address,
        lookupStake: async (hotkey) => {
          const stake = await stakes.getStake(netuid, hotkey).catch(() => null);
          return stake === null ? { found: false } : { found: true, stake: stake.stake };
        },
        minStake: config.protocol.minStakeThreshold,
        rules,
        hubUsername: spec.name,
        dataDir: join(o.home, 'miners', spec.name),
        backend,
        hub: minerHub,
        host: '127.0.0.1',
        port: 0,
        // Real time: the miner checks request nonces against its clock (the backend scales the deadline itself).
        log: log.child({ miner: spec.name }),
      });
      stops.push(() => running.stop());
      const port = Number(new URL(running.url).port);
      const minerChain = inProcessChain(chain, key);
      await minerChain.register({ netuid, coldkey: key.ss58Address, alphaStake: 10 });
      await minerChain.serveAxon({ netuid, ip: '127.0.0.1', port });
      const uid = (await minerChain.getUid(netuid, key.ss58Address)) ?? -1;
      const m: DevnetMiner = { spec, hotkey: key.ss58Address, url: running.url, uid, db, running };
      miners.push(m);
      byName.set(spec.name, m);
    }

    // Tournaments: burn node, tournament miners, trainer — on chain before the validator's first metagraph sync.
    let tournaments: DevnetTournaments | null = null;
    if (o.tournaments) {
      const prepared = await prepareDevnetTournaments({
        home: o.home,
        hourSeconds: o.hourSeconds,
        clock,
        chain,
        netuid,
        config,
        storage,
        freshDb,
        validatorHotkey: validatorKey.ss58Address,
        lookupStake: async (hotkey) => {
          const stake = await validatorChain.getStake(netuid, hotkey).catch(() => null);
          return stake === null ? { found: false } : { found: true, stake: stake.stake };
        },
        textModel: o.textModel ?? 'god-local/tinygpt-tiny',
        imageModel: o.imageModel ?? 'god-local/tinydiff-tiny',
        log,
        options: o.tournaments,
      });
      tournaments = prepared;
      stops.push(() => prepared.stop());
    }

    // Validator: its own database, the shared storage, the embedded chain, the built-in engines.
    const db = await freshDb();
    stops.push(() => db.close());
    let rewards: RewardChecker = new UnavailableRewardChecker('the devnet runs without the Python sandbox (pass --sandbox)');
    if (o.sandbox) {
      const { Sandbox } = await import('../sandbox/index.ts');
      const sandbox = await Sandbox.start();
      stops.push(() => sandbox.close());
      rewards = { validate: async (code, rows) => sandbox.validateRewardFunction(code, rows as never) };
    }
    const fetch = httpFetcher;
    const ctx: ValidatorContext = {
      db,
      clock,
      log: log.child({ role: 'validator' }),
      config,
      netuid,
      hotkey: validatorKey.ss58Address,
      worker: `devnet-validator:${process.pid}`,
      random: mathRandom,
      miners: new SignedClient({ keypair: validatorKey }),
      blobs: new StorageBlobAdapter(storage.blobs, storage.baseUrl),
      fetch,
      hub: new StorageHubAdapter(storage.hub),
      llm: new TemplateLlm(),
      datasets: new BuiltinDatasetSource(fetch, config.prep.maxDownloadBytes),
      content: new BuiltinContentService({
        textModels: [{ model_id: o.textModel ?? 'god-local/tinygpt-tiny' }],
        imageModels: [{ model_id: o.imageModel ?? 'god-local/tinydiff-tiny', model_type: 'sdxl' }],
        rows: 2500,
      }),
      images: new BuiltinImageGenerator(),
      rewards,
      executor: new DevnetEvaluationExecutor(new BuiltinEvaluationExecutor({ fetch, hub: storage.hub, home: o.home, grpo: DEVNET_GRPO_EVAL }), storage.hub, fetch, o.home),
      tournaments: tournaments ? tournaments.weightsSource(db) : noTournaments,
      chain: validatorChain,
    };
    const sync = new MetagraphSync({ chain: validatorChain, store: new SqlNodeStore(db), netuid, clock, ourHotkey: validatorKey.ss58Address, log: ctx.log });
    await sync.syncOnce();
    sync.start();
    stops.push(() => sync.stop());

    const validator = new Validator(ctx, { synthetic: o.synthetic ?? false, weights: o.weightsLoop ?? false });
    if (o.runValidator !== false) {
      await validator.start();
      stops.push(() => validator.stop());
    }
    if (tournaments) {
      const running = tournaments;
      await running.start(ctx);
      stops.push(() => running.stopLoops());
    }
    const validatorUid = (await validatorChain.getUid(netuid, validatorKey.ss58Address)) ?? 0;

    return {
      ctx,
      clock,
      chain,
      storage,
      validator,
      validatorUid,
      miners,
      urls: { hub: storage.baseUrl, blobs: `${storage.baseUrl}/blobs`, miners: Object.fromEntries(miners.map((m) => [m.spec.name, m.url])) },
      tournaments,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** Removes what a devnet wrote under its home except the base-model zoo (expensive to rebuild). */
export async function cleanDevnetHome(home: string): Promise<void> {
  for (const dir of ['hub', 'blobs', 'miners', 'tournament']) await rm(join(home, dir), { recursive: true, force: true });
}

/**
 * The task types `--once` runs, and the built-in dataset each uses. Prep keeps a random 50–100 % of a single
 * dataset and fails under 2000 rows (prep.subsampleMinFraction, prep.minimumDatasetRows), so each is asked for
 * enough rows that even the smallest share passes.
 */
export const ONCE_DATASETS: Record<Exclude<TaskType, 'ImageTask'>, string> = {
  InstructTextTask: 'god-local/strings-instruct@4200',
  ChatTask: 'god-local/mixed-chat@4200',
  DpoTask: 'god-local/strings-dpo@4200',
  GrpoTask: 'god-local/arith-grpo@4200',
};

/** What `--once` runs: instruct/chat/DPO/GRPO evaluated by the validator's built-in executor, image by src/ml's. */
export const EVALUATED_TYPES: readonly TaskType[] = ['InstructTextTask', 'ChatTask', 'DpoTask', 'GrpoTask', 'ImageTask'];

/**
 * Inserts a pending synthetic task of `type` on a built-in dataset, due in `hours` task hours — synthetic, as the
 * validator's scheduler creates them: the weights rules zero the organic weight of a miner with no synthetic jobs in
 * the window ("suspicious"), so a devnet of organic tasks only would have nothing to set.
 */
export async function createDevnetTask(dn: Pick<Devnet, 'ctx'>, type: TaskType, options: { hours?: number; model?: string; imageModel?: string } = {}): Promise<AnyRawTask> {
  const { ctx } = dn;
  const at = new Date(ctx.clock.now()).toISOString();
  const hours = options.hours ?? 1;
  const base = {
    is_organic: false,
    status: 'pending',
    model_id: options.model ?? 'god-local/tinygpt-tiny',
    account_id: SYNTHETIC_ACCOUNT_ID,
    hours_to_complete: hours,
    created_at: at,
    next_delay_at: at,
  };
  const opts = { now: new Date(at), actor: 'devnet' };
  switch (type) {
    case 'InstructTextTask':
      return insertTask(ctx.db, { ...base, task_type: 'InstructTextTask', ds: ONCE_DATASETS.InstructTextTask, field_instruction: 'instruction', field_input: 'input', field_output: 'output', file_format: 'hf' } as AnyRawTask, opts);
    case 'ChatTask':
      return insertTask(
        ctx.db,
        {
          ...base,
          task_type: 'ChatTask',
          ds: ONCE_DATASETS.ChatTask,
          chat_template: 'chatml',
          chat_column: 'conversations',
          chat_role_field: 'from',
          chat_content_field: 'value',
          chat_user_reference: 'human',
          chat_assistant_reference: 'gpt',
          file_format: 'hf',
        } as AnyRawTask,
        opts,
      );
    case 'DpoTask':
      return insertTask(ctx.db, { ...base, task_type: 'DpoTask', ds: ONCE_DATASETS.DpoTask, field_prompt: 'prompt', field_chosen: 'chosen', field_rejected: 'rejected', file_format: 'hf' } as AnyRawTask, opts);
    case 'GrpoTask':
      // Dense, partial-credit rewards the tiny base model can move (src/devnet/grpo.ts); needs the devnet's sandbox.
      return insertTask(ctx.db, { ...base, ds: ONCE_DATASETS.GrpoTask, ...devnetGrpoFields(), file_format: 'hf' } as AnyRawTask, opts);
    case 'ImageTask': {
      // As the scheduler does: generated image/caption pairs uploaded to the blob store, signed URLs in the task.
      const generated = await ctx.images.generate(ctx.config.synth.imagePairsMin + 10, 'sdxl');
      const pairs = [];
      for (const p of generated.pairs) {
        const key = hex16(ctx.random);
        await ctx.blobs.put(`${key}.${p.ext}`, p.image, 'image/png');
        await ctx.blobs.put(`${key}.txt`, new TextEncoder().encode(p.caption), 'text/plain');
        pairs.push({
          image_url: await ctx.blobs.signedUrl(`${key}.${p.ext}`, ctx.config.prep.presignedUrlSeconds),
          text_url: await ctx.blobs.signedUrl(`${key}.txt`, ctx.config.prep.presignedUrlSeconds),
        });
      }
      return insertTask(
        ctx.db,
        { ...base, model_id: options.imageModel ?? 'god-local/tinydiff-tiny', ds: `${generated.prefix}_${hex16(ctx.random)}`, task_type: 'ImageTask', model_type: 'sdxl', image_text_pairs: pairs } as AnyRawTask,
        opts,
      );
    }
  }
}
