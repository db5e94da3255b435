/**
 * Evaluation outcomes → miner results → scores (validator/evaluation/scoring.py, scoring.md §1): failure
 * results, the finetune check, the two-stage text evaluation, then src/scoring's duplicate handling and ranking.
 */
import type { TaskType } from '../../core/enums.ts';
import {
  evaluationFailedReason,
  failedMinerResult,
  imageMinerResult,
  isBaseModelRepo,
  NON_FINETUNED_OUTCOME,
  reposForSyntheticEval,
  reposNeedingUploadTimestamps,
  scoreTaskWithDuplicateHandling,
  textMinerResult,
  type MinerResult,
} from '../../scoring/task/index.ts';
import type { ValidatorContext } from '../context.ts';
import type { RepoOutcome } from '../evaluation/results.ts';

/** The REF sentinel for "not in the top 4 on test, so not evaluated on the synthetic set". */
export const OUTSIDE_TOP_SYNTH_LOSS = 1000.0;

export interface MinerSubmissionState {
  hotkey: string;
  /** The checked submission, or the failure reason. */
  repo: string | null;
  failure: string | null;
}

/**
 * Builds one result per miner. `test` and `synth` are the evaluator's outcomes per repo (synth only for the
 * repos that went to the synthetic set; null when the task has no synthetic set, so synth = test as at HEAD).
 */
export function minerResults(
  taskType: TaskType,
  baseModel: string,
  miners: readonly MinerSubmissionState[],
  test: ReadonlyMap<string, RepoOutcome>,
  synth: ReadonlyMap<string, RepoOutcome> | null,
): MinerResult[] {
  return miners.map((m) => {
    if (m.failure !== null || m.repo === null) return failedMinerResult(m.hotkey, m.failure ?? 'Invalid/No repo submitted', taskType);
    const submission = { repo: m.repo, modelHash: null };
    if (taskType === 'ImageTask') {
      if (isBaseModelRepo(m.repo, baseModel)) return imageMinerResult(m.hotkey, { textGuidedLosses: [], noTextLosses: [], isFinetune: false }, submission);
      const o = test.get(m.repo);
      if (!o || o.kind !== 'image') return failedMinerResult(m.hotkey, evaluationFailedReason(o?.kind === 'error' ? o.error : 'no result'), taskType);
      return imageMinerResult(m.hotkey, { textGuidedLosses: o.textGuidedLosses, noTextLosses: o.noTextLosses, isFinetune: true }, submission);
    }
    if (isBaseModelRepo(m.repo, baseModel)) return textMinerResult(m.hotkey, taskType, NON_FINETUNED_OUTCOME, NON_FINETUNED_OUTCOME, submission);
    const t = test.get(m.repo);
    if (!t || t.kind !== 'text') return failedMinerResult(m.hotkey, evaluationFailedReason(t?.kind === 'error' ? t.error : 'no result'), taskType);
    let s: { isFinetune: boolean; evalLoss: number } = { isFinetune: t.isFinetune, evalLoss: t.evalLoss };
    if (synth) {
      const so = synth.get(m.repo);
      if (so === undefined) s = { isFinetune: t.isFinetune, evalLoss: OUTSIDE_TOP_SYNTH_LOSS };
      else if (so.kind === 'text') s = { isFinetune: so.isFinetune, evalLoss: so.evalLoss };
      else return failedMinerResult(m.hotkey, evaluationFailedReason(so.kind === 'error' ? so.error : 'no result'), taskType);
    }
    return textMinerResult(m.hotkey, taskType, { isFinetune: t.isFinetune, evalLoss: t.evalLoss }, s, submission);
  });
}

/** The finetuned repos that go on to the synthetic set (top `synthEvalTopN` by test loss; GRPO by highest). */
export function synthCandidates(taskType: TaskType, test: ReadonlyMap<string, RepoOutcome>, topN: number): string[] {
  const finetuned = [...test].flatMap(([repo, o]) => (o.kind === 'text' && o.isFinetune ? [{ repo, testLoss: o.evalLoss }] : []));
  return reposForSyntheticEval(finetuned, taskType, topN).top;
}

/** Duplicates (with hub upload times for the repos that need them) and ranking. */
export async function scoreMinerResults(ctx: ValidatorContext, results: readonly MinerResult[]): Promise<MinerResult[]> {
  const times = new Map<string, number | null>();
  for (const repo of reposNeedingUploadTimestamps(results)) {
    if (times.has(repo)) continue;
    const info = await ctx.hub.repoInfo(repo).catch(() => null);
    times.set(repo, info?.lastModified ? info.lastModified.getTime() * 1000 : null);
  }
  return scoreTaskWithDuplicateHandling(results, (repo) => times.get(repo) ?? null, ctx.config.scoring).final;
}
