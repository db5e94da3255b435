/**
 * Creating round tasks and their general-network copies. A tournament task must never exist without its
 * `tournament_tasks` link (the miner market would offer it as an ordinary synthetic task), so creation runs
 * through a database handle whose transaction also runs the caller's link: the task insert and the link commit
 * together or not at all.
 */
import type { Config } from '../config/schema.ts';
import type { TaskType } from '../core/enums.ts';
import { SYNTHETIC_ACCOUNT_ID, type AnyRawTask } from '../core/models/tasks.ts';
import { getTask, insertTask } from '../db/queries/tasks.ts';
import type { Db, Queryable } from '../db/types.ts';
import type { ValidatorContext } from '../validator/context.ts';
import { createSyntheticTask } from '../validator/synth/scheduler.ts';
import type { TournamentTaskFactory } from './ports.ts';
import type { TaskSpec } from './structure.ts';

/**
 * A handle on `db` whose transactions run `hook(tx, result)` before committing, where `result` is what the
 * transaction body returned (insertTask returns the stored task). Plain queries pass through.
 */
export function hookedDb(db: Db, hook: (tx: Queryable, result: unknown) => Promise<void>): Db {
  return {
    driver: db.driver,
    location: db.location,
    query: (sql, params) => db.query(sql, params),
    exec: (sql) => db.exec(sql),
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) =>
      db.transaction(async (tx) => {
        const result = await fn(tx);
        await hook(tx, result);
        return result;
      }),
    close: () => db.close(),
  };
}

function taskIdOf(result: unknown): string {
  const id = typeof result === 'object' && result !== null ? (result as { task_id?: unknown }).task_id : undefined;
  if (typeof id !== 'string') throw new Error('task creation did not return a task id');
  return id;
}

/** Runs `insert` against a handle that links the task it inserts in the same transaction; returns the task id. */
export async function insertLinked(db: Db, link: (tx: Queryable, taskId: string) => Promise<void>, insert: (db: Db) => Promise<AnyRawTask>): Promise<string> {
  let linked: string | null = null;
  const task = await insert(
    hookedDb(db, async (tx, result) => {
      const id = taskIdOf(result);
      await link(tx, id);
      linked = id;
    }),
  );
  const id = String(task.task_id);
  if (linked !== id) throw new Error(`task ${id} was inserted without its tournament link`);
  return id;
}

/**
 * Production factory: the validator's synthetic task creator (content service models and datasets, the same data
 * prep afterwards) with the model size forced to the slot's range.
 */
export function validatorTaskFactory(ctx: ValidatorContext): TournamentTaskFactory {
  return {
    async create(spec: TaskSpec, link): Promise<string> {
      const synth = { ...ctx.config.synth, bigModelProbability: spec.big ? 1 : 0 };
      if (spec.paramsRangeB) {
        synth.standardModelMinParamsB = spec.paramsRangeB[0];
        synth.standardModelMaxParamsB = spec.paramsRangeB[1];
      }
      const config = { ...ctx.config, synth } as Config;
      return insertLinked(ctx.db, link, (db) => createSyntheticTask({ ...ctx, db, config }, spec.taskType));
    },
  };
}

export interface StaticTaskFactoryOptions {
  db: Db;
  now: () => Date;
  /** Model per task type (and for big text models). */
  models?: Partial<Record<TaskType | 'big', { modelId: string; paramsCount: number }>>;
  /** Status the task is created in: `pending` (the validator preps it) or `looking_for_nodes` (data already made). */
  status?: 'pending' | 'looking_for_nodes';
  hours?: number;
  /** Data URLs written on the task (signed URLs of prepared files, for looking_for_nodes). */
  dataUrl?: string;
}

/**
 * A factory that inserts fully specified tasks without the content service: fixed models, fixed data URLs. For
 * tests, benchmarks and offline devnets where data preparation is not the point.
 */
export function staticTaskFactory(o: StaticTaskFactoryOptions): TournamentTaskFactory {
  let counter = 0;
  return {
    async create(spec: TaskSpec, link): Promise<string> {
      counter++;
      const key = spec.big && spec.taskType !== 'ImageTask' ? 'big' : spec.taskType;
      const model = o.models?.[key] ?? { modelId: spec.taskType === 'ImageTask' ? 'builtin/sdxl-tiny' : 'builtin/tiny-gpt', paramsCount: spec.big ? 20e9 : 1e9 };
      const now = o.now();
      const hours = o.hours ?? 1;
      const url = o.dataUrl ?? 'http://127.0.0.1:1/data.json';
      const status = o.status ?? 'looking_for_nodes';
      const base = {
        is_organic: false,
        status,
        model_id: model.modelId,
        ds: `tournament-data-${counter}`,
        account_id: SYNTHETIC_ACCOUNT_ID,
        hours_to_complete: hours,
        created_at: now.toISOString(),
        termination_at: new Date(now.getTime() + hours * 3_600_000).toISOString(),
        model_params_count: model.paramsCount,
        training_data: url,
        test_data: url,
      } as const;
      const task: AnyRawTask =
        spec.taskType === 'ImageTask'
          ? { ...base, task_type: 'ImageTask', model_type: 'sdxl', image_text_pairs: [] }
          : spec.taskType === 'DpoTask'
            ? { ...base, task_type: 'DpoTask', field_prompt: 'prompt', field_chosen: 'chosen', field_rejected: 'rejected', file_format: 's3', synthetic_data: url }
            : spec.taskType === 'GrpoTask'
              ? {
                  ...base,
                  task_type: 'GrpoTask',
                  field_prompt: 'prompt',
                  file_format: 's3',
                  synthetic_data: url,
                  reward_functions: [{ reward_func: 'def reward_len(completions, **kwargs):\n    return [len(c) / 100 for c in completions]\n', reward_weight: 1, is_generic: true }],
                }
              : { ...base, task_type: 'InstructTextTask', field_instruction: 'instruction', field_output: 'output', file_format: 's3', synthetic_data: url };
      return insertLinked(o.db, link, (db) => insertTask(db, task, { now, actor: 'tournament' }));
    },
  };
}

/**
 * `_copy_task_to_general` (spec §3.9): the task again under a new id, not a tournament task, looking for nodes on the
 * general network with its prepared data, fresh counters and timestamps; the copy is recorded against the original
 * in the same transaction. Returns the copy's id.
 */
export async function copyTaskToGeneral(db: Db, taskId: string, now: Date): Promise<string> {
  const task = await getTask(db, taskId);
  if (!task) throw new Error(`task ${taskId} does not exist`);
  const hours = task.hours_to_complete;
  const copy = {
    ...task,
    task_id: null,
    status: 'looking_for_nodes',
    is_organic: false,
    account_id: SYNTHETIC_ACCOUNT_ID,
    times_delayed: 0,
    n_eval_attempts: 0,
    created_at: now.toISOString(),
    next_delay_at: now.toISOString(),
    updated_at: now.toISOString(),
    started_at: null,
    completed_at: null,
    termination_at: new Date(now.getTime() + hours * 3_600_000).toISOString(),
    result_model_name: null,
    training_repo_backup: null,
    miner_scores: null,
  } as AnyRawTask;
  return insertLinked(
    db,
    async (tx, copyId) => {
      await tx.query('INSERT INTO boss_round_synced_tasks (tournament_task_id, general_task_id) VALUES ($1, $2)', [taskId, copyId]);
    },
    (h) => insertTask(h, copy, { now, actor: 'tournament-sync' }),
  );
}
