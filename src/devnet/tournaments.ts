/**
 * Tournaments inside the devnet (issue 8): tournament miners answering `/training_repo/{text|image}` with local git
 * repositories of different recipes (tournament-repos.ts), one trainer node in process with the local executor
 * (virtual GPUs, confined jobs, outputs published to the devnet hub), and the tournament loops running against the
 * validator's database with the validator's own task creator, prep and evaluation. The validator's weight loop
 * reads the tournament's share through `tournamentWeightsSource`.
 *
 * As on mainnet the burn hotkey is a registered node: the devnet uses a dev key (`//Champion`) for it, so the
 * defending champion's code (the placeholder) has a node row, trains in the boss round and the burn share has a uid.
 */
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { ScaledClock } from '../clock/index.ts';
import type { Config } from '../config/schema.ts';
import type { TournamentType } from '../core/enums.ts';
import { tournamentRules } from '../core/rules/tournament.ts';
import type { Db } from '../db/types.ts';
import { inProcessChain, type DevnetChainService } from '../chain/devnet/index.ts';
import { Sr25519Keypair } from '../keys/keypair.ts';
import type { Logger } from '../log/index.ts';
import { createMinerServer } from '../miner/server.ts';
import { ensureBaseModel } from '../ml/zoo.ts';
import type { StorageServer } from '../storage/open.ts';
import { HttpTrainerClient, registerTrainer, signedRepoSource, tournamentContext, TournamentService, tournamentWeightsSource, validatorTaskFactory, type TournamentContext } from '../tournament/index.ts';
import { startTrainer, type RunningTrainer } from '../trainer/app.ts';
import { newTrainerToken } from '../trainer/auth.ts';
import { parseGpuList } from '../trainer/gpus.ts';
import { trainerHubFrom } from '../trainer/hub-adapter.ts';
import { BuiltinContentService } from '../validator/adapters/builtin.ts';
import { DEFAULT_TOURNAMENT_ORG } from '../validator/cycle/evaluation.ts';
import type { ValidatorContext } from '../validator/context.ts';
import type { TournamentWeightsSource } from '../validator/ports.ts';
import { mathRandom } from '../validator/rng.ts';
import { CHAMPION_RECIPE, createRecipeRepos, TOURNAMENT_RECIPES, type RecipeRepo, type TournamentRecipe } from './tournament-repos.ts';

/** The dev key that stands for EMISSION_BURN_HOTKEY on the devnet (the champion placeholder's node). */
export const DEVNET_BURN_URI = '//Champion';

export function devnetBurnHotkey(): string {
  return Sr25519Keypair.fromUri(DEVNET_BURN_URI).ss58Address;
}

/** The devnet config with the burn hotkey replaced by the devnet's (call after initCrypto). */
export function withDevnetBurn(config: Config): Config {
  return { ...config, scoring: { ...config.scoring, emissionBurnHotkey: devnetBurnHotkey() } } as Config;
}

export interface DevnetTournamentOptions {
  /** Training steps per job (each recipe scales it). */
  readonly steps: number;
  /** The entrants' recipes, one tournament miner each (default TOURNAMENT_RECIPES: eight, one broken). */
  readonly recipes?: readonly TournamentRecipe[];
  /** The trainer's virtual GPUs (`parseGpuList`): text trains on H100s, image on A100s or H100s. */
  readonly gpus?: string;
  readonly types?: readonly TournamentType[];
  /** Real seconds between two passes of each tournament loop. */
  readonly loopSeconds?: number;
  /** Tasks of the boss round (reference 3 each; text GRPO is left out on the devnet, see docs/devnet.md). */
  readonly finalTextTasks?: number;
  readonly finalImageTasks?: number;
  /** Rows of each built-in dataset the round tasks are made from. */
  readonly datasetRows?: number;
  /** Entrants needed to start (reference 8; the reduced test plays with fewer). */
  readonly minEntrants?: number;
}

export interface TournamentMiner {
  readonly name: string;
  readonly recipe: TournamentRecipe;
  readonly hotkey: string;
  readonly uid: number;
  readonly url: string;
  readonly repo: RecipeRepo;
}

export interface DevnetTournaments {
  readonly miners: readonly TournamentMiner[];
  readonly champion: RecipeRepo;
  readonly burnHotkey: string;
  readonly burnUid: number;
  readonly trainerUrl: string;
  readonly trainerAddress: string;
  /** Bearer token the trainer accepts (to read its job logs: GET /v1/trainer/{task_id}/logs?hotkey=). */
  readonly trainerToken: string;
  readonly types: readonly TournamentType[];
  /** The validator's weights port over `db` (the validator's database). */
  weightsSource(db: Db): TournamentWeightsSource;
  /** Starts the tournament loops against the running validator's context. */
  start(validator: ValidatorContext): Promise<TournamentContext>;
  /** Stops the tournament loops (before the validator's database closes). */
  stopLoops(): Promise<void>;
  /** Stops the loops, the miners and the trainer. */
  stop(): Promise<void>;
}

