/**
 * The built-in evaluation engine as an EvaluationExecutor: downloads the job's dataset and each submitted repo,
 * and evaluates them with src/ml (Instruct and Chat: output-token cross-entropy; DPO: DPO loss against the base
 * model), answering with the production result file. GRPO and image jobs run in an src/ml worker process: GRPO
 * samples completions from every repo and runs the task's Python reward functions in a sandbox started inside
 * that worker (`eval_loss` = Σ mean(w·r) − β·KL, higher is better), so the validator's own process stays free of
 * the sampling and of Pyodide.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeDpo, type DpoRow } from '../../ml/dpo.ts';
import { evaluateDpoRepos, evaluateInstructRepos, type EvaluationResults } from '../../ml/evaluate.ts';
import { encodeChat, encodeInstruct, type ChatMessage, type Example } from '../../ml/data/template.ts';
import { createLocalEvaluationExecutor } from '../../ml/executor.ts';
import { resolveModelDir } from '../../ml/zoo.ts';
import { pythonJsonDumps } from '../../net/python-json.ts';
import type { ModelHub as StorageModelHub } from '../../storage/hub/types.ts';
import type { DataRow, EvaluationExecutor, EvaluationJob, Fetcher } from '../ports.ts';

function text(v: unknown): string {
  return v === null || v === undefined ? '' : String(v);
}

/** Prepared instruct rows → engine examples, with the task's format fields. */
export function instructExamples(rows: readonly DataRow[], dt: Record<string, unknown>): Example[] {
  const col = (k: string) => (typeof dt[k] === 'string' ? (dt[k] as string) : null);
  const fi = col('field_instruction') ?? 'instruct';
  const fin = col('field_input');
  const fo = col('field_output') ?? 'output';
  const fs = col('field_system');
  return rows.map((r) =>
    encodeInstruct(
      { instruct: text(r[fi]), input: fin ? text(r[fin]) : null, output: text(r[fo]), system: fs ? text(r[fs]) : null },
      {
        ...(col('format') ? { format: col('format')! } : {}),
        ...(col('no_input_format') ? { noInputFormat: col('no_input_format')! } : {}),
        ...(col('system_prompt') ? { systemPrompt: col('system_prompt')! } : {}),
        ...(col('system_format') ? { systemFormat: col('system_format')! } : {}),
      },
    ),
  );
}

/** Chat rows (a list of `{from, value}` turns by default) → engine examples. */
export function chatExamples(rows: readonly DataRow[], dt: Record<string, unknown>): Example[] {
  const s = (k: string, d: string) => (typeof dt[k] === 'string' ? (dt[k] as string) : d);
  const column = s('chat_column', 'conversations');
  const roleField = s('chat_role_field', 'from');
  const contentField = s('chat_content_field', 'value');
  const user = s('chat_user_reference', 'user');
  const assistant = s('chat_assistant_reference', 'assistant');
  const out: Example[] = [];
  for (const r of rows) {
    const turns = r[column];
    if (!Array.isArray(turns)) continue;
    const messages: ChatMessage[] = turns.flatMap((t) => {
      if (typeof t !== 'object' || t === null) return [];
      const m = t as Record<string, unknown>;
      const role = m[roleField] === user ? 'user' : m[roleField] === assistant ? 'assistant' : m[roleField] === 'system' ? 'system' : null;
      return role ? [{ role, content: text(m[contentField]) } as ChatMessage] : [];
    });
    if (messages.some((m) => m.role === 'assistant')) out.push(encodeChat(messages));
  }
  return out;
}

export function dpoRows(rows: readonly DataRow[], dt: Record<string, unknown>): DpoRow[] {
  const f = (k: string, d: string) => (typeof dt[k] === 'string' ? (dt[k] as string) : d);
  const sys = typeof dt.field_system === 'string' ? dt.field_system : null;
  return rows.map((r) => ({
    prompt: text(r[f('field_prompt', 'prompt')]),
    chosen: text(r[f('field_chosen', 'chosen')]),
    rejected: text(r[f('field_rejected', 'rejected')]),
    system: sys ? text(r[sys]) : null,
  }));
}

