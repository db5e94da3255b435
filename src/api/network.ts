/**
 * Network status (validator.md §10.1, §9.1 "Stats"): how many tasks train, wait for and undergo evaluation,
 * and whether the network takes more (`job_can_be_made`, false from `validator.maxConcurrentJobs` trainings).
 */
import { z } from 'zod';
import { detailedNetworkStatsSchema, networkStatsSchema } from '../core/models/tasks.ts';
import { currentTaskStats, taskCountsByType } from '../db/queries/api-tasks.ts';
import { route, type RouteDefinition } from '../http/route.ts';
import type { ApiContext } from './context.ts';

const TAGS = ['Gradients On Demand'];
const TYPE_PREFIX = { InstructTextTask: 'instruct', DpoTask: 'dpo', GrpoTask: 'grpo', ImageTask: 'image', ChatTask: 'chat' } as const;
const COUNTED = ['training', 'preevaluation', 'evaluating', 'success'] as const;

const count = z.number().int().optional();
/** The original's detailed stats plus the chat counts [HEAD] wanted and its model lacked. */
export const detailedStatsSchema = detailedNetworkStatsSchema.extend({
  chat_training: count,
  chat_preevaluation: count,
  chat_evaluating: count,
  chat_success: count,
});

async function status(ctx: ApiContext) {
  const s = await currentTaskStats(ctx.db);
  return {
    number_of_jobs_training: s.training,
    number_of_jobs_preevaluation: s.preevaluation,
    number_of_jobs_evaluating: s.evaluating,
    number_of_jobs_success: s.success,
    next_training_end: s.nextTrainingEnd ? s.nextTrainingEnd.toISOString() : null,
    job_can_be_made: s.training < ctx.config.validator.maxConcurrentJobs,
  };
}

export function networkRoutes(ctx: ApiContext): RouteDefinition[] {
  return [
    route({
      method: 'GET',
      url: '/v1/network/status',
      auth: 'customer',
      response: networkStatsSchema,
      tags: TAGS,
      summary: 'Tasks training, waiting for evaluation, evaluating and succeeded; whether a new job can start',
      handler: () => status(ctx),
    }),
    route({
      method: 'GET',
      url: '/v1/network/detailed_status',
      auth: 'customer',
      response: detailedStatsSchema,
      tags: TAGS,
      summary: 'Network status with the same counts per task type',
      handler: async () => {
        const out: Record<string, unknown> = await status(ctx);
        for (const prefix of Object.values(TYPE_PREFIX)) for (const s of COUNTED) out[`${prefix}_${s}`] = 0;
        for (const row of await taskCountsByType(ctx.db)) out[`${TYPE_PREFIX[row.task_type]}_${row.status}`] = row.n;
        return out as z.input<typeof detailedStatsSchema>;
      },
    }),
  ];
}
