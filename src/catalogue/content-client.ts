/**
 * A client of the original's content service (validator.md §6.2; `CONTENT_BASE_URL`): random text models in a
 * parameter range, random datasets (DPO or not), column suggestions and image models. Every call is a GET with
 * the hotkey headers (nonce signed, §7.5), retried with exponential back-off on HTTP errors; column suggestions
 * use the original's "fast" variant (30 s, 3 quick attempts), since the scheduler asks for many of them in a row.
 */
import type { z } from 'zod';
import type { Budget } from '../llm/budget.ts';
import { authHeaders, type HotkeySigner } from '../llm/hotkey-auth.ts';
import { requestJson, type FetchLike, type RetryPolicy, type Sleep } from '../llm/http.ts';
import type { ColumnSuggestion, ContentDataset, ContentModel, ContentService } from '../validator/ports.ts';
import { columnSuggestion, contentDatasets, contentModels, imageModelsResponse } from './wire.ts';

export interface ContentClientOptions {
  baseUrl: string;
  signer?: HotkeySigner | null;
  netuid: number;
  timeoutMs: number;
  retry: RetryPolicy;
  fastTimeoutMs?: number;
  fastRetry?: RetryPolicy;
  budgets?: readonly Budget[];
  fetch?: FetchLike;
  sleep?: Sleep;
}

/** `/dataset/{id}/columns/suggest` with the id's own slashes kept (`org/name`), as the original builds it. */
export function suggestColumnsPath(datasetId: string): string {
  return `/dataset/${datasetId.split('/').map(encodeURIComponent).join('/')}/columns/suggest`;
}

export class ContentServiceClient implements ContentService {
  private readonly base: string;
  private readonly headers: () => Record<string, string>;

  constructor(private readonly options: ContentClientOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.headers = authHeaders({ signer: options.signer ?? null, netuid: options.netuid });
  }

  private get<T>(path: string, query: Record<string, string>, schema: z.ZodType<T>, fast = false): Promise<T> {
    const qs = new URLSearchParams(query).toString();
    const o = this.options;
    return requestJson(
      {
        method: 'GET',
        url: `${this.base}${path}${qs ? `?${qs}` : ''}`,
        headers: this.headers,
        timeoutMs: fast ? (o.fastTimeoutMs ?? 30_000) : o.timeoutMs,
      },
      schema,
      fast ? (o.fastRetry ?? { attempts: 3, backoffMinMs: 100, backoffMaxMs: 1_000, retryAfterMaxMs: o.retry.retryAfterMaxMs }) : o.retry,
      { budgets: o.budgets ?? [], ...(o.fetch ? { fetch: o.fetch } : {}), ...(o.sleep ? { sleep: o.sleep } : {}) },
    );
  }

  async randomModels(minParams: number, maxParams: number): Promise<ContentModel[]> {
    const models = await this.get('/models/random', { min_params: String(Math.trunc(minParams)), max_params: String(Math.trunc(maxParams)) }, contentModels);
    return models.map((m) => ({ model_id: m.model_id, params: m.params ?? null }));
  }

  async randomDatasets(dpo: boolean): Promise<ContentDataset[]> {
    const datasets = await this.get('/datasets/random', { dpo: dpo ? 'true' : 'false' }, contentDatasets);
    return datasets.map((d) => ({
      dataset_id: d.dataset_id,
      num_rows: d.num_rows,
      num_bytes_parquet_files: d.num_bytes_parquet_files ?? null,
      dpo_available: d.dpo_available,
      dpo_prompt_column: d.dpo_prompt_column ?? null,
      dpo_accepted_column: d.dpo_accepted_column ?? null,
      dpo_rejected_column: d.dpo_rejected_column ?? null,
    }));
  }

  async suggestColumns(datasetId: string): Promise<ColumnSuggestion | null> {
    const s = await this.get(suggestColumnsPath(datasetId), {}, columnSuggestion, true);
    return { field_instruction: s.field_instruction, field_input: s.field_input ?? null, field_output: s.field_output ?? null };
  }

  async imageModels(): Promise<{ model_id: string; model_type: 'sdxl' | 'flux' }[]> {
    const answer = await this.get('/images/models', {}, imageModelsResponse);
    return answer.models.map((m) => ({ model_id: m.model_id, model_type: m.model_type }));
  }
}
