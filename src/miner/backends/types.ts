/**
 * A training backend turns a queued job into a model repository on the hub. The worker (worker.ts) claims
 * jobs, hands them to the backend, then hashes what landed on the hub and records the submission.
 *
 * Backends: `container` (the reference miner's axolotl/kohya containers through the Docker Engine API),
 * `copy` (uploads a copy of an existing repo: a devnet miner that cheats), `fail` (always fails: a devnet miner
 * that never delivers). The built-in engine (src/ml) is to be added against this same interface.
 */
import type { Logger } from '../../log/index.ts';
import type { TrainingJob } from '../jobs.ts';
import type { MinerModelHub } from '../ports.ts';

/** What a backend may report while it trains; served by the miner's progress endpoint. */
export interface TrainingProgress {
  /** Free-form phase name: `preparing`, `training`, `uploading`, … */
  readonly phase: string;
  readonly step?: number;
  readonly totalSteps?: number;
  readonly loss?: number;
  readonly message?: string;
}

export interface TrainContext {
  /** Aborted when the miner shuts down or the job's deadline passes. */
  readonly signal: AbortSignal;
  readonly deadline: Date;
  readonly hub: MinerModelHub;
  readonly log: Logger;
  reportProgress(progress: TrainingProgress): void;
}

export interface TrainOutcome {
  /** The hub repo holding the result (normally `job.repo`). */
  readonly repo: string;
}

export interface TrainingBackend {
  readonly name: string;
  train(job: TrainingJob, ctx: TrainContext): Promise<TrainOutcome>;
}
