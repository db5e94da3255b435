/**
 * Everything a validator loop needs, in one object: the database, time, randomness, configuration and the
 * ports to the outside world. Loops are plain async functions over this context, so tests build one with a
 * ManualClock, a PGlite database and loopback miners.
 */
import type { GodMetrics } from '../ops/metrics.ts';
import { hostname } from 'node:os';
import type { Clock } from '../clock/index.ts';
import { TaskTransitionError } from '../core/task-status.ts';
import { TaskClaimError } from '../db/queries/tasks.ts';
import type { Config } from '../config/schema.ts';
import type { Db } from '../db/types.ts';
import type { Logger } from '../log/index.ts';
import type {
  BlobStore,
  ContentService,
  DatasetSource,
  EvaluationExecutor,
  Fetcher,
  ImageGenerator,
  LlmClient,
  MinerClient,
  ModelHub,
  RewardChecker,
  TournamentWeightsSource,
  ValidatorChain,
} from './ports.ts';
import type { Random } from './rng.ts';

export interface ValidatorContext {
  db: Db;
  clock: Clock;
  log: Logger;
  config: Config;
  netuid: number;
  /** Our validator hotkey (SS58). */
  hotkey: string;
  /** This process's identity in `tasks.claimed_by` (host:pid:random). */
  worker: string;
  random: Random;
  miners: MinerClient;
  blobs: BlobStore;
  fetch: Fetcher;
  hub: ModelHub;
  llm: LlmClient;
  datasets: DatasetSource;
  content: ContentService;
  images: ImageGenerator;
  rewards: RewardChecker;
  executor: EvaluationExecutor;
  tournaments: TournamentWeightsSource;
  /** Absent: the weights loop does not run. */
  chain?: ValidatorChain;
  /** Prometheus counters the loops feed (`/metrics`); absent in tests that do not look at them. */
  metrics?: Pick<GodMetrics, 'offers' | 'evaluationSeconds' | 'weightSets'>;
}

export function workerIdentity(): string {
  return `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
}

/** The lease of a loop's claim, from the rules. */
export function leaseMs(ctx: Pick<ValidatorContext, 'config'>): number {
  return ctx.config.validator.claimLeaseSeconds * 1000;
}

export function now(ctx: Pick<ValidatorContext, 'clock'>): Date {
  return new Date(ctx.clock.now());
}

/** Mainnet-only behaviour (eligibility filter) follows the original's `IS_PROD_ENV = NETUID == 56`. */
export function isMainnet(ctx: Pick<ValidatorContext, 'config' | 'netuid'>): boolean {
  return ctx.netuid === ctx.config.protocol.mainnetNetuid;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The task changed hands while we worked on it: our lease ran out and another worker claimed it (or moved it on).
 * Our result is discarded; the other worker's stands.
 */
export function isLostClaim(err: unknown): boolean {
  return err instanceof TaskClaimError || err instanceof TaskTransitionError;
}
