/**
 * What the validator pipeline needs from the outside world, as small interfaces. Each has a production adapter
 * elsewhere (src/storage, src/chain, src/sandbox, an OpenAI-compatible LLM, the evaluation container) and an
 * embedded default in src/validator/adapters/. They are deliberately narrower than the modules that satisfy them,
 * so any implementation with these methods plugs in.
 */
import type { Chain } from '../chain/types.ts';
import type { TaskType } from '../core/enums.ts';
import type { CallResult, GetCall, PostCall } from '../net/client.ts';

/** Task files and score dumps (S3/MinIO in production; a directory or memory locally). */
export interface BlobStore {
  put(key: string, body: Uint8Array, contentType?: string): Promise<void>;
  /** A URL anyone holding it may GET until it expires. */
  signedUrl(key: string, expiresInSeconds: number): Promise<string>;
  delete(key: string): Promise<void>;
  /** The object key behind a URL this store signed, or null when the URL is not one of its own. */
  keyOfUrl(url: string): string | null;
}

/** Reads bytes behind a URL (signed blob URLs, customer dataset URLs, image pairs). */
export type Fetcher = (url: string, options?: { maxBytes?: number }) => Promise<Uint8Array>;

export interface RepoInfo {
  /** When the repo was last modified (upload time); null when the hub does not say. */
  lastModified: Date | null;
}

/** The model hub (Hugging Face in production). */
export interface ModelHub {
  /** Null when the repo does not exist or the lookup failed. */
  repoInfo(repo: string): Promise<RepoInfo | null>;
  /** The base model's parameter count when the hub knows it (safetensors metadata), else null. */
  modelParamsCount?(repo: string): Promise<number | null>;
  /** The miner-side model hash of a repo (miner-protocol-chain.md §5.8); absent = hashes are not verified. */
  modelHash?(repo: string): Promise<string | null>;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Any OpenAI-compatible chat-completions endpoint, or the built-in template engine. */
export interface LlmClient {
  chat(request: { model: string; messages: ChatMessage[]; temperature: number; maxTokens: number }): Promise<string>;
}

export type DataRow = Record<string, unknown>;

/** Source datasets: a dataset id (hub or built-in) or a URL of a JSON array. */
export interface DatasetSource {
  load(ref: string, fileFormat: string): Promise<DataRow[]>;
}

export interface ContentModel {
  model_id: string;
  /** Parameters, when known. */
  params?: number | null;
}

export interface ContentDataset {
  dataset_id: string;
  num_rows: number;
  num_bytes_parquet_files?: number | null;
  dpo_available?: boolean;
  dpo_prompt_column?: string | null;
  dpo_accepted_column?: string | null;
  dpo_rejected_column?: string | null;
}

export interface ColumnSuggestion {
  field_instruction: string;
  field_input?: string | null;
  field_output?: string | null;
}

/** The content service the synthetic scheduler draws from (validator.md §6.2). */
export interface ContentService {
  randomModels(minParams: number, maxParams: number): Promise<ContentModel[]>;
  randomDatasets(dpo: boolean): Promise<ContentDataset[]>;
  suggestColumns(datasetId: string): Promise<ColumnSuggestion | null>;
  imageModels(): Promise<{ model_id: string; model_type: 'sdxl' | 'flux' }[]>;
}

/** Makes synthetic image/caption pairs (validator.md §6.4). */
export interface ImageGenerator {
  generate(count: number, modelType: 'sdxl' | 'flux'): Promise<{ prefix: string; pairs: { image: Uint8Array; ext: string; caption: string }[] }>;
}

/** Trial-runs a GRPO reward function on sample rows (src/sandbox in production). */
export interface RewardChecker {
  validate(code: string, sampleRows: readonly DataRow[]): Promise<{ valid: boolean; error: string | null }>;
}

/** The part of the signed miner client the pipeline uses (src/net SignedClient). */
export interface MinerClient {
  post<T = unknown>(call: PostCall<T>): Promise<CallResult<T>>;
  get<T = unknown>(call: GetCall<T>): Promise<CallResult<T>>;
}

/** The chain calls the validator makes. */
export type ValidatorChain = Pick<Chain, 'getNodes' | 'setWeights' | 'weightsReadiness' | 'getBlock'>;

/** One evaluation run: one dataset, several repos (evaluation.md §2). */
export interface EvaluationJob {
  task_id: string;
  task_type: TaskType;
  /** `test` or `synth`: which of the task's eval files this run uses. */
  split: 'test' | 'synth';
  /** Signed URL of the JSON file (text) or zip (image). */
  dataset_url: string;
  original_model: string;
  /** The dataset-type object (text), null for images. */
  dataset_type: Record<string, unknown> | null;
  file_format: 'json';
  model_type: 'sdxl' | 'flux' | null;
  repos: string[];
  /** GPUs reserved for this run (evaluation.md §1.1); the built-in engine ignores them. */
  gpu_ids: number[];
}

/**
 * Runs an evaluation job and answers with the production result file: `{model_params_count, <repo>: {eval_loss,
 * is_finetune} | "error text"}` (evaluation.md §2.2). Throwing means the whole run failed.
 */
export interface EvaluationExecutor {
  run(job: EvaluationJob, signal?: AbortSignal): Promise<unknown>;
}

/** Tournament facts the weight setter reads; the tournament subsystem provides them (none by default). */
export interface TournamentWeightsSource {
  burnHistory(): Promise<import('../scoring/weights/burn.ts').TournamentHistory>;
  participants(): Promise<string[]>;
  /** Per-hotkey tournament weights before the tournament multiplier (`combinedTournamentWeights`). */
  tournamentWeights(): Promise<Map<string, number>>;
  /** What the scores file publishes as `tournament_audit_data`. */
  auditData(): Promise<Record<string, unknown>>;
}
