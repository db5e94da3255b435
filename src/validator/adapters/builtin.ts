/**
 * Embedded defaults for the outside services, so a validator runs with nothing but a database: src/ml's built-in
 * datasets, a content service over them, a template "LLM" for the synthetic set, src/ml's captioned shape images,
 * and the do-nothing hub and tournament sources. Production swaps each for a real
 * adapter; none of these pretends to be one.
 */
import { LlmUnsupportedError } from '../../llm/errors.ts';
import { builtinDatasetInfo, builtinImagePairs, IMAGE_DATASET_ID, isBuiltinDataset, listBuiltinDatasets, loadBuiltinDataset } from '../../ml/data/builtin.ts';
import type {
  ChatMessage,
  ColumnSuggestion,
  ContentDataset,
  ContentModel,
  ContentService,
  DataRow,
  DatasetSource,
  EvaluationExecutor,
  Fetcher,
  ImageGenerator,
  LlmClient,
  ModelHub,
  RewardChecker,
  TournamentWeightsSource,
} from '../ports.ts';
import { extractJsonObject, INPUT_REFORMULATION_SYSTEM, ROW_REFORMULATION_SYSTEM } from '../prep/prompts.ts';
import { httpFetcher } from './fetch.ts';

/** `god-local/<name>` with an optional `@<rows>` suffix (`god-local/strings-instruct@5000`). */
export function parseBuiltinRef(ref: string): { id: string; rows: number | undefined } | null {
  const m = /^(god-local\/[a-z0-9-]+)(?:@(\d+))?$/.exec(ref);
  if (!m || !isBuiltinDataset(m[1]!)) return null;
  return { id: m[1]!, rows: m[2] ? Number(m[2]) : undefined };
}

/** Freezes a row and everything in it, so a cached dataset cannot be changed by one of its readers. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * Built-in ids (src/ml's datasets), or a URL of a JSON array (or JSON lines) read through the fetcher. A built-in
 * dataset is a pure function of its id and size, so the last few are kept, as the Hugging Face cache keeps a
 * downloaded dataset for the next task that names it; the cached rows are frozen (readers copy before changing).
 * URLs are not cached: what is behind a URL can change.
 */
export class BuiltinDatasetSource implements DatasetSource {
  private readonly cache = new Map<string, readonly DataRow[]>();

  constructor(
    private readonly fetcher: Fetcher = httpFetcher,
    private readonly maxBytes = 2_147_483_646,
    private readonly cacheEntries = 4,
  ) {}

  async load(ref: string, fileFormat: string): Promise<DataRow[]> {
    const builtin = parseBuiltinRef(ref);
    if (builtin) {
      const key = `${builtin.id}@${builtin.rows ?? ''}`;
      let rows = this.cache.get(key);
      if (rows) this.cache.delete(key);
      else rows = deepFreeze(loadBuiltinDataset(builtin.id, builtin.rows === undefined ? {} : { rows: builtin.rows }));
      // Most recently used last; the oldest entry goes first.
      this.cache.set(key, rows);
      while (this.cache.size > this.cacheEntries) this.cache.delete(this.cache.keys().next().value!);
      return [...rows];
    }
    if (!/^[a-z]+:\/\//.test(ref) && fileFormat === 'hf') {
      throw new Error(`dataset ${ref} is not available: the built-in source knows god-local/* ids and URLs of JSON files`);
    }
    const text = new TextDecoder().decode(await this.fetcher(ref, { maxBytes: this.maxBytes }));
    const trimmed = text.trim();
    const value: unknown = trimmed.startsWith('[') ? JSON.parse(trimmed) : trimmed.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as unknown);
    if (!Array.isArray(value) || !value.every((r) => typeof r === 'object' && r !== null && !Array.isArray(r))) {
      throw new Error(`${ref.split('?')[0]} is not a JSON array of objects`);
    }
    return value as DataRow[];
  }
}

export interface BuiltinContentOptions {
  /** Text base models offered to miners (default: none, so configure the devnet's zoo models). */
  textModels?: ContentModel[];
  imageModels?: { model_id: string; model_type: 'sdxl' | 'flux' }[];
  /** Rows drawn per built-in dataset (default 5000; a 50 % subsample must keep MINIMUM_DATASET_ROWS). */
  rows?: number;
}

