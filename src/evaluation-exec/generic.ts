/**
 * The generic container-job contract, for images other than the original's evaluator (docs/evaluation.md):
 *
 *   command  god-job /god/input/job.json /god/output/result.json   (an executable the image puts on PATH)
 *   in       /god/input/job.json   {"schema": "god.container-job/v1", "kind": "...", "job": {...}, "inputs": [...]}
 *            /god/input/<name>      each listed input file (read-only folder)
 *   out      /god/output/result.json   {"ok": true, "result": ...} | {"ok": false, "error": "..."}
 *   writable /god/output, /tmp     (the root filesystem may be read-only)
 *   env      GOD_JOB_FILE, GOD_RESULT_FILE (the same two paths)
 *
 * A non-zero exit, a missing or malformed result file, or `ok: false` are failures; `result` is validated by the
 * caller's schema. Evaluation through this contract sends the EvaluationJob (with the dataset's path) and expects
 * the evaluation results file object of evaluation.md §2.2 as `result`.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { EvaluationExecutor, EvaluationJob } from '../validator/ports.ts';
import { jobName, type ContainerBackend, type ContainerJobSpec, type InputFile, type RunOptions } from './backend.ts';
import { datasetFileName, type IsolationMode } from './contract.ts';
import { ContainerAbortedError, ContainerExitError, ContainerJobError, MalformedResultsError } from './errors.ts';
import type { EvaluationResultsObject } from './executor.ts';
import { parseContainerResults } from './results-file.ts';

export const GENERIC_CONTRACT = {
  schema: 'god.container-job/v1',
  inputDir: '/god/input',
  jobFile: '/god/input/job.json',
  outputDir: '/god/output',
  resultFile: '/god/output/result.json',
  program: 'god-job',
} as const;

export const jobFileSchema = z.strictObject({
  schema: z.literal(GENERIC_CONTRACT.schema),
  kind: z.string().min(1),
  job: z.unknown(),
  inputs: z.array(z.strictObject({ name: z.string(), path: z.string() })),
});
export type JobFile = z.infer<typeof jobFileSchema>;

export const resultFileSchema = z.discriminatedUnion('ok', [z.strictObject({ ok: z.literal(true), result: z.unknown() }), z.strictObject({ ok: z.literal(false), error: z.string() })]);

export interface GenericJob {
  name: string;
  image: string;
  kind: string;
  payload: unknown;
  inputs: readonly InputFile[];
  gpuIds: readonly number[];
  network: 'none' | 'default';
  timeoutMs: number;
  labels: Readonly<Record<string, string>>;
  cacheDirs?: readonly string[];
}

export function genericSpec(job: GenericJob): ContainerJobSpec {
  if (job.inputs.some((i) => i.name === 'job.json')) throw new Error('job.json is reserved for the job file');
  const file: JobFile = { schema: GENERIC_CONTRACT.schema, kind: job.kind, job: job.payload, inputs: job.inputs.map((i) => ({ name: i.name, path: `${GENERIC_CONTRACT.inputDir}/${i.name}` })) };
  return {
    name: job.name,
    image: job.image,
    command: [GENERIC_CONTRACT.program, GENERIC_CONTRACT.jobFile, GENERIC_CONTRACT.resultFile],
    env: { GOD_JOB_FILE: GENERIC_CONTRACT.jobFile, GOD_RESULT_FILE: GENERIC_CONTRACT.resultFile },
    inputDir: GENERIC_CONTRACT.inputDir,
    inputs: [{ name: 'job.json', source: { bytes: new TextEncoder().encode(JSON.stringify(file)) } }, ...job.inputs],
    cacheDirs: job.cacheDirs ?? [],
    writableDirs: [GENERIC_CONTRACT.outputDir, '/tmp'],
    rootfsWritable: false,
    outputPath: GENERIC_CONTRACT.resultFile,
    gpuIds: job.gpuIds,
    network: job.network,
    timeoutMs: job.timeoutMs,
    labels: job.labels,
  };
}

/** The `result` of a generic job's result file; throws a typed error for every way it can be wrong. */
export function readGenericResult<T>(raw: Buffer | null, schema: z.ZodType<T>, logTail: readonly string[] = []): T {
  if (raw === null) throw new MalformedResultsError(`no ${GENERIC_CONTRACT.resultFile}`, logTail);
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new MalformedResultsError(`not JSON (${(err as Error).message})`, logTail);
  }
  const file = resultFileSchema.safeParse(json);
  if (!file.success) throw new MalformedResultsError(file.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '), logTail);
  if (!file.data.ok) throw new ContainerJobError('exit', `the job reported an error: ${file.data.error}`, logTail);
  const result = schema.safeParse(file.data.result);
  if (!result.success) throw new MalformedResultsError(result.error.issues.map((i) => `result.${i.path.join('.')}: ${i.message}`).join('; '), logTail);
  return result.data;
}

