/**
 * The production EvaluationExecutor: runs the original's evaluation image (built from its
 * dockerfiles/validator.dockerfile) through a container backend and answers with the result file the validator
 * parses (evaluation.md §2.2). Containers run one after another, as the original does.
 *
 * Failure semantics: a container holding a single repo (per-repo isolation, and always for GRPO) turns any of its
 * typed failures into that repo's error text; a shared container's failure throws, so the validator fails every
 * repo in it, as the original does.
 */
import { randomBytes } from 'node:crypto';
import type { EvaluationExecutor, EvaluationJob } from '../validator/ports.ts';
import type { ContainerBackend, ContainerJobSpec } from './backend.ts';
import { planEvaluation, type ContractOptions, type PlannedRun } from './contract.ts';
import { ContainerAbortedError, ContainerExitError, ContainerJobError } from './errors.ts';
import { parseContainerResults, type RepoEntry } from './results-file.ts';

export interface ContainerExecutorOptions extends ContractOptions {
  backend: ContainerBackend;
  /** Every container line, prefixed by the caller as it likes (validator logs). */
  onLine?: (spec: ContainerJobSpec, line: string) => void;
  /** Names runs; random by default. */
  suffix?: () => string;
}

export type EvaluationResultsObject = { model_params_count?: number } & Record<string, RepoEntry | number>;

export class ContainerEvaluationExecutor implements EvaluationExecutor {
  constructor(private readonly options: ContainerExecutorOptions) {}

  /** The container runs a job would make (for `god eval --dry-run` style inspection and tests). */
  plan(job: EvaluationJob): PlannedRun[] {
    return planEvaluation(job, this.options, this.options.suffix ?? (() => randomBytes(5).toString('hex')));
  }

  async run(job: EvaluationJob, signal?: AbortSignal): Promise<EvaluationResultsObject> {
    const image = job.task_type === 'ImageTask';
    const out: EvaluationResultsObject = {};
    for (const run of this.plan(job)) {
      if (signal?.aborted) throw new ContainerAbortedError();
      try {
        if (run.prefetch) await this.runOne(run.prefetch, signal, 'model download container');
        const result = await this.runOne(run.spec, signal, 'evaluation container');
        const parsed = parseContainerResults(result.output, run.repos, image, result.logTail);
        if (parsed.modelParamsCount !== null && out.model_params_count === undefined) out.model_params_count = parsed.modelParamsCount;
        for (const [repo, entry] of parsed.repos) out[repo] = entry;
      } catch (err) {
        if (err instanceof ContainerAbortedError || !run.isolated || !(err instanceof ContainerJobError)) throw err;
        const repo = run.repos[0]!;
        out[repo] = `Evaluation failed for ${repo}: ${err.message}`;
      }
    }
    return out;
  }

  private async runOne(spec: ContainerJobSpec, signal: AbortSignal | undefined, what: string) {
    const onLine = this.options.onLine;
    const result = await this.options.backend.run(spec, { ...(signal ? { signal } : {}), ...(onLine ? { onLine: (l: string) => onLine(spec, l) } : {}) });
    if (result.exitCode !== 0) throw new ContainerExitError(result.exitCode, result.logTail, what);
    return result;
  }
}