export interface PrepareInput {
  readonly home: string;
  readonly hourSeconds: number;
  readonly clock: ScaledClock;
  readonly chain: DevnetChainService;
  readonly netuid: number;
  readonly config: Config;
  readonly storage: StorageServer;
  /** Opens an in-memory database (the devnet's migrated image). */
  readonly freshDb: () => Promise<Db>;
  readonly validatorHotkey: string;
  readonly lookupStake: (hotkey: string) => Promise<{ found: false } | { found: true; stake: number }>;
  readonly textModel: string;
  readonly imageModel: string;
  readonly log: Logger;
  readonly options: DevnetTournamentOptions;
}

/** Waits for `p` at most `ms`; a stop that hangs must not keep the devnet from exiting. */
async function bounded(p: Promise<unknown>, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      process.stderr.write(`devnet: ${what} did not finish in ${ms / 1000}s; going on\n`);
      resolve();
    }, ms);
  });
  try {
    await Promise.race([p.then(() => undefined, () => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Copies a built-in base model into the hub, where the trainer fetches a job's model from. */
async function publishBaseModel(storage: StorageServer, modelId: string, home: string): Promise<void> {
  const dir = await ensureBaseModel(modelId, { home });
  const files: { path: string; bytes: Uint8Array }[] = [];
  const walk = async (at: string): Promise<void> => {
    for (const e of await readdir(at, { withFileTypes: true })) {
      const p = join(at, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) files.push({ path: relative(dir, p).split('\\').join('/'), bytes: await readFile(p) });
    }
  };
  await walk(dir);
  await storage.hub.createRepo(modelId, { existOk: true });
  await storage.hub.upload(modelId, files, { message: 'devnet base model', mode: 'replace' });
}

/**
 * Everything that must exist before the validator's first metagraph sync: the burn node, the tournament miners on
 * chain, their repositories, the base models in the hub and the trainer. The loops start with `start`.
 */
export async function prepareDevnetTournaments(p: PrepareInput): Promise<DevnetTournaments> {
  const o = p.options;
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => {});
  };
  try {
    const recipes = o.recipes ?? TOURNAMENT_RECIPES;
    const types = o.types ?? ['text', 'image'];
    const root = join(p.home, 'tournament');
    const repos = await createRecipeRepos(join(root, 'repos'), [...recipes, CHAMPION_RECIPE], { steps: o.steps });
    const champion = repos.at(-1)!;

    // The burn placeholder's node: registered, no axon (it is never asked for a repo).
    const burnKey = Sr25519Keypair.fromUri(DEVNET_BURN_URI);
    const burnChain = inProcessChain(p.chain, burnKey);
    await burnChain.register({ netuid: p.netuid, coldkey: burnKey.ss58Address, alphaStake: 1 });
    const burnUid = (await burnChain.getUid(p.netuid, burnKey.ss58Address)) ?? -1;

    if (types.includes('text')) await publishBaseModel(p.storage, p.textModel, p.home);
    if (types.includes('image')) await publishBaseModel(p.storage, p.imageModel, p.home);

    // The trainer: its jobs run as unprivileged uids that must traverse the data folder, so it lives under /tmp
    // (a home under /root is not traversable).
    const dataDir = await mkdtemp(join(tmpdir(), 'god-devnet-trainer-'));
    await chmod(dataDir, 0o755);
    stops.push(() => rm(dataDir, { recursive: true, force: true }));
    const token = newTrainerToken();
    const trainer: RunningTrainer = await startTrainer(
      {
        host: '127.0.0.1',
        port: 0,
        dataDir,
        executor: 'local',
        auth: { tokenSha256: [token.sha256] },
        repos: { allowedHosts: [], allowLocal: true, localRoots: [join(root, 'repos')], cloneTimeoutSeconds: 60, maxBytes: 64 * 1024 * 1024 },
        hubNamespace: p.config.services.huggingfaceUsername ?? DEFAULT_TOURNAMENT_ORG,
        limits: { msPerHour: p.hourSeconds * 1000 },
      },
      { hub: trainerHubFrom(p.storage.hub), gpus: parseGpuList(o.gpus ?? '2xH100,1xA100'), logger: p.log.child({ role: 'trainer' }) },
    );
    // A job stuck in its confined launch (docs/devnet.md, known problems) would hold the close forever.
    stops.push(() => bounded(trainer.close(), 15_000, 'trainer close'));
    const trainerAddress = new URL(trainer.url).host;

    // Tournament miners: the miner API (signed requests) answering /training_repo with their recipe's repository
    // and declining every real-time offer. They share one database: they never queue a job.
    const minerDb = await p.freshDb();
    stops.push(() => minerDb.close());
    const rules = { ...p.config.miner, acceptModelPattern: '^$' } as Config['miner'];
    const miners: TournamentMiner[] = [];
    for (const [i, repo] of repos.slice(0, -1).entries()) {
      const name = repo.recipe.name;
      const key = Sr25519Keypair.fromUri(`//Tournament/${name}`);
      const setting = { githubRepo: repo.path, commitHash: repo.commit };
      const server = createMinerServer({
        db: minerDb,
        minerHotkey: key.ss58Address,
        lookupStake: p.lookupStake,
        minStake: p.config.protocol.minStakeThreshold,
        rules,
        hubUsername: name,
        dataDir: join(root, 'miners', name),
        trainingRepo: { text: setting, image: setting },
        backendName: 'tournament-only',
        log: p.log.child({ miner: name }),
      });
      const url = await server.listen({ port: 0, host: '127.0.0.1' });
      stops.push(() => server.close());
      const chain = inProcessChain(p.chain, key);
      // More stake than the real-time miners, in recipe order, so all of them make the top N.
      await chain.register({ netuid: p.netuid, coldkey: key.ss58Address, alphaStake: 100 + 10 * (recipes.length - i) });
      await chain.serveAxon({ netuid: p.netuid, ip: '127.0.0.1', port: Number(new URL(url).port) });
      miners.push({ name, recipe: repo.recipe, hotkey: key.ss58Address, uid: (await chain.getUid(p.netuid, key.ss58Address)) ?? -1, url, repo });
    }

    let service: TournamentService | null = null;
    const scoring = p.config.scoring;
    return {
      miners,
      champion,
      burnHotkey: burnKey.ss58Address,
      burnUid,
      trainerUrl: trainer.url,
      trainerAddress,
      trainerToken: token.token,
      types,
      weightsSource: (db) => tournamentWeightsSource({ db, netuid: p.netuid, scoring }),
      async start(validator) {
        const factor = p.clock.factor;
        const ctx = tournamentContext({
          db: validator.db,
          clock: p.clock,
          log: p.log.child({ role: 'tournament' }),
          random: mathRandom,
          netuid: p.netuid,
          worker: `devnet-tournament:${process.pid}`,
          rules: {
            ...tournamentRules,
            loopIntervalSeconds: (o.loopSeconds ?? 1) * factor,
            defaultParticipantRepo: champion.path,
            defaultParticipantCommit: champion.commit,
            finalRoundTextTasks: o.finalTextTasks ?? 2,
            finalRoundImageTasks: o.finalImageTasks ?? 2,
            ...(o.minEntrants ? { minMinersForTournament: o.minEntrants } : {}),
            // A GPU the trainer still reports busy right after a job ended is held for a task hour by default: on
            // the devnet's scale that stalls a round for nothing; two loop passes are enough.
            trainerBusyHoldSeconds: 2 * (o.loopSeconds ?? 1) * factor,
          },
          scoring,
          // GRPO needs the sandbox and a reward the tiny base model can move (docs/devnet.md): instruct and DPO only.
          mix: { instructTaskProbability: p.config.synth.instructTaskProbability, dpoTaskProbability: p.config.synth.dpoTaskProbability, grpoTaskProbability: 0 },
          types,
          repoPolicy: { allowedHosts: [], allowLocal: true, localRoots: [join(root, 'repos')] },
          repos: signedRepoSource(validator.miners, p.config.tournament.trainingRepoTimeoutSeconds * 1000),
          tasks: validatorTaskFactory({
            ...validator,
            // Prep keeps 50–100 % of a dataset and needs 2000 rows: ask for enough that every share passes.
            content: new BuiltinContentService({ textModels: [{ model_id: p.textModel }], imageModels: [{ model_id: p.imageModel, model_type: 'sdxl' }], rows: o.datasetRows ?? 4200 }),
          }),
          trainers: new HttpTrainerClient({
            timeoutMs: 30_000,
            attempts: 3,
            backoffMinMs: 200,
            backoffMaxMs: 1000,
            startedMessage: p.config.tournament.expectedStartMessage,
            headers: () => ({ authorization: `Bearer ${token.token}` }),
          }),
          publisher: null,
        });
        await registerTrainer(ctx, trainerAddress);
        service = new TournamentService(ctx);
        service.start();
        return ctx;
      },
      async stopLoops() {
        if (service) await bounded(service.stop(), 45_000, 'tournament loops stop');
      },
      async stop() {
        if (service) await bounded(service.stop(), 45_000, 'tournament loops stop');
        await stopAll();
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
