/**
 * The miner's HTTP API (miner-protocol-chain.md §3, §5): every endpoint of the reference miner with its paths
 * (trailing slashes exactly), payloads, fiber authentication and status codes, plus our progress endpoint.
 *
 *   POST /task_offer/                           MinerTaskOffer    → MinerTaskResponse (accept policy, policy.ts)
 *   POST /task_offer_image/                     MinerTaskOffer    → MinerTaskResponse
 *   POST /start_training/                       TrainRequestText  → TrainResponse (job queued)
 *   POST /start_training_grpo/                  TrainRequestGrpo  → TrainResponse
 *   POST /start_training_image/                 TrainRequestImage → TrainResponse
 *   GET  /get_latest_model_submission/{task_id}                   → MinerSubmission, 404 when there is none
 *   GET  /training_repo/{task_type}             (text | image)    → TrainingRepoResponse
 *   GET  /training_progress/{task_id}           (ours)            → TrainingProgressResponse
 *
 * Every route requires a validator's signed request (src/net verification: nonce, signature, miner hotkey,
 * stake ≥ threshold through the injected stake lookup).
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { systemClock, type Clock } from '../clock/index.ts';
import {
  minerSubmissionSchema,
  minerTaskOfferSchema,
  minerTaskResponseSchema,
  trainingRepoResponseSchema,
  trainRequestGrpoSchema,
  trainRequestImageSchema,
  trainRequestTextSchema,
  trainResponseSchema,
  type MinerTaskOffer,
  type TrainRequestGrpo,
  type TrainRequestImage,
  type TrainRequestText,
} from '../core/models/payloads.ts';
import type { MinerRules } from '../core/rules/miner.ts';
import { enqueueMinerJob, getMinerJob, minerLoad } from '../db/queries/miner-jobs.ts';
import type { Queryable } from '../db/types.ts';
import { createServer, HttpError, route, type GodServer } from '../http/index.ts';
import { silentLogger, type Logger } from '../log/index.ts';
import { createMetrics, mountOperations, type GodMetrics } from '../ops/index.ts';
import { fiberAuthPreHandler } from '../net/fastify.ts';
import { NonceStore } from '../net/nonce-store.ts';
import type { VerifyContext } from '../net/verify.ts';
import { downloadToFile, DownloadError, urlFileName } from './download.ts';
import { imageJobFrom, textJobFrom, type TrainingJob } from './jobs.ts';
import { decideOffer, type OfferEndpoint } from './policy.ts';

export const MINER_PROGRESS_PATH = '/training_progress/{task_id}';

export const trainingProgressResponseSchema = z.object({
  task_id: z.string(),
  status: z.enum(['queued', 'running', 'completed', 'failed']),
  /** The backend's latest report (`phase`, `step`, `totalSteps`, `loss`, `message`), null before the first. */
  progress: z.record(z.string(), z.unknown()).nullable(),
  enqueued_at: z.string(),
  deadline_at: z.string(),
  finished_at: z.string().nullable(),
});
export type TrainingProgressResponse = z.infer<typeof trainingProgressResponseSchema>;

export interface TrainingRepoSetting {
  readonly githubRepo: string;
  readonly commitHash: string;
}

export interface MinerServerOptions {
  readonly db: Queryable;
  /** This miner's hotkey SS58 (the `miner-hotkey` header must name it). */
  readonly minerHotkey: string;
  /** A validator's stake from the metagraph (injected: the chain, a node store, or a fixed table in tests). */
  readonly lookupStake: VerifyContext['lookupStake'];
  /** fiber's MIN_STAKE_THRESHOLD. */
  readonly minStake: number;
  readonly rules: MinerRules;
  /** Hub namespace result repos are created under. */
  readonly hubUsername: string;
  /** Where downloaded datasets go: `{dataDir}/datasets/{task_id}/…` and `{dataDir}/images/{task_id}.zip`. */
  readonly dataDir: string;
  readonly trainingRepo: { readonly text: TrainingRepoSetting; readonly image: TrainingRepoSetting };
  /** Recorded with each job (`miner_jobs.backend`). */
  readonly backendName: string;
  /** Told when a job was queued, so it starts without waiting for the next poll. */
  readonly onEnqueued?: () => void;
  readonly clock?: Clock;
  readonly log?: Logger;
  readonly nonceStore?: NonceStore;
  /** The repo name used when the validator sent none (the reference draws a uuid4). */
  readonly newRepoName?: () => string;
  readonly fetchImpl?: typeof fetch;
  /** Served on `/metrics` (default: a fresh `miner` registry). */
  readonly metrics?: GodMetrics;
}

const taskIdParams = z.object({ task_id: z.string() });
const SAFE_TASK_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function checkTaskId(taskId: string): void {
  // The task id names folders on this machine.
  if (!SAFE_TASK_ID.test(taskId) || taskId.includes('..')) throw new HttpError(400, 'task_id must be letters, digits, dots, dashes or underscores');
}

