/**
 * The trainer's HTTP API: the original's four routes with its payloads (tournament.md §5.1, §6), all authenticated,
 * plus two of ours: a job's bounded log and output tail, and the isolation layers this trainer applies.
 */
import { z } from 'zod';
import {
  TRAINER_ENDPOINTS,
  gpuAvailabilityResponseSchema,
  recentTasksResponseSchema,
  trainerProxyRequestSchema,
  trainerStartResponseSchema,
  trainerTaskLogSchema,
} from '../core/models/trainer.ts';
import { createServer, type GodServer } from '../http/server.ts';
import { createMetrics, mountOperations } from '../ops/index.ts';
import { HttpError } from '../http/errors.ts';
import { route, type CustomAuth } from '../http/route.ts';
import type { Logger } from '../log/index.ts';
import type { TrainerPrincipal } from './auth.ts';
import type { TrainerService } from './service.ts';

export const TRAINER_EXTRA_ENDPOINTS = {
  taskLogs: '/v1/trainer/{task_id}/logs',
  isolation: '/v1/trainer/get_isolation',
} as const;

export const jobLogsResponseSchema = z.object({
  task_id: z.string(),
  hotkey: z.string(),
  attempt: z.number().int(),
  status: z.enum(['training', 'success', 'failure']),
  phase: z.string(),
  error: z.string().nullable(),
  retryable: z.boolean(),
  hub_repo: z.string().nullable(),
  logs: z.array(z.string()),
  output_tail: z.array(z.string()),
});
export type JobLogsResponse = z.infer<typeof jobLogsResponseSchema>;

export const isolationResponseSchema = z.object({
  executor: z.string(),
  layers: z.array(z.object({ layer: z.string(), active: z.boolean(), detail: z.string() })),
});

const hotkeyQuery = z.object({ hotkey: z.string().min(1) });

export function trainerRoutes(service: TrainerService, auth: CustomAuth<TrainerPrincipal>) {
  return [
    route({
      method: 'POST',
      url: TRAINER_ENDPOINTS.startTraining,
      auth,
      body: trainerProxyRequestSchema,
      response: trainerStartResponseSchema,
      summary: 'Clone the miner repo at its commit and train on the given GPUs',
      tags: ['trainer'],
      handler: async ({ body, auth: who, log }) => {
        log.info({ task_id: body.training_data.task_id, hotkey: body.hotkey, caller: who }, 'start_training');
        const result = await service.start(body);
        if (result.status !== 200) throw new HttpError(result.status, result.detail);
        return result.body;
      },
    }),
    route({
      method: 'GET',
      url: TRAINER_ENDPOINTS.gpuAvailability,
      auth,
      response: gpuAvailabilityResponseSchema,
      summary: 'GPUs of this trainer and whether a running job holds them',
      tags: ['trainer'],
      handler: () => service.gpuAvailability(),
    }),
    route({
      method: 'GET',
      url: TRAINER_ENDPOINTS.recentTasks,
      auth,
      query: z.object({ hours: z.coerce.number().int().min(0) }),
      response: recentTasksResponseSchema,
      summary: 'Jobs started or finished within the last N hours, newest first',
      tags: ['trainer'],
      handler: ({ query }) => {
        const tasks = service.recentTasks(query.hours);
        if (!tasks.length) throw new HttpError(404, `Tasks not found in the last ${query.hours} hours.`);
        return tasks;
      },
    }),
    route({
      method: 'GET',
      url: TRAINER_EXTRA_ENDPOINTS.isolation,
      auth,
      response: isolationResponseSchema,
      summary: 'Isolation layers this trainer applies to training runs (ours)',
      tags: ['trainer'],
      handler: () => ({ executor: service.executorKind, layers: service.isolation() }),
    }),
    route({
      method: 'GET',
      url: TRAINER_ENDPOINTS.taskDetails,
      auth,
      params: z.object({ task_id: z.string() }),
      query: hotkeyQuery,
      response: trainerTaskLogSchema,
      summary: 'History entry of one (task, hotkey)',
      tags: ['trainer'],
      handler: ({ params, query }) => {
        const task = service.task(params.task_id, query.hotkey);
        if (!task) throw new HttpError(404, `Task with ID '${params.task_id}' and hotkey '${query.hotkey}' not found.`);
        return task;
      },
    }),
    route({
      method: 'GET',
      url: TRAINER_EXTRA_ENDPOINTS.taskLogs,
      auth,
      params: z.object({ task_id: z.string() }),
      query: hotkeyQuery,
      response: jobLogsResponseSchema,
      summary: 'Progress log and the last lines of the training output of one (task, hotkey) (ours; bounded)',
      tags: ['trainer'],
      handler: ({ params, query }) => {
        const job = service.job(params.task_id, query.hotkey);
        if (!job) throw new HttpError(404, `Task with ID '${params.task_id}' and hotkey '${query.hotkey}' not found.`);
        return {
          task_id: params.task_id,
          hotkey: query.hotkey,
          attempt: job.attempt,
          status: job.status,
          phase: job.phase,
          error: job.error,
          retryable: job.retryable,
          hub_repo: job.hub_repo,
          logs: job.logs,
          output_tail: job.output_tail,
        };
      },
    }),
  ];
}

export function createTrainerServer(service: TrainerService, auth: CustomAuth<TrainerPrincipal>, logger?: Logger): GodServer {
  const server = createServer({ ...(logger ? { logger } : {}), info: { title: 'god trainer' }, logRequests: false });
  server.routes(trainerRoutes(service, auth));
  const metrics = createMetrics('trainer');
  service.onJobFinished((outcome) => metrics.trainerJobsFinished.inc({ outcome }));
  mountOperations(server, {
    metrics,
    beforeScrape: async () => {
      for (const [state, n] of Object.entries(service.jobCounts())) metrics.trainerJobs.set({ state }, n);
    },
  });
  return server;
}
