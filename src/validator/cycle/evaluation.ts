/**
 * preevaluation → evaluating → success | preevaluation | failure (validator.md §4.2, scoring.md §1.5). The claim
 * moves the task to evaluating in one statement; scores, submissions, the attempt counter and the new status are
 * written in one statement that only takes effect while this worker still holds the claim, so a task is never
 * scored twice. All scores exactly 0 sends it back for another attempt (at most `maxEvalAttempts` in all).
 */
import type { AnyRawTask } from '../../core/models/tasks.ts';
import { getTask } from '../../db/queries/tasks.ts';
import { assignedNodes, submissionsWrite, taskScoresWrite } from '../../db/queries/validator-nodes.ts';
import { claimFullTask, finishTask, taskMembership, type ClaimedTask } from '../../db/queries/validator-tasks.ts';
import { taskStatusAfterScoring, type MinerResult } from '../../scoring/task/index.ts';
import { errorText, isLostClaim, leaseMs, now, type ValidatorContext } from '../context.ts';
import { GpuPool, requiredGpus } from '../evaluation/gpus.ts';
import { parseEvaluationResults, type RepoOutcome } from '../evaluation/results.ts';
import { lookupSubmission } from '../evaluation/submissions.ts';
import { withLease } from '../lease.ts';
import type { EvaluationJob } from '../ports.ts';
import { datasetTypeOf, modelParamsFor } from '../training/requests.ts';
import { minerResults, scoreMinerResults, synthCandidates, type MinerSubmissionState } from './scoring.ts';

/** Where tournament and benchmark submissions live when the org is not configured (validator.md §8). */
export const DEFAULT_TOURNAMENT_ORG = 'rayonlabs';

/** Claims one task ready for evaluation and evaluates it; false when none was due. */
export async function evaluationPass(ctx: ValidatorContext, gpus: GpuPool): Promise<boolean> {
  const got = await claimFullTask(ctx.db, { from: 'preevaluation', to: 'evaluating', worker: ctx.worker, leaseMs: leaseMs(ctx), now: now(ctx) });
  if (!got) return false;
  await evaluateTask(ctx, got.row.task_id, gpus, got);
  return true;
}

interface Evaluated {
  results: MinerResult[];
  submissions: { hotkey: string; repo: string; modelHash: string | null }[];
  modelParamsCount: number;
}

async function runJob(ctx: ValidatorContext, job: EvaluationJob, image: boolean): Promise<Map<string, RepoOutcome> & { params?: number }> {
  try {
    const parsed = parseEvaluationResults(await ctx.executor.run(job), job.repos, image);
    return Object.assign(parsed.repos, { params: parsed.modelParamsCount });
  } catch (err) {
    // A run that fails as a whole fails every repo in it ("Evaluation failed: …"), as the shared container does.
    const error = errorText(err);
    ctx.log.warn({ task_id: job.task_id, split: job.split, err: error }, 'evaluation run failed');
    return new Map(job.repos.map((r) => [r, { kind: 'error', error } as RepoOutcome]));
  }
}

async function evaluateSubmissions(
  ctx: ValidatorContext,
  task: AnyRawTask,
  gpuIds: number[],
  membership: { tournament: boolean; benchmark: boolean },
): Promise<Evaluated> {
  const taskId = String(task.task_id);
  const org = membership.tournament || membership.benchmark ? (ctx.config.services.huggingfaceUsername ?? DEFAULT_TOURNAMENT_ORG) : null;
  const nodes = (await assignedNodes(ctx.db, taskId, ctx.netuid)).filter((n) => n.ip !== null);
  const miners: MinerSubmissionState[] = [];
  const submissions: Evaluated['submissions'] = [];
  for (const node of nodes) {
    const check = await lookupSubmission(ctx, taskId, node, { constructedOrg: org });
    if (check.ok) {
      miners.push({ hotkey: node.hotkey, repo: check.repo, failure: null });
      submissions.push({ hotkey: node.hotkey, repo: check.repo, modelHash: check.modelHash });
    } else {
      miners.push({ hotkey: node.hotkey, repo: check.repo, failure: check.reason });
      if (check.repo) submissions.push({ hotkey: node.hotkey, repo: check.repo, modelHash: null });
    }
  }
  const image = task.task_type === 'ImageTask';
  const repos = [...new Set(miners.flatMap((m) => (m.failure === null && m.repo !== null && m.repo !== task.model_id ? [m.repo] : [])))];
  const base: Omit<EvaluationJob, 'split' | 'dataset_url' | 'repos'> = {
    task_id: taskId,
    task_type: task.task_type,
    original_model: task.model_id,
    dataset_type: datasetTypeOf(task),
    file_format: 'json',
    model_type: task.task_type === 'ImageTask' ? (task.model_type ?? 'sdxl') : null,
    gpu_ids: gpuIds,
  };
  let test = new Map<string, RepoOutcome>() as Map<string, RepoOutcome> & { params?: number };
  if (repos.length > 0) {
    if (!task.test_data) throw new Error('task has no test data');
    ctx.log.info({ task_id: taskId, repos: repos.length }, 'evaluating submissions on the test set');
    test = await runJob(ctx, { ...base, split: 'test', dataset_url: task.test_data, repos }, image);
  }
  let synth: Map<string, RepoOutcome> | null = null;
  const syntheticData = task.task_type === 'ImageTask' ? null : (task.synthetic_data ?? null);
  if (!image && syntheticData) {
    const top = synthCandidates(task.task_type, test, ctx.config.evaluation.synthEvalTopN);
    synth = top.length > 0 ? await runJob(ctx, { ...base, split: 'synth', dataset_url: syntheticData, repos: top }, false) : new Map();
  }
  return {
    results: minerResults(task.task_type, task.model_id, miners, test, synth),
    submissions,
    modelParamsCount: test.params ?? 0,
  };
}

