// From table rows to what the trainers and evaluators consume, through the task's dataset-type object:
//   standardizeRows: the original's prep mapping (validator.md §2.4, §5.1): the task's columns renamed to the
//                    standard names (instruct/input/output/system, prompt/chosen/rejected/system,
//                    prompt/extra_data, the chat column), others dropped, non-chat values stringified;
//   instructExamples / chatExamples / dpoRows / grpoPrompts: rows (raw or standard names: the dataset type's
//                    field names win, the standard names are the fallback) → token examples and pairs.
import type { TaskType } from '../../core/enums.ts';
import type { DpoRow } from '../dpo.ts';
import type { GrpoPrompt } from '../grpo.ts';
import { SPECIAL_TOKENS, encode } from '../tokenizer.ts';
import type { DataRow } from './builtin.ts';
import { encodeChat, encodeInstruct } from './template.ts';
import type { ChatMessage, Example, InstructRow } from './template.ts';

/** Dataset-type objects arrive as loose JSON (the wire's untagged union); only string fields are read. */
export type DatasetTypeFields = Record<string, unknown>;

function field(dt: DatasetTypeFields, key: string): string | null {
  const v = dt[key];
  return typeof v === 'string' && v !== '' ? v : null;
}

/** Python str() of a cell, as the original's JSON conversion does: null → "", objects as JSON. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value);
}

export class ColumnError extends Error {
  override readonly name = 'ColumnError';
}

/** [source column, standard column, required] for a task type and its dataset type. */
export function columnPairs(taskType: TaskType, dt: DatasetTypeFields): [string, string, boolean][] {
  switch (taskType) {
    case 'InstructTextTask': {
      const pairs: [string, string, boolean][] = [[field(dt, 'field_instruction') ?? 'instruct', 'instruct', true]];
      const output = field(dt, 'field_output');
      pairs.push([output ?? 'output', 'output', true]);
      const input = field(dt, 'field_input');
      if (input) pairs.push([input, 'input', false]);
      const system = field(dt, 'field_system');
      if (system) pairs.push([system, 'system', false]);
      return pairs;
    }
    case 'DpoTask': {
      const pairs: [string, string, boolean][] = [
        [field(dt, 'field_prompt') ?? 'prompt', 'prompt', true],
        [field(dt, 'field_chosen') ?? 'chosen', 'chosen', true],
        [field(dt, 'field_rejected') ?? 'rejected', 'rejected', true],
      ];
      const system = field(dt, 'field_system');
      if (system) pairs.push([system, 'system', false]);
      return pairs;
    }
    case 'GrpoTask': {
      const pairs: [string, string, boolean][] = [[field(dt, 'field_prompt') ?? 'prompt', 'prompt', true]];
      const extra = field(dt, 'extra_column');
      if (extra) pairs.push([extra, 'extra_data', false]);
      return pairs;
    }
    case 'ChatTask': {
      const column = field(dt, 'chat_column') ?? 'conversations';
      return [[column, column, true]];
    }
    case 'ImageTask':
      throw new ColumnError('image tasks have no table columns');
  }
}

/**
 * Renames the task's columns to the standard names and keeps only those. A required column absent from every
 * row is an error naming it. Non-chat values are stringified (null → ""); chat values that are JSON array text
 * are parsed.
 */
export function standardizeRows(taskType: TaskType, rows: readonly DataRow[], dt: DatasetTypeFields): DataRow[] {
  const pairs = columnPairs(taskType, dt);
  const keys = new Set<string>();
  for (const row of rows.slice(0, 100)) for (const k of Object.keys(row)) keys.add(k);
  for (const [source, , required] of pairs) {
    if (required && !keys.has(source)) {
      throw new ColumnError(`column "${source}" not found in the dataset (columns: ${[...keys].join(', ') || 'none'})`);
    }
  }
  const chat = taskType === 'ChatTask';
  return rows.map((row) => {
    const out: DataRow = {};
    for (const [source, standard] of pairs) {
      if (!keys.has(source)) continue;
      const v = row[source];
      if (chat) {
        let value = v;
        if (typeof v === 'string' && v.trim().startsWith('[')) {
          try {
            value = JSON.parse(v) as unknown;
          } catch (_err) {
            value = v;
          }
        }
        out[standard] = value ?? null;
      } else {
        out[standard] = cellText(v);
      }
    }
    return out;
  });
}

/** Reads a column by the dataset type's name, falling back to the standard name. */
function read(row: DataRow, dt: DatasetTypeFields, key: string, standard: string): string | null {
  const name = field(dt, key);
  const v = name !== null && name in row ? row[name] : row[standard];
  return v === undefined || v === null ? null : cellText(v);
}

export function instructRows(rows: readonly DataRow[], dt: DatasetTypeFields = {}): InstructRow[] {
  return rows.map((r) => ({
    instruct: read(r, dt, 'field_instruction', 'instruct') ?? '',
    input: read(r, dt, 'field_input', 'input'),
    output: read(r, dt, 'field_output', 'output') ?? '',
    system: read(r, dt, 'field_system', 'system'),
  }));
}

