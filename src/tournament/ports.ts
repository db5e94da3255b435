/**
 * What the tournament subsystem needs from outside, as small interfaces: miners' training-repo answers, the task
 * creator, the trainer nodes and the winners' publisher. Production adapters: repo-source.ts (signed miner
 * client), task-factory.ts (the validator's synthetic task creator), trainer-client.ts (HTTP), publish.ts (git).
 */
import type { TournamentType } from '../core/enums.ts';
import type { GpuInfo, TrainerProxyRequest, TrainerTaskLog } from '../core/models/trainer.ts';
import type { TrainingRepoResponse } from '../core/models/payloads.ts';
import type { Queryable } from '../db/types.ts';
import type { TaskSpec } from './structure.ts';

export interface EntryNode {
  hotkey: string;
  ip: string;
  port: number;
  alphaStake: number;
}

/** Asks a miner where its training code lives (`GET /training_repo/{text|image}`); null = no usable answer. */
export interface TrainingRepoSource {
  get(node: EntryNode, type: TournamentType): Promise<TrainingRepoResponse | null>;
}

/**
 * Creates one synthetic task for a tournament round. `link` runs inside the transaction that inserts the task, so
 * the task is never visible without its tournament link (the general miner market would otherwise offer it).
 * Returns the new task id.
 */
export interface TournamentTaskFactory {
  create(spec: TaskSpec, link: (tx: Queryable, taskId: string) => Promise<void>): Promise<string>;
}

/** A trainer's answer to start_training. */
export type StartOutcome =
  | { kind: 'started' }
  /** The trainer refused; `retry: false` when retrying cannot help (e.g. the repo cannot be cloned). */
  | { kind: 'refused'; retry: boolean; error: string };

/** The trainer nodes' HTTP API (tournament spec §5.1). Unreachable trainers throw TrainerUnreachable. */
export interface TrainerApi {
  startTraining(trainerIp: string, request: TrainerProxyRequest): Promise<StartOutcome>;
  gpuAvailability(trainerIp: string): Promise<GpuInfo[]>;
  /** Null when the trainer does not know the job (404). */
  taskDetails(trainerIp: string, taskId: string, hotkey: string): Promise<TrainerTaskLog | null>;
}

export class TrainerUnreachable extends Error {
  override readonly name = 'TrainerUnreachable';
}

/** The trainer answered with an error status (not 404). */
export class TrainerHttpError extends Error {
  override readonly name = 'TrainerHttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface PublishRequest {
  tournamentId: string;
  type: TournamentType;
  hotkey: string;
  position: number;
  repo: string;
  commit: string | null;
}

/** Publishes a winner's training repository as a snapshot; returns where it now lives and at which commit. */
export interface RepoPublisher {
  publish(request: PublishRequest): Promise<{ url: string; commit: string }>;
}