/** A content service over src/ml's built-in datasets. */
export class BuiltinContentService implements ContentService {
  constructor(private readonly options: BuiltinContentOptions = {}) {}

  async randomModels(minParams: number, maxParams: number): Promise<ContentModel[]> {
    const models = this.options.textModels ?? [];
    const inRange = models.filter((m) => m.params == null || (m.params >= minParams && m.params <= maxParams));
    return inRange.length > 0 ? inRange : models;
  }

  async randomDatasets(dpo: boolean): Promise<ContentDataset[]> {
    const want = this.options.rows ?? 5000;
    return listBuiltinDatasets()
      .filter((d) => d.taskType === (dpo ? 'DpoTask' : 'InstructTextTask') && d.maxRows >= want)
      .map((d) =>
        dpo
          ? { dataset_id: `${d.id}@${want}`, num_rows: want, dpo_available: true, dpo_prompt_column: String(d.datasetType.field_prompt), dpo_accepted_column: String(d.datasetType.field_chosen), dpo_rejected_column: String(d.datasetType.field_rejected) }
          : { dataset_id: `${d.id}@${want}`, num_rows: want, dpo_available: false },
      );
  }

  async suggestColumns(datasetId: string): Promise<ColumnSuggestion | null> {
    const ref = parseBuiltinRef(datasetId);
    if (!ref) return null;
    const info = builtinDatasetInfo(ref.id);
    if (info.taskType !== 'InstructTextTask') return null;
    const t = info.datasetType as { field_instruction: string; field_input?: string; field_output?: string };
    return { field_instruction: t.field_instruction, field_input: t.field_input ?? null, field_output: t.field_output ?? null };
  }

  async imageModels(): Promise<{ model_id: string; model_type: 'sdxl' | 'flux' }[]> {
    return this.options.imageModels ?? [];
  }
}

/**
 * The template engine: answers the row-paraphrase prompt by returning the data point unchanged (so the
 * "synthetic" set equals sampled test rows), the input-rewrite prompt by echoing the input, and refuses to
 * answer free-form questions — so synthetic DPO falls back to train rows, as the original does on LLM failure.
 */
export class TemplateLlm implements LlmClient {
  async chat(request: { messages: ChatMessage[] }): Promise<string> {
    const system = request.messages.find((m) => m.role === 'system')?.content;
    const user = request.messages.find((m) => m.role === 'user')?.content ?? '';
    if (system === ROW_REFORMULATION_SYSTEM) {
      const row = extractJsonObject(user);
      if (!row) throw new Error('template engine: no data point in the prompt');
      return JSON.stringify(row);
    }
    if (system === INPUT_REFORMULATION_SYSTEM) return user;
    throw new LlmUnsupportedError('the built-in template engine cannot answer free-form prompts; configure an OpenAI-compatible endpoint');
  }
}

/** Captioned shape images from src/ml's built-in image dataset. */
export class BuiltinImageGenerator implements ImageGenerator {
  private calls = 0;
  async generate(count: number): Promise<{ prefix: string; pairs: { image: Uint8Array; ext: string; caption: string }[] }> {
    const pairs = builtinImagePairs(IMAGE_DATASET_ID, { rows: count, seed: this.calls++ });
    return { prefix: 'shapes', pairs: pairs.map((p) => ({ image: p.image, ext: 'png', caption: p.caption })) };
  }
}

/** A hub that knows nothing: no upload times (so identical results all count as duplicates), no sizes. */
export class NullModelHub implements ModelHub {
  async repoInfo(): Promise<null> {
    return null;
  }
}

/** No tournament has run: the whole tournament pool is burned (scoring.md §2.5). */
export const noTournaments: TournamentWeightsSource = {
  burnHistory: async () => ({}),
  participants: async () => [],
  tournamentWeights: async () => new Map(),
  auditData: async () => ({}),
};

/** Used when no evaluation engine is configured: every run fails, visibly, with this message. */
export class UnavailableExecutor implements EvaluationExecutor {
  constructor(private readonly why: string) {}
  async run(): Promise<never> {
    throw new Error(this.why);
  }
}

/** Used when no Python sandbox is available: every reward function is refused (GRPO prep then fails, loudly). */
export class UnavailableRewardChecker implements RewardChecker {
  constructor(private readonly why: string) {}
  async validate(): Promise<{ valid: boolean; error: string | null }> {
    return { valid: false, error: this.why };
  }
}