/** `claimed`: the task as the claim returned it (saves reading it again); read from the database when absent. */
export async function evaluateTask(ctx: ValidatorContext, taskId: string, gpus: GpuPool, claimed?: Pick<ClaimedTask, 'task' | 'membership'>): Promise<void> {
  const log = ctx.log.child({ task_id: taskId });
  await withLease(ctx, taskId, async () => {
    const task = claimed?.task ?? (await getTask(ctx.db, taskId));
    if (!task) return;
    const membership = claimed?.membership ?? (await taskMembership(ctx.db, taskId));
    const attempts = task.n_eval_attempts ?? 0;
    let scored: MinerResult[] | undefined;
    let evaluated: Evaluated | undefined;
    let failure: string | undefined;
    const params = await modelParamsFor(task, ctx.hub.modelParamsCount?.bind(ctx.hub));
    const gpuIds = await gpus.acquire(requiredGpus(params, task.task_type, ctx.config.evaluation));
    const started = performance.now();
    try {
      evaluated = await evaluateSubmissions(ctx, task, gpuIds, membership);
      scored = await scoreMinerResults(ctx, evaluated.results);
    } catch (err) {
      failure = errorText(err);
    } finally {
      gpus.release(gpuIds);
      ctx.metrics?.evaluationSeconds.observe({ task_type: task.task_type, outcome: failure === undefined ? 'ok' : 'failed' }, (performance.now() - started) / 1000);
    }
    const to = scored ? taskStatusAfterScoring(scored, attempts, ctx.config.scoring) : 'failure';
    const at = now(ctx);
    const terminal = to === 'success' || to === 'failure';
    try {
      // Status, attempt counter, scores and submissions: one statement, committed only while this worker holds the claim.
      await finishTask(ctx.db, taskId, 'evaluating', to, {
        worker: ctx.worker,
        now: at,
        incrementEvalAttempts: true,
        set: {
          ...(evaluated && evaluated.modelParamsCount > 0 ? { model_params_count: evaluated.modelParamsCount } : {}),
          ...(terminal ? { completed_at: at } : {}),
        },
        detail: failure
          ? { error: failure, attempt: attempts + 1 }
          : { attempt: attempts + 1, scores: Object.fromEntries((scored ?? []).map((r) => [r.hotkey, r.score])) },
        writes: [
          taskScoresWrite(
            ctx.netuid,
            (scored ?? []).map((r) => ({ hotkey: r.hotkey, quality_score: r.score, test_loss: r.testLoss, synth_loss: r.synthLoss, score_reason: r.scoreReason })),
          ),
          submissionsWrite(ctx.netuid, evaluated?.submissions ?? [], at),
        ].filter((w) => w !== null),
      });
    } catch (err) {
      if (isLostClaim(err)) {
        log.warn('lost the task to another worker during evaluation; these scores are discarded');
        return;
      }
      throw err;
    }
    if (failure) log.warn({ err: failure, attempt: attempts + 1 }, 'evaluation failed; task failed');
    else log.info({ status: to, attempt: attempts + 1, scores: (scored ?? []).map((r) => [r.hotkey, r.score, r.scoreReason]) }, 'task scored');
    // A tournament task's files outlive it: a failed one is copied to the general network, and the boss round copies
    // every task, with the same data URLs (src/tournament/task-factory.ts). Its copy deletes them when it ends.
    if (terminal && ctx.config.prep.deleteFilesAfterComplete && !membership.tournament) await deleteTaskFiles(ctx, task);
  });
}

/** Removes the task's data files once its outcome is final (validator.md §4.2; the original's delete was a no-op). */
async function deleteTaskFiles(ctx: ValidatorContext, task: AnyRawTask): Promise<void> {
  const urls = [task.training_data, task.test_data, task.task_type === 'ImageTask' ? null : task.synthetic_data];
  for (const url of urls) {
    const key = url ? ctx.blobs.keyOfUrl(url) : null;
    if (!key) continue;
    await ctx.blobs.delete(key).catch((err: unknown) => ctx.log.warn({ task_id: task.task_id, key, err: errorText(err) }, 'could not delete a task file'));
  }
}