export function createMinerServer(options: MinerServerOptions): GodServer {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? silentLogger();
  const newRepoName = options.newRepoName ?? randomUUID;
  const auth = fiberAuthPreHandler(
    {
      minerHotkey: options.minerHotkey,
      lookupStake: options.lookupStake,
      nonceStore: options.nonceStore ?? new NonceStore(),
      nowNs: () => BigInt(Math.floor(clock.now() * 1000)) * 1000n,
      minStake: options.minStake,
    },
    { onReject: (request, rejected) => log.debug({ path: request.url, reason: rejected.reason }, 'request refused') },
  );
  const server = createServer({ logger: log, info: { title: 'god miner' }, logRequests: false });

  async function offer(body: MinerTaskOffer, endpoint: OfferEndpoint) {
    const load = await minerLoad(options.db);
    const answer = decideOffer(body, endpoint, options.rules, { busyUntil: load.busyUntil, activeJobs: load.queued + load.running }, clock.now());
    log.info({ task_id: body.task_id, task_type: body.task_type, model: body.model, accepted: answer.accepted }, 'offer answered');
    return answer;
  }

  async function enqueue(job: TrainingJob, endpoint: 'text' | 'grpo' | 'image') {
    await enqueueMinerJob(options.db, {
      taskId: job.taskId,
      endpoint,
      taskType: job.taskType,
      model: job.model,
      expectedRepoName: job.expectedRepoName,
      hoursToComplete: job.hoursToComplete,
      job,
      enqueuedAt: clock.date(),
      backend: options.backendName,
    });
    log.info({ task_id: job.taskId, task_type: job.taskType, repo: job.repo }, 'training job queued');
    options.onEnqueued?.();
    return { message: 'Training job enqueued.', task_id: job.taskId };
  }

  async function download(url: string, target: string): Promise<void> {
    try {
      await downloadToFile(url, target, { maxBytes: options.rules.maxDatasetBytes, ...(options.fetchImpl ? { fetchImpl: options.fetchImpl } : {}) });
    } catch (err) {
      if (err instanceof DownloadError || err instanceof TypeError) throw new HttpError(400, err.message);
      throw err;
    }
  }

  const repoFor = (expected: string | null | undefined) => `${options.hubUsername}/${expected || newRepoName()}`;

  async function startText(request: TrainRequestText | TrainRequestGrpo, grpo: boolean) {
    checkTaskId(request.task_id);
    let dataset = request.dataset;
    let fileFormat: 'json' | 'csv' | 'hf';
    if (request.file_format === 's3') {
      const target = join(options.dataDir, 'datasets', request.task_id, urlFileName(request.dataset));
      await download(request.dataset, target);
      dataset = target;
      fileFormat = 'json';
    } else if (request.file_format === 'hf') {
      fileFormat = 'hf';
    } else {
      // The reference would train on whatever local path the validator names; refuse instead.
      throw new HttpError(400, `file_format '${request.file_format}' names a file on this machine; send 's3' (a URL) or 'hf'`);
    }
    return enqueue(textJobFrom(request, grpo, { dataset, fileFormat }, repoFor(request.expected_repo_name)), grpo ? 'grpo' : 'text');
  }

  async function startImage(request: TrainRequestImage) {
    checkTaskId(request.task_id);
    const target = join(options.dataDir, 'images', `${request.task_id}.zip`);
    await download(request.dataset_zip, target);
    return enqueue(imageJobFrom(request, target, repoFor(request.expected_repo_name)), 'image');
  }

  server.routes([
    route({ method: 'POST', url: '/task_offer/', auth, summary: 'Answer a text task offer', body: minerTaskOfferSchema, response: minerTaskResponseSchema, handler: ({ body }) => offer(body, 'text') }),
    route({ method: 'POST', url: '/task_offer_image/', auth, summary: 'Answer an image task offer', body: minerTaskOfferSchema, response: minerTaskResponseSchema, handler: ({ body }) => offer(body, 'image') }),
    route({ method: 'POST', url: '/start_training/', auth, summary: 'Queue an instruct, DPO or chat training job', body: trainRequestTextSchema, response: trainResponseSchema, handler: ({ body }) => startText(body, false) }),
    route({ method: 'POST', url: '/start_training_grpo/', auth, summary: 'Queue a GRPO training job', body: trainRequestGrpoSchema, response: trainResponseSchema, handler: ({ body }) => startText(body, true) }),
    route({ method: 'POST', url: '/start_training_image/', auth, summary: 'Queue an image training job', body: trainRequestImageSchema, response: trainResponseSchema, handler: ({ body }) => startImage(body) }),
    route({
      method: 'GET',
      url: '/get_latest_model_submission/{task_id}',
      auth,
      summary: 'Get Latest Model Submission',
      params: taskIdParams,
      response: minerSubmissionSchema,
      handler: async ({ params }) => {
        const row = await getMinerJob(options.db, params.task_id);
        // Only a finished upload is a submission; the reference also named repos of jobs that never trained.
        if (row === null || row.status !== 'completed' || row.submission_repo === null) {
          throw new HttpError(404, `No model submission found for task ${params.task_id}`);
        }
        return { repo: row.submission_repo, model_hash: row.model_hash };
      },
    }),
    route({
      method: 'GET',
      url: '/training_repo/{task_type}',
      auth,
      summary: 'Get Training Repo',
      params: z.object({ task_type: z.enum(['text', 'image']) }),
      response: trainingRepoResponseSchema,
      handler: ({ params }) => {
        const repo = options.trainingRepo[params.task_type];
        return { github_repo: repo.githubRepo, commit_hash: repo.commitHash };
      },
    }),
    route({
      method: 'GET',
      url: MINER_PROGRESS_PATH,
      auth,
      summary: 'Training progress of a job (ours)',
      params: taskIdParams,
      response: trainingProgressResponseSchema,
      handler: async ({ params }) => {
        const row = await getMinerJob(options.db, params.task_id);
        if (row === null) throw new HttpError(404, `No training job for task ${params.task_id}`);
        return {
          task_id: row.task_id,
          status: row.status,
          progress: (row.progress as Record<string, unknown> | null) ?? null,
          enqueued_at: row.enqueued_at.toISOString(),
          deadline_at: row.deadline_at.toISOString(),
          finished_at: row.finished_at?.toISOString() ?? null,
        };
      },
    }),
  ]);
  mountOperations(server, { metrics: options.metrics ?? createMetrics('miner') });
  return server;
}
