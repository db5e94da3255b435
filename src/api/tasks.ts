/**
 * Task routes (validator.md §10.1): creation for every type, details, lists, per-miner breakdown, and the
 * customer additions — cancel, the result (trained model and metrics) and a filtered list.
 */
import { z } from 'zod';
import { taskTypeSchema, type TaskType } from '../core/enums.ts';
import { getRewardFunction } from '../sandbox/store.ts';
import type { RewardFunction } from '../core/models/reward-functions.ts';
import {
  allOfNodeResultsSchema,
  newTaskResponseSchema,
  taskResultResponseSchema,
  type AnyRawTask,
  type AnyTask,
} from '../core/models/tasks.ts';
import { isTerminalTaskStatus, TaskTransitionError } from '../core/task-status.ts';
import type { StoredTaskStatus } from '../core/enums.ts';
import {
  deleteTask,
  isUuid,
  listCompletedOrganicIds,
  listTaskIds,
  loadTaskBatch,
  loadTasks,
  minerResults,
  normaliseFloat,
  scoresForHotkey,
  successfulMatchingInstructTaskIds,
  updateTaskColumn,
} from '../db/queries/api-tasks.ts';
import { insertTask, setTaskStatus } from '../db/queries/tasks.ts';
import { HttpError } from '../http/errors.ts';
import { route, type RouteDefinition } from '../http/route.ts';
import type { ApiKeyPrincipal } from '../auth/service.ts';
import {
  assertActsFor,
  isAdmin,
  now,
  pageQuery,
  taskForCaller,
  taskIdParams,
  taskViewForCaller,
  toPage,
  type ApiContext,
} from './context.ts';
import * as create from './create.ts';
import { hideWhileInFlight, taskDetailsSchema, toTaskDetails } from './views.ts';

const TAGS = ['Gradients On Demand'];
const REUSE_WINDOW_MS = 7 * 24 * 3_600_000;

/** The tasks as TaskDetails, in-flight data hidden (and that of tasks in an open tournament). */
export async function detailsOfIds(ctx: ApiContext, ids: readonly string[]) {
  const { tasks, inOpenTournament } = await loadTaskBatch(ctx.db, ids);
  return tasks.map((t) => toTaskDetails(hideWhileInFlight(t, inOpenTournament.has(t.task_id as string))));
}

async function store(ctx: ApiContext, auth: ApiKeyPrincipal, task: AnyRawTask) {
  assertActsFor(auth, task.account_id);
  const stored = await insertTask(ctx.db, task, { now: now(ctx), actor: `api:${auth.accountName}` });
  ctx.log.info({ task_id: stored.task_id, task_type: stored.task_type }, 'task created');
  return { success: true, task_id: stored.task_id ?? null, created_at: stored.created_at, account_id: stored.account_id };
}

/** Each referenced reward function with the request's weight; an unknown id is a 400 (the original 500s, D-api-4). */
async function resolveRewardFunctions(ctx: ApiContext, refs: readonly { reward_id: string; reward_weight: number }[]): Promise<RewardFunction[]> {
  const out: RewardFunction[] = [];
  for (const ref of refs) {
    const stored = isUuid(ref.reward_id) ? await getRewardFunction(ctx.db, ref.reward_id) : null;
    if (!stored) throw new HttpError(400, `Reward function with ID ${ref.reward_id} not found`);
    out.push({
      reward_id: stored.reward_id,
      reward_func: stored.reward_func,
      func_hash: stored.func_hash,
      is_generic: stored.is_generic,
      is_manual: stored.is_manual,
      reward_weight: ref.reward_weight,
    });
  }
  return out;
}

const createResponse = newTaskResponseSchema;