/**
 * Instruct rows as token examples with the task's templates (axolotl "custom": format, no_input_format,
 * system_prompt/system_format). A task without an output field trains on the whole instruction text
 * (axolotl's `completion` type).
 */
export function instructExamples(rows: readonly DataRow[], dt: DatasetTypeFields = {}): Example[] {
  const hasOutput = field(dt, 'field_output') !== null || rows.some((r) => 'output' in r);
  if (!hasOutput) {
    return rows.map((r) => {
      const ids = [SPECIAL_TOKENS.bos, ...encode(read(r, dt, 'field_instruction', 'instruct') ?? ''), SPECIAL_TOKENS.eos];
      return { ids, lossMask: ids.map((_, i) => (i === 0 ? 0 : 1)) };
    });
  }
  const fmt = {
    ...(field(dt, 'format') ? { format: field(dt, 'format')! } : {}),
    ...(field(dt, 'no_input_format') ? { noInputFormat: field(dt, 'no_input_format')! } : {}),
    ...(field(dt, 'system_prompt') ? { systemPrompt: field(dt, 'system_prompt')! } : {}),
    ...(field(dt, 'system_format') ? { systemFormat: field(dt, 'system_format')! } : {}),
  };
  return instructRows(rows, dt).map((r) => encodeInstruct(r, fmt));
}

/**
 * Chat rows → messages, mapping the task's role references (`chat_user_reference`, `chat_assistant_reference`,
 * plus the usual aliases human/gpt/user/assistant/system). A row whose list is missing or has an unknown role
 * yields null (dropped by the caller, as a tokenisation failure drops it in production).
 */
export function chatMessages(rows: readonly DataRow[], dt: DatasetTypeFields = {}): (ChatMessage[] | null)[] {
  const column = field(dt, 'chat_column') ?? 'conversations';
  const roleField = field(dt, 'chat_role_field') ?? 'from';
  const contentField = field(dt, 'chat_content_field') ?? 'value';
  const roles = new Map<string, ChatMessage['role']>([
    ['system', 'system'], ['human', 'user'], ['user', 'user'], ['gpt', 'assistant'], ['assistant', 'assistant'],
  ]);
  const userRef = field(dt, 'chat_user_reference');
  const assistantRef = field(dt, 'chat_assistant_reference');
  if (userRef) roles.set(userRef, 'user');
  if (assistantRef) roles.set(assistantRef, 'assistant');
  return rows.map((row) => {
    let list = row[column];
    if (typeof list === 'string') {
      try {
        list = JSON.parse(list) as unknown;
      } catch (_err) {
        return null;
      }
    }
    if (!Array.isArray(list)) return null;
    const messages: ChatMessage[] = [];
    for (const m of list) {
      if (typeof m !== 'object' || m === null) return null;
      const rec = m as Record<string, unknown>;
      const role = roles.get(cellText(rec[roleField] ?? rec.role));
      if (!role) return null;
      messages.push({ role, content: cellText(rec[contentField] ?? rec.content) });
    }
    return messages;
  });
}

export function chatExamples(rows: readonly DataRow[], dt: DatasetTypeFields = {}): Example[] {
  return chatMessages(rows, dt).filter((m): m is ChatMessage[] => m !== null).map((m) => encodeChat(m));
}

/** DPO rows with the task's prompt/chosen/rejected formats; the system column is dropped, as production's evaluator does. */
export function dpoRows(rows: readonly DataRow[], dt: DatasetTypeFields = {}): DpoRow[] {
  const pf = field(dt, 'prompt_format') ?? '{prompt}';
  const cf = field(dt, 'chosen_format') ?? '{chosen}';
  const rf = field(dt, 'rejected_format') ?? '{rejected}';
  return rows
    .map((r) => ({
      prompt: read(r, dt, 'field_prompt', 'prompt') ?? '',
      chosen: read(r, dt, 'field_chosen', 'chosen') ?? '',
      rejected: read(r, dt, 'field_rejected', 'rejected') ?? '',
    }))
    .filter((r) => r.prompt !== '' && r.chosen !== '' && r.rejected !== '')
    .map((r) => ({
      prompt: pf.replaceAll('{prompt}', r.prompt),
      chosen: cf.replaceAll('{chosen}', r.chosen),
      rejected: rf.replaceAll('{rejected}', r.rejected),
    }));
}

/** GRPO prompts; `extraData` is the extra column's cell (after prep: `extra_data`), as reward functions receive it. */
export function grpoPrompts(rows: readonly DataRow[], dt: DatasetTypeFields = {}): GrpoPrompt[] {
  const extra = field(dt, 'extra_column');
  return rows.map((r) => {
    const prompt = read(r, dt, 'field_prompt', 'prompt') ?? '';
    const cell = extra !== null && extra in r ? r[extra] : r.extra_data;
    return cell === undefined ? { prompt } : { prompt, extraData: cell };
  });
}
