/**
 * The synthetic evaluation set (validator.md §5.2, reference version): an LLM paraphrases test rows (Instruct,
 * GRPO, Chat) or writes fresh DPO pairs; part of it is mixed into train as the original does, and every failure
 * falls back to train rows, so prep never fails on the LLM.
 */
import type { TaskType } from '../../core/enums.ts';
import type { PrepRules } from '../../core/rules/prep.ts';
import { isHopelessLlmError } from '../../llm/errors.ts';
import type { DataRow, LlmClient } from '../ports.ts';
import { sample, seededRandom, type Random } from '../rng.ts';
import { afterThinking, answerMessages, extractJsonObject, inputReformulationMessages, rowReformulationMessages } from './prompts.ts';

export interface SyntheticDeps {
  llm: LlmClient;
  rules: PrepRules;
  random: Random;
  /** Epoch ms; used for the DPO generation deadline. */
  now: () => number;
}

export interface SyntheticOutcome {
  /** Train rows, possibly with synthetic rows appended. */
  train: DataRow[];
  /** The synthetic eval set. */
  synth: DataRow[];
  /** How it was built, for the task log. */
  source: 'llm' | 'fallback';
  error?: string;
}

async function strong(deps: SyntheticDeps, messages: Parameters<LlmClient['chat']>[0]['messages']): Promise<string> {
  const r = deps.rules;
  return afterThinking(await deps.llm.chat({ model: r.llmStrongModel, messages, temperature: r.llmStrongTemperature, maxTokens: r.llmStrongMaxTokens }));
}

/**
 * Paraphrases up to `maxSynthDataPoints` rows, one call each. An answer that is not a JSON object with exactly
 * the row's keys is an error; `synthMaxConsecutiveErrors` errors in a row abort (null).
 */
export async function paraphraseRows(rows: readonly DataRow[], deps: SyntheticDeps): Promise<DataRow[] | null> {
  const picked = sample(seededRandom(deps.rules.splitSeed), rows, deps.rules.maxSynthDataPoints);
  const out: DataRow[] = [];
  let consecutive = 0;
  for (const row of picked) {
    let ok = false;
    try {
      const obj = extractJsonObject(await strong(deps, rowReformulationMessages(row)));
      const want = Object.keys(row).sort().join('\u0000');
      if (obj && Object.keys(obj).sort().join('\u0000') === want) {
        out.push(obj);
        ok = true;
      }
    } catch {
      ok = false;
    }
    consecutive = ok ? 0 : consecutive + 1;
    if (consecutive >= deps.rules.synthMaxConsecutiveErrors) return null;
  }
  return out;
}

/** One synthetic DPO row: reformulated prompt, weak answer → rejected, strong answer → chosen. */
async function dpoRow(row: DataRow, deps: SyntheticDeps): Promise<DataRow> {
  const r = deps.rules;
  const prompt = await strong(deps, inputReformulationMessages(String(row.prompt ?? '')));
  if (prompt === '') throw new Error('empty reformulated prompt');
  const rejected = afterThinking(await deps.llm.chat({ model: r.llmWeakModel, messages: answerMessages(prompt), temperature: r.llmStrongTemperature, maxTokens: r.llmStrongMaxTokens }));
  const chosen = await strong(deps, answerMessages(prompt));
  if (rejected === '' || chosen === '') throw new Error('empty synthetic answer');
  const out: DataRow = { prompt, chosen, rejected };
  if ('system' in row) out.system = row.system;
  return out;
}

/** Retries `fn`, except after a failure no retry can cure (a spent budget, a client that cannot answer at all). */
async function withAttempts<T>(attempts: number, fn: () => Promise<T>): Promise<T> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await fn();
    } catch (err) {
      if (isHopelessLlmError(err)) throw err;
      last = err;
    }
  }
  throw last;
}

/** `generate_synthetic_dpo_data`: batches of prompts until `syntheticTotalSize` rows or the deadline. */
export async function generateDpoRows(train: readonly DataRow[], deps: SyntheticDeps): Promise<DataRow[]> {
  const r = deps.rules;
  const deadline = deps.now() + r.synthDpoTimeoutSeconds * 1000;
  const prompts = sample(seededRandom(r.splitSeed), train, r.synthDpoMaxPrompts);
  const out: DataRow[] = [];
  for (let i = 0; i < prompts.length && out.length < r.syntheticTotalSize; i += r.synthGenBatchSize) {
    if (deps.now() > deadline) throw new Error('synthetic DPO generation timed out');
    const batch = prompts.slice(i, i + r.synthGenBatchSize);
    const rows = await withAttempts(r.synthBatchAttempts, () =>
      // A failed prompt is skipped; a hopeless failure ends generation (the caller falls back to train rows)
      // instead of being retried for every one of up to synthDpoMaxPrompts prompts.
      Promise.all(
        batch.map((row) =>
          withAttempts(r.synthPromptAttempts, () => dpoRow(row, deps)).catch((err: unknown) => {
            if (isHopelessLlmError(err)) throw err;
            return null;
          }),
        ),
      ),
    );
    for (const row of rows) if (row && out.length < r.syntheticTotalSize) out.push(row);
  }
  if (out.length === 0) throw new Error('the LLM produced no synthetic DPO row');
  return out;
}

export async function buildSyntheticEvalSet(
  taskType: Exclude<TaskType, 'ImageTask'>,
  train: readonly DataRow[],
  test: readonly DataRow[],
  deps: SyntheticDeps,
): Promise<SyntheticOutcome> {
  const r = deps.rules;
  const trainSample = (rows: readonly DataRow[]) => sample(deps.random, rows, r.synthExamplesFromTrain);
  try {
    if (taskType === 'DpoTask') {
      let rows = await generateDpoRows(train, deps);
      if (rows.length < r.syntheticTotalSize) {
        rows = [...rows, ...sample(seededRandom(r.synthPaddingSeed), train, r.syntheticTotalSize - rows.length)];
      }
      if (rows.length >= r.syntheticTotalSize) {
        const augmented = [...train, ...rows.slice(0, r.syntheticForTraining)];
        return { train: augmented, synth: [...rows.slice(r.syntheticForTraining), ...trainSample(augmented)], source: 'llm' };
      }
      return { train: [...train], synth: rows, source: 'llm' };
    }
    const rows = await paraphraseRows(test, deps);
    if (taskType === 'InstructTextTask') {
      if (!rows || rows.length === 0) return { train: [...train], synth: trainSample(train), source: 'fallback', error: 'no paraphrased rows' };
      const toTrain = Math.floor(rows.length * r.synthInstructShareToTrain);
      const augmented = [...train, ...rows.slice(0, toTrain)];
      return { train: augmented, synth: [...rows.slice(toTrain), ...trainSample(augmented)], source: 'llm' };
    }
    if (!rows || rows.length === 0) throw new Error('no paraphrased rows');
    return { train: [...train], synth: rows, source: 'llm' };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    if (taskType === 'DpoTask' || taskType === 'InstructTextTask') {
      return { train: [...train], synth: trainSample(train), source: 'fallback', error };
    }
    const n = Math.min(r.maxSynthDataPoints, train.length);
    return { train: train.slice(0, train.length - n), synth: train.slice(train.length - n), source: 'fallback', error };
  }
}