/** Runs one generic job to its validated result. */
export async function runGenericJob<T>(backend: ContainerBackend, job: GenericJob, schema: z.ZodType<T>, opts: RunOptions = {}): Promise<T> {
  const r = await backend.run(genericSpec(job), opts);
  if (r.exitCode !== 0) throw new ContainerExitError(r.exitCode, r.logTail);
  return readGenericResult(r.output, schema, r.logTail);
}

export interface GenericEvaluationOptions {
  backend: ContainerBackend;
  image: string;
  isolation: IsolationMode;
  repoTimeoutMs: number;
  suffix?: () => string;
}

/** Evaluation through the generic contract: the job file carries the EvaluationJob plus `dataset_path`. */
export class GenericEvaluationExecutor implements EvaluationExecutor {
  constructor(private readonly options: GenericEvaluationOptions) {}

  async run(job: EvaluationJob, signal?: AbortSignal): Promise<EvaluationResultsObject> {
    const suffix = this.options.suffix ?? (() => randomBytes(5).toString('hex'));
    const repos = [...new Set(job.repos)];
    const groups = this.options.isolation === 'per_repo' ? repos.map((r) => [r]) : repos.length ? [repos] : [];
    const image = job.task_type === 'ImageTask';
    const input: InputFile = image ? { name: 'dataset', source: { url: job.dataset_url, unzip: true } } : { name: datasetFileName(job), source: { url: job.dataset_url } };
    const out: EvaluationResultsObject = {};
    for (const group of groups) {
      if (signal?.aborted) throw new ContainerAbortedError();
      try {
        const raw = await runGenericJob(
          this.options.backend,
          {
            name: jobName('god-eval-generic', suffix()),
            image: this.options.image,
            kind: 'evaluation',
            payload: { ...job, repos: group, dataset_path: `${GENERIC_CONTRACT.inputDir}/${input.name}` },
            inputs: [input],
            gpuIds: job.gpu_ids,
            network: job.task_type === 'GrpoTask' ? 'none' : 'default',
            timeoutMs: this.options.repoTimeoutMs * group.length,
            labels: { 'god.role': 'evaluation', 'god.task-id': job.task_id.slice(0, 63), 'god.split': job.split },
          },
          z.record(z.string(), z.unknown()),
          signal ? { signal } : {},
        );
        const parsed = parseContainerResults(Buffer.from(JSON.stringify(raw)), group, image);
        if (parsed.modelParamsCount !== null && out.model_params_count === undefined) out.model_params_count = parsed.modelParamsCount;
        for (const [repo, entry] of parsed.repos) out[repo] = entry;
      } catch (err) {
        if (err instanceof ContainerAbortedError || group.length !== 1 || !(err instanceof ContainerJobError)) throw err;
        out[group[0]!] = `Evaluation failed for ${group[0]}: ${err.message}`;
      }
    }
    return out;
  }
}