/** Reduced GRPO evaluation (a devnet's choice; production: every row, min(256, context/2) new tokens). */
export interface GrpoEvaluationOptions {
  /** evaluate the first `maxRows` rows of the file only */
  maxRows?: number;
  /** new tokens per sampled completion */
  maxNewTokens?: number;
}

/**
 * The dataset type as the evaluator receives it: production passes it as JSON text (`DATASET_TYPE`), so the
 * wire-only wrappers of `datasetTypeOf` (Python floats for reward weights) become plain numbers here.
 */
export function plainDatasetType(dt: Record<string, unknown> | null): Record<string, unknown> | null {
  return dt === null ? null : (JSON.parse(pythonJsonDumps(dt)) as Record<string, unknown>);
}

export interface BuiltinExecutorOptions {
  fetch: Fetcher;
  hub: Pick<StorageModelHub, 'download'>;
  /** GOD_HOME for the base-model zoo (default: the zoo's own default). */
  home?: string;
  /** GRPO caps; default none (production's evaluation). */
  grpo?: GrpoEvaluationOptions;
  /** Evaluate instruct, chat and DPO in a worker process too (default: in this process; GRPO and image always are). */
  textInWorker?: boolean;
}

export class BuiltinEvaluationExecutor implements EvaluationExecutor {
  constructor(private readonly options: BuiltinExecutorOptions) {}

  async run(job: EvaluationJob, signal?: AbortSignal): Promise<EvaluationResults> {
    if (job.task_type === 'GrpoTask' || job.task_type === 'ImageTask' || this.options.textInWorker) return this.inWorker(job, signal);
    const rows = JSON.parse(new TextDecoder().decode(await this.options.fetch(job.dataset_url))) as DataRow[];
    if (!Array.isArray(rows)) throw new Error('evaluation dataset is not a JSON array');
    const dt = job.dataset_type ?? {};
    const originalDir = await resolveModelDir(job.original_model, this.options.home ? { home: this.options.home } : {});
    const work = await mkdtemp(join(tmpdir(), 'god-eval-'));
    try {
      const repos: { id: string; dir: string }[] = [];
      const failed: Record<string, string> = {};
      for (const [i, repo] of job.repos.entries()) {
        const dir = join(work, String(i));
        try {
          await this.options.hub.download(repo, {}, dir);
          repos.push({ id: repo, dir });
        } catch (err) {
          failed[repo] = `could not download ${repo}: ${err instanceof Error ? err.message : String(err)}`;
        }
      }
      const results =
        job.task_type === 'DpoTask'
          ? await evaluateDpoRepos(originalDir, repos, dpoRows(rows, dt).map(encodeDpo))
          : await evaluateInstructRepos(originalDir, repos, job.task_type === 'ChatTask' ? chatExamples(rows, dt) : instructExamples(rows, dt));
      return Object.assign(results, failed);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  /** GRPO, image (and text when asked): src/ml's evaluation job in a worker process, each repo downloaded into a scratch folder first. */
  private async inWorker(job: EvaluationJob, signal?: AbortSignal): Promise<EvaluationResults> {
    const { hub, fetch, home } = this.options;
    const scratch = home ? join(home, 'eval') : tmpdir();
    await mkdir(scratch, { recursive: true });
    const work = await mkdtemp(join(scratch, 'job-'));
    try {
      const failed: Record<string, string> = {};
      let n = 0;
      const grpo = job.task_type === 'GrpoTask' ? (this.options.grpo ?? {}) : {};
      const ml = createLocalEvaluationExecutor({
        fetchDataset: fetch,
        ...(home ? { home } : {}),
        ...(grpo.maxRows ? { maxRows: grpo.maxRows } : {}),
        ...(grpo.maxNewTokens ? { grpo: { maxNewTokens: grpo.maxNewTokens } } : {}),
        repoDir: async (repo) => {
          const dir = join(work, String(n++));
          try {
            await hub.download(repo, {}, dir);
            return dir;
          } catch (err) {
            failed[repo] = `could not download ${repo}: ${err instanceof Error ? err.message : String(err)}`;
            return null;
          }
        },
      });
      const results = (await ml.run({ ...job, dataset_type: plainDatasetType(job.dataset_type) }, signal)) as EvaluationResults;
      return Object.assign(results, failed);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
}
