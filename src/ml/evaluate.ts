// The instruct/chat evaluator, mirroring production (evaluation.md §2–4): eval_loss is the mean over rows of
// each row's mean cross-entropy on its output (assistant) tokens; rows that do not fit the context or have no
// output tokens are dropped; the result file is `{model_params_count, <repo>: {eval_loss, is_finetune} |
// "error text"}`.
import { completionTokens, makeBatch, paddedLength, usableExamples } from './data/batch.ts';
import type { ChatMessage, Example } from './data/template.ts';
import { promptIds } from './data/template.ts';
import type { Gpt } from './gpt.ts';
import { modelParamsCount } from './gpt.ts';
import { isAdapterRepo, loadAdapter, loadModel, readConfig } from './hub-format.ts';
import type { LoraAdapter } from './lora.ts';
import { generate } from './sample.ts';
import { dpoEvaluate } from './dpo.ts';
import type { DpoPair } from './dpo.ts';
import { decode } from './tokenizer.ts';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface EvalLoss {
  evalLoss: number;
  rows: number;
  droppedRows: number;
}

/** Mean per-row mean token loss over completion tokens (production's eval_loss with batch size 1). */
export function instructEvalLoss(model: Gpt, lora: LoraAdapter | null, data: readonly Example[], batchSize = 16): EvalLoss {
  const rows = usableExamples(data, model.config.contextLength);
  if (rows.length === 0) throw new Error('no evaluation row fits the context with an output token');
  // sorted by length (as production does) so each batch pads little
  const sorted = [...rows].sort((a, b) => a.ids.length - b.ids.length);
  let total = 0;
  for (let i = 0; i < sorted.length; i += batchSize) {
    const chunk = sorted.slice(i, i + batchSize);
    const t = paddedLength(chunk, model.config.contextLength);
    const batch = makeBatch(chunk, t, model.floatType, (ex) => 1 / (rows.length * completionTokens(ex)));
    total += model.forward(batch, lora);
  }
  return { evalLoss: total, rows: rows.length, droppedRows: data.length - rows.length };
}

/** Greedy exact-match accuracy: the generated assistant turn equals the reference output. */
export function exactMatch(
  model: Gpt, lora: LoraAdapter | null, rows: readonly { messages: ChatMessage[]; expected: string }[], maxNewTokens = 32,
): number {
  let hits = 0;
  for (const row of rows) {
    const out = generate(model, promptIds(row.messages), { maxNewTokens, temperature: 0, topP: 1, seed: 0, lora });
    if (decode(out) === row.expected) hits++;
  }
  return rows.length === 0 ? 0 : hits / rows.length;
}

/** The attributes production compares (evaluation.md §3.2), under their HF names and GPT-2 aliases. */
const FINETUNE_ATTRIBUTES: readonly (readonly string[])[] = [
  ['architectures'], ['hidden_size', 'n_embd'], ['n_layer', 'num_hidden_layers'], ['intermediate_size', 'n_inner'],
  ['head_dim'], ['hidden_act', 'activation_function'], ['model_type'], ['num_hidden_layers', 'n_layer'],
  ['num_attention_heads', 'n_head'], ['num_key_value_heads'],
];

function attr(config: Record<string, unknown>, names: readonly string[]): unknown {
  for (const n of names) if (config[n] !== undefined && config[n] !== null) return config[n];
  return null;
}

/**
 * `model_is_a_finetune`: every attribute that is set in the original must be set and equal in the candidate
 * (vocabulary size is not compared). Any malformed input counts as "not a fine-tune", as in production.
 */
export function isFinetune(original: unknown, candidate: unknown): boolean {
  if (typeof original !== 'object' || original === null || typeof candidate !== 'object' || candidate === null) return false;
  const o = original as Record<string, unknown>, c = candidate as Record<string, unknown>;
  for (const names of FINETUNE_ATTRIBUTES) {
    const want = attr(o, names);
    if (want === null) continue;
    const got = attr(c, names);
    if (got === null || JSON.stringify(got) !== JSON.stringify(want)) return false;
  }
  return true;
}

export interface TextEvalResult {
  eval_loss: number;
  is_finetune: boolean;
}

export type EvaluationResults = { model_params_count: number } & Record<string, TextEvalResult | string | number>;

/** How one candidate is scored: its model, its adapter (LoRA repos), and the original model. */
export type RepoScorer = (model: Gpt, adapter: LoraAdapter | null, original: Gpt) => number;

/**
 * Evaluates each repository directory against the original model's directory and returns the production
 * result object. A LoRA repo (adapter_config.json present) is applied on the original model and counts as a
 * fine-tune; a full model is checked with isFinetune. Failures become the error text, as production does.
 */
export async function evaluateRepos(
  originalDir: string, repos: readonly { id: string; dir: string }[], score: RepoScorer,
): Promise<EvaluationResults> {
  const original = await loadModel(originalDir);
  const originalConfig: unknown = JSON.parse(await readFile(join(originalDir, 'config.json'), 'utf8'));
  const results: EvaluationResults = { model_params_count: modelParamsCount(original.config) };
  for (const repo of repos) {
    try {
      if (await isAdapterRepo(repo.dir)) {
        const { adapter } = await loadAdapter(repo.dir, original.config);
        results[repo.id] = { eval_loss: score(original, adapter, original), is_finetune: true };
      } else {
        await readConfig(repo.dir);
        const candidateConfig: unknown = JSON.parse(await readFile(join(repo.dir, 'config.json'), 'utf8'));
        const model = await loadModel(repo.dir);
        results[repo.id] = { eval_loss: score(model, null, original), is_finetune: isFinetune(originalConfig, candidateConfig) };
      }
    } catch (err) {
      results[repo.id] = err instanceof Error ? err.message : String(err);
    }
  }
  return results;
}

/** Instruct and Chat tasks: eval_loss = mean per-row output-token cross-entropy. */
export function evaluateInstructRepos(
  originalDir: string, repos: readonly { id: string; dir: string }[], data: readonly Example[],
): Promise<EvaluationResults> {
  return evaluateRepos(originalDir, repos, (model, adapter) => instructEvalLoss(model, adapter, data).evalLoss);
}

/** DPO tasks: eval_loss = mean DPO loss (β = 0.1) with the original model as the reference. */
export function evaluateDpoRepos(
  originalDir: string, repos: readonly { id: string; dir: string }[], pairs: readonly DpoPair[],
): Promise<EvaluationResults> {
  return evaluateRepos(originalDir, repos, (model, adapter, original) =>
    dpoEvaluate(model, adapter, adapter ? null : original, pairs).loss);
}