export function taskRoutes(ctx: ApiContext): RouteDefinition[] {
  const schemas = create.createSchemas(ctx.rules.maxHoursToComplete, {
    min: ctx.config.synth.imagePairsMin,
    max: ctx.config.synth.imagePairsMax,
  });
  const page = pageQuery(ctx.rules);

  return [
    route({
      method: 'POST',
      url: '/v1/tasks/create',
      auth: 'customer',
      body: schemas.instruct,
      response: createResponse,
      tags: TAGS,
      summary: 'Create an instruct-text task',
      description:
        'If an identical instruct task (same model, dataset and columns) succeeded within 7 days, a new task is created already in `success` with that result (validator.md §10.2).',
      handler: async ({ body, auth }) => {
        const at = now(ctx);
        const task = create.instructTask(body, at);
        assertActsFor(auth, task.account_id);
        const previous =
          body.field_instruction !== null
            ? await successfulMatchingInstructTaskIds(ctx.db, {
                modelId: body.model_repo,
                ds: body.ds_repo,
                fieldInstruction: body.field_instruction,
                fieldInput: body.field_input ?? null,
                fieldOutput: body.field_output ?? null,
                since: new Date(at.getTime() - REUSE_WINDOW_MS),
              })
            : [];
        const reusable = (await loadTasks(ctx.db, previous)).find((t) => t.training_repo_backup || t.trained_model_repository);
        if (reusable && reusable.task_type === 'InstructTextTask') {
          return store(ctx, auth, {
            ...reusable,
            task_id: null,
            account_id: body.account_id,
            status: 'success',
            is_organic: true,
            created_at: at.toISOString(),
            started_at: at.toISOString(),
            termination_at: at.toISOString(),
            completed_at: null,
            hours_to_complete: body.hours_to_complete,
            training_repo_backup: reusable.training_repo_backup ?? reusable.trained_model_repository ?? null,
            times_delayed: 0,
            n_eval_attempts: 0,
          });
        }
        return store(ctx, auth, task);
      },
    }),
    route({
      method: 'POST',
      url: '/v1/tasks/create_image',
      auth: 'customer',
      body: schemas.image,
      response: createResponse,
      tags: TAGS,
      summary: 'Create an image (diffusion LoRA) task',
      handler: ({ body, auth }) => store(ctx, auth, create.imageTask(body, now(ctx))),
    }),
    route({
      method: 'POST',
      url: '/v1/tasks/create_dpo',
      auth: 'customer',
      body: schemas.dpo,
      response: createResponse,
      tags: TAGS,
      summary: 'Create a DPO task',
      handler: ({ body, auth }) => store(ctx, auth, create.dpoTask(body, now(ctx))),
    }),
    route({
      method: 'POST',
      url: '/v1/tasks/create_chat',
      auth: 'customer',
      body: schemas.chat,
      response: createResponse,
      tags: TAGS,
      summary: 'Create a chat task',
      handler: ({ body, auth }) => store(ctx, auth, create.chatTask(body, now(ctx))),
    }),
    route({
      method: 'POST',
      url: '/v1/tasks/create_grpo',
      auth: 'customer',
      body: schemas.grpo,
      response: createResponse,
      tags: TAGS,
      summary: 'Create a GRPO task with stored reward functions',
      description: 'Each `reward_id` must name a function from GET /v1/grpo/reward_functions; an unknown id is a 400.',
      handler: async ({ body, auth }) => {
        assertActsFor(auth, body.account_id);
        const functions = await resolveRewardFunctions(ctx, body.reward_functions);
        return store(ctx, auth, create.grpoTask(body, functions, now(ctx)));
      },
    }),
    route({
      method: 'POST',
      url: '/v1/tasks/create_custom_dataset_text',
      auth: 'customer',
      body: schemas.customText,
      response: createResponse,
      tags: TAGS,
      summary: 'Create an instruct-text task on your own data (training_data / test_data URLs)',
      handler: ({ body, auth }) => store(ctx, auth, create.customTextTask(body, now(ctx))),
    }),
    route({
      method: 'POST',
      url: '/v1/tasks/create_custom_dataset_chat',
      auth: 'customer',
      body: schemas.customChat,
      response: createResponse,
      tags: TAGS,
      summary: 'Create a chat task on your own data',
      handler: ({ body, auth }) => store(ctx, auth, create.customChatTask(body, now(ctx))),
    }),
    route({
      method: 'POST',
      url: '/v1/tasks/create_custom_dataset_dpo',
      auth: 'customer',
      body: schemas.customDpo,
      response: createResponse,
      tags: TAGS,
      summary: 'Create a DPO task on your own data',
      handler: ({ body, auth }) => store(ctx, auth, create.customDpoTask(body, now(ctx))),
    }),
    route({
      method: 'POST',
      url: '/v1/tasks/create_custom_dataset_grpo',
      auth: 'customer',
      body: schemas.customGrpo,
      response: createResponse,
      tags: TAGS,
      summary: 'Create a GRPO task on your own data',
      handler: async ({ body, auth }) => {
        assertActsFor(auth, body.account_id);
        const functions = await resolveRewardFunctions(ctx, body.reward_functions);
        return store(ctx, auth, create.customGrpoTask(body, functions, now(ctx)));
      },
    }),
    route({
      method: 'POST',
      url: '/v1/tasks/create_with_fixed_datasets',
      auth: 'admin',
      body: schemas.fixedDatasets,
      response: createResponse,
      tags: TAGS,
      summary: 'Create an instruct task with ready train/test/synthetic files (skips data preparation; operators only)',
      handler: ({ body, auth }) => store(ctx, auth, create.fixedDatasetsTask(body, now(ctx))),
    }),
    route({
      method: 'GET',
      url: '/v1/tasks',
      auth: 'customer',
      query: page.extend({
        status: z.string().min(1).max(400).optional().describe('comma-separated statuses'),
        task_type: taskTypeSchema.optional(),
        account_id: z.guid().optional().describe('admin keys only; customers always see their own account'),
      }),
      response: z.array(taskDetailsSchema),
      tags: TAGS,
      summary: 'List tasks, newest first (filter by status, type and, for admin keys, account)',
      handler: async ({ query, auth }) => {
        const accountId = isAdmin(auth) ? query.account_id : auth.accountId;
        if (!isAdmin(auth) && query.account_id && query.account_id.toLowerCase() !== auth.accountId.toLowerCase()) {
          assertActsFor(auth, query.account_id);
        }
        const ids = await listTaskIds(
          ctx.db,
          {
            ...(accountId ? { accountId } : {}),
            ...(query.status ? { status: query.status.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
            ...(query.task_type ? { taskType: query.task_type } : {}),
          },
          toPage(query),
        );
        return detailsOfIds(ctx, ids);
      },
    }),
    route({
      method: 'GET',
      url: '/v1/tasks/{task_id}',
      auth: 'customer',
      params: taskIdParams,
      response: taskDetailsSchema,
      tags: TAGS,
      summary: 'Task details (data URLs and the dataset hidden until the task finishes)',
      handler: async ({ params, auth }) => {
        const { task, inOpenTournament } = await taskViewForCaller(ctx, auth, params.task_id);
        return toTaskDetails(hideWhileInFlight(task, inOpenTournament));
      },
    }),
    route({
      method: 'DELETE',
      url: '/v1/tasks/delete/{task_id}',
      auth: 'customer',
      params: taskIdParams,
      responseContentType: 'text/plain',
      tags: TAGS,
      summary: 'Delete a task (answers the text "Success")',
      handler: async ({ params, auth, reply }) => {
        await taskForCaller(ctx, auth, params.task_id);
        await ctx.db.transaction((tx) => deleteTask(tx, params.task_id, ctx.netuid));
        return reply.type('text/plain; charset=utf-8').send('Success');
      },
    }),
    route({
      method: 'GET',
      url: '/v1/tasks/breakdown/{task_id}',
      auth: 'customer',
      params: taskIdParams,
      response: taskResultResponseSchema,
      tags: TAGS,
      summary: "Each scored miner's quality score and losses (NaN and infinities as null)",
      handler: async ({ params, auth }) => {
        const task = await taskForCaller(ctx, auth, params.task_id);
        const rows = await minerResults(ctx.db, params.task_id, ctx.netuid);
        const clean = (x: number | null) => (x === null || !Number.isFinite(x) ? null : x);
        return {
          id: task.task_id as string,
          miner_results: rows
            .filter((r) => clean(r.quality_score) !== null)
            .map((r) => ({
              hotkey: r.hotkey,
              quality_score: r.quality_score as number,
              test_loss: clean(r.test_loss),
              synth_loss: clean(r.synth_loss),
              score_reason: r.score_reason,
            })),
        };
      },
    }),
    route({
      method: 'GET',
      url: '/v1/tasks/node_results/{hotkey}',
      auth: 'customer',
      params: z.object({ hotkey: z.string().min(1).max(100) }),
      response: allOfNodeResultsSchema,
      tags: TAGS,
      summary: "A miner's scores on successful tasks",
      handler: async ({ params }) => ({
        success: true,
        hotkey: params.hotkey,
        task_results: await scoresForHotkey(ctx.db, params.hotkey, ctx.netuid),
      }),
    }),
    route({
      method: 'GET',
      url: '/v1/tasks/account/{account_id}',
      auth: 'customer',
      params: z.object({ account_id: z.guid() }),
      query: page,
      response: z.array(taskDetailsSchema),
      tags: TAGS,
      summary: "An account's tasks, newest first (benchmark tasks left out)",
      handler: async ({ params, query, auth }) => {
        assertActsFor(auth, params.account_id);
        const ids = await listTaskIds(ctx.db, { accountId: params.account_id, excludeBenchmark: true }, toPage(query));
        return detailsOfIds(ctx, ids);
      },
    }),
    route({
      method: 'GET',
      url: '/v1/tasks/organic/completed',
      auth: 'customer',
      query: page.extend({
        hours: z.coerce.number().int().min(1).optional().describe('only tasks that ended within this many hours'),
        task_type: taskTypeSchema.optional(),
        search_model_name: z.string().max(200).optional().describe('terms that must all appear in result_model_name'),
      }),
      response: z.array(taskDetailsSchema),
      tags: TAGS,
      summary: 'Successful customer tasks, latest first',
      handler: async ({ query }) => {
        const since = query.hours !== undefined ? new Date(ctx.clock.now() - query.hours * 3_600_000) : undefined;
        const ids = await listCompletedOrganicIds(
          ctx.db,
          {
            ...(since ? { since } : {}),
            ...(query.task_type ? { taskType: query.task_type as TaskType } : {}),
            ...(query.search_model_name ? { search: query.search_model_name } : {}),
          },
          toPage(query),
        );
        return detailsOfIds(ctx, ids);
      },
    }),
    route({
      method: 'PUT',
      url: '/v1/tasks/{task_id}/training_repo_backup',
      auth: 'admin',
      params: taskIdParams,
      query: z.object({ training_repo: z.string().min(1).max(500) }),
      tags: TAGS,
      summary: 'Set the repo that overrides the winning submission (operators only)',
      handler: async ({ params, query, reply }) => {
        if (!(await updateTaskColumn(ctx.db, params.task_id, 'training_repo_backup', query.training_repo, now(ctx)))) {
          throw new HttpError(404, 'Task not found.');
        }
        return reply.code(200).send();
      },
    }),
    route({
      method: 'PUT',
      url: '/v1/tasks/{task_id}/result_model_name',
      auth: 'customer',
      params: taskIdParams,
      query: z.object({ result_model_name: z.string().min(1).max(500) }),
      tags: TAGS,
      summary: 'Rename the result model',
      handler: async ({ params, query, auth, reply }) => {
        await taskForCaller(ctx, auth, params.task_id);
        await updateTaskColumn(ctx.db, params.task_id, 'result_model_name', query.result_model_name, now(ctx));
        return reply.code(200).send();
      },
    }),
    route({
      method: 'POST',
      url: '/v1/tasks/{task_id}/cancel',
      auth: 'customer',
      params: taskIdParams,
      response: z.object({ task_id: z.string(), previous_status: z.string(), status: z.string(), cancelled: z.boolean() }),
      tags: TAGS,
      summary: 'Cancel a task that has not finished (it ends in `failure`); 409 when it already has',
      handler: async ({ params, auth }) => {
        const task = await taskForCaller(ctx, auth, params.task_id);
        if (isTerminalTaskStatus(task.status as StoredTaskStatus)) {
          throw new HttpError(409, `Task has already finished (status ${task.status})`);
        }
        try {
          // The transition table's operator row (any status → failure) is the only way out of every status.
          await setTaskStatus(ctx.db, params.task_id, 'failure', {
            operator: true,
            now: now(ctx),
            actor: `api:${auth.accountName}`,
            detail: { reason: 'cancelled', cancelled_by: auth.accountName },
          });
        } catch (err) {
          if (err instanceof TaskTransitionError) throw new HttpError(409, `Task cannot be cancelled from status ${err.from}`);
          throw err;
        }
        return { task_id: params.task_id, previous_status: task.status, status: 'failure', cancelled: true };
      },
    }),
    route({
      method: 'GET',
      url: '/v1/tasks/{task_id}/result',
      auth: 'customer',
      params: taskIdParams,
      response: taskOutcomeSchema,
      tags: TAGS,
      summary: 'Where the trained model is and how every miner scored',
      handler: async ({ params, auth }) => outcomeOf(ctx, await taskForCaller(ctx, auth, params.task_id)),
    }),
    route({
      method: 'GET',
      url: '/v1/account',
      auth: 'customer',
      response: z.object({ account_id: z.string(), name: z.string(), scopes: z.array(z.string()), key_prefix: z.string() }),
      tags: ['account'],
      summary: 'Who this API key belongs to (the account_id to put in create requests)',
      handler: ({ auth }) => ({ account_id: auth.accountId, name: auth.accountName, scopes: auth.scopes, key_prefix: auth.keyPrefix }),
    }),
  ];
}

const minerOutcomeSchema = z.object({
  hotkey: z.string(),
  rank: z.number().int(),
  quality_score: z.number().nullable(),
  test_loss: z.number().nullable(),
  synth_loss: z.number().nullable(),
  score_reason: z.string().nullable(),
  repo: z.string().nullable(),
});
export const taskOutcomeSchema = z.object({
  task_id: z.string(),
  status: z.string(),
  finished: z.boolean(),
  succeeded: z.boolean(),
  task_type: z.string(),
  base_model_repository: z.string(),
  result_model_name: z.string().nullable(),
  /** Where the fine-tuned model is: the operator's override, else the best-scored submission. */
  trained_model_repository: z.string().nullable(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  winner: minerOutcomeSchema.nullable(),
  miner_results: z.array(minerOutcomeSchema),
});
export type TaskOutcome = z.infer<typeof taskOutcomeSchema>;

/** The trained model's location and every miner's metrics (NaN as null, ±inf as ±1e100). */
export async function outcomeOf(ctx: ApiContext, task: AnyTask): Promise<TaskOutcome> {
  const rows = await minerResults(ctx.db, task.task_id as string, ctx.netuid);
  const clean = (x: number | null) => (x === null ? null : normaliseFloat(x));
  let rank = 0;
  let last: number | null | undefined;
  const results = rows.map((r, i) => {
    const q = clean(r.quality_score);
    if (q !== last) rank = i + 1;
    last = q;
    return { hotkey: r.hotkey, rank, quality_score: q, test_loss: clean(r.test_loss), synth_loss: clean(r.synth_loss), score_reason: r.score_reason, repo: r.repo };
  });
  const finished = isTerminalTaskStatus(task.status as StoredTaskStatus);
  const succeeded = task.status === 'success';
  return {
    task_id: task.task_id as string,
    status: task.status,
    finished,
    succeeded,
    task_type: task.task_type,
    base_model_repository: task.model_id,
    result_model_name: task.result_model_name ?? null,
    trained_model_repository: succeeded ? ((task.trained_model_repository as string | null | undefined) ?? null) : null,
    started_at: task.started_at ?? null,
    finished_at: finished ? (task.termination_at ?? null) : null,
    winner: succeeded ? (results.find((r) => r.quality_score !== null) ?? null) : null,
    miner_results: results,
  };
}
