/**
 * The synthetic-data prompts (validator.md §5.2, the roles of the original's prompts.yml entries; wording ours)
 * and the parsing of LLM answers.
 */
import type { ChatMessage } from '../ports.ts';

export const ROW_REFORMULATION_SYSTEM =
  'You rewrite one data point of a fine-tuning dataset into a meaningfully different variation that tests the same ' +
  'skill and has the same correct answer style. Answer with a single JSON object that has exactly the same keys as ' +
  'the input object and nothing else.';

export const INPUT_REFORMULATION_SYSTEM =
  'You rewrite the user text with a different style and structure while keeping its meaning and intent. Answer with ' +
  'the rewritten text only.';

export const ANSWER_SYSTEM = 'You are a helpful assistant. Answer the user.';

export function rowReformulationMessages(row: Record<string, unknown>): ChatMessage[] {
  return [
    { role: 'system', content: ROW_REFORMULATION_SYSTEM },
    { role: 'user', content: `Data point:\n${JSON.stringify(row)}` },
  ];
}

export function inputReformulationMessages(input: string): ChatMessage[] {
  return [
    { role: 'system', content: INPUT_REFORMULATION_SYSTEM },
    { role: 'user', content: input },
  ];
}

export function answerMessages(prompt: string): ChatMessage[] {
  return [
    { role: 'system', content: ANSWER_SYSTEM },
    { role: 'user', content: prompt },
  ];
}

/**
 * Reasoning models put their answer after `</think>`. The original returns "" when the tag is missing (quirk 14,
 * which empties DPO prompts); we keep the whole text then (D-validator-5).
 */
export function afterThinking(text: string): string {
  const at = text.lastIndexOf('</think>');
  return (at >= 0 ? text.slice(at + '</think>'.length) : text).trim();
}

/** The first `{` to the last `}` parsed as a JSON object (the original's greedy regex), or null. */
export function extractJsonObject(text: string): Record<string, unknown> | null {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end <= start) return null;
  try {
    const value: unknown = JSON.parse(text.slice(start, end + 1));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
