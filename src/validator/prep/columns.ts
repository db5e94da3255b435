/**
 * Column mapping to the standard names (validator.md §2.4, §5.1): whatever a customer's dataset calls its
 * columns, the files miners and evaluators receive use `instruct`/`input`/`output`/`system` (Instruct),
 * `prompt`/`chosen`/`rejected`/`system` (DPO), `prompt`/`extra_data` (GRPO), or the chat column (Chat).
 */
import type { AnyTextRawTask } from '../../core/models/tasks.ts';
import type { DataRow } from '../ports.ts';

export class PrepError extends Error {
  override readonly name = 'PrepError';
}

/** Source column → standard column, for the columns this task names (required ones first). */
export interface ColumnMap {
  readonly required: readonly (readonly [source: string, standard: string])[];
  readonly optional: readonly (readonly [source: string, standard: string])[];
  /** Chat rows keep their message list; other types have every value stringified. */
  readonly chat: boolean;
}

export function columnMapOf(task: AnyTextRawTask): ColumnMap {
  switch (task.task_type) {
    case 'InstructTextTask': {
      if (!task.field_output) throw new PrepError('instruct task has no field_output: the output column is required');
      return {
        required: [
          [task.field_instruction, 'instruct'],
          [task.field_output, 'output'],
        ],
        optional: [
          ...(task.field_input ? ([[task.field_input, 'input']] as const) : []),
          ...(task.field_system ? ([[task.field_system, 'system']] as const) : []),
        ],
        chat: false,
      };
    }
    case 'DpoTask':
      return {
        required: [
          [task.field_prompt, 'prompt'],
          [task.field_chosen, 'chosen'],
          [task.field_rejected, 'rejected'],
        ],
        optional: task.field_system ? [[task.field_system, 'system']] : [],
        chat: false,
      };
    case 'GrpoTask':
      return {
        required: [[task.field_prompt, 'prompt']],
        optional: task.extra_column ? [[task.extra_column, 'extra_data']] : [],
        chat: false,
      };
    case 'ChatTask': {
      const column = task.chat_column ?? 'conversations';
      return { required: [[column, column]], optional: [], chat: true };
    }
  }
}

/** The standard columns a prepared file of this task carries. */
export function standardColumns(map: ColumnMap): string[] {
  return [...map.required, ...map.optional].map(([, std]) => std);
}

/** Source column → standard column pairs, in the order of the standard columns. */
export type ColumnPairs = readonly (readonly [source: string, standard: string])[];

/**
 * The task's columns this dataset has, as source → standard pairs. A required column missing from the dataset
 * (checked on its first 100 rows, as a schema) is a prep failure naming the column; so is a named optional one.
 */
export function standardPairs(rows: readonly DataRow[], map: ColumnMap): ColumnPairs {
  const keys = new Set<string>();
  for (let i = 0; i < rows.length && i < 100; i++) for (const k of Object.keys(rows[i]!)) keys.add(k);
  for (const [source] of map.required) {
    if (!keys.has(source)) throw new PrepError(`column "${source}" not found in the dataset (columns: ${[...keys].join(', ') || 'none'})`);
  }
  const missingOptional = map.optional.filter(([source]) => !keys.has(source));
  if (missingOptional.length > 0) {
    throw new PrepError(`column "${missingOptional[0]![0]}" not found in the dataset (columns: ${[...keys].join(', ')})`);
  }
  return [...map.required, ...map.optional];
}

/** Each row with only the paired columns, under their standard names (a missing value becomes null). */
export function renameRows(rows: readonly DataRow[], pairs: ColumnPairs): DataRow[] {
  return rows.map((row) => {
    const out: DataRow = {};
    for (const [source, std] of pairs) out[std] = row[source] ?? null;
    return out;
  });
}

/** Renames the task's columns to the standard names and keeps only those (`standardPairs`, then `renameRows`). */
export function renameToStandard(rows: readonly DataRow[], map: ColumnMap): DataRow[] {
  return renameRows(rows, standardPairs(rows, map));
}

/** Python `str()` of a JSON value, close enough for dataset cells: null → "", objects as JSON. */
function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/**
 * `change_to_json_format`: each row keeps only `columns`; non-chat values are stringified (null → ""), chat
 * values that are JSON array text are parsed. More than `maxEmptyFraction` fully empty rows fails prep. DPO rows
 * with an empty prompt, chosen or rejected are dropped; none left fails prep.
 */
export function toJsonRows(
  rows: readonly DataRow[],
  columns: readonly string[],
  options: { chat: boolean; dpo: boolean; maxEmptyFraction: number },
): DataRow[] {
  let empty = 0;
  let out: DataRow[] = rows.map((row) => {
    const obj: DataRow = {};
    let allEmpty = true;
    for (const c of columns) {
      const v = row[c];
      if (options.chat) {
        let value = v;
        if (typeof v === 'string' && v.trim().startsWith('[')) {
          try {
            value = JSON.parse(v) as unknown;
          } catch {
            value = v;
          }
        }
        obj[c] = value ?? null;
        if (value !== null && value !== undefined && value !== '' && !(Array.isArray(value) && value.length === 0)) allEmpty = false;
      } else {
        const text = cellText(v);
        obj[c] = text;
        if (text !== '') allEmpty = false;
      }
    }
    if (allEmpty) empty++;
    return obj;
  });
  if (rows.length > 0 && empty / rows.length > options.maxEmptyFraction) {
    throw new PrepError(`${empty} of ${rows.length} rows are empty (more than ${options.maxEmptyFraction * 100}%)`);
  }
  if (options.dpo) {
    out = out.filter((r) => r.prompt !== '' && r.chosen !== '' && r.rejected !== '');
    if (out.length === 0) throw new PrepError('no DPO row has a non-empty prompt, chosen and rejected');
  }
  return out;
}

/** The task's field names after prep: the standard ones (validator.md §2.4). */
export function standardFieldUpdates(task: AnyTextRawTask, present: readonly string[]): Record<string, unknown> {
  const has = (c: string) => present.includes(c);
  switch (task.task_type) {
    case 'InstructTextTask':
      return {
        field_instruction: 'instruct',
        field_output: 'output',
        field_input: has('input') ? 'input' : null,
        field_system: has('system') ? 'system' : null,
      };
    case 'DpoTask':
      return { field_prompt: 'prompt', field_chosen: 'chosen', field_rejected: 'rejected', field_system: has('system') ? 'system' : null };
    case 'GrpoTask':
      return { field_prompt: 'prompt', extra_column: task.extra_column ? 'extra_data' : null };
    case 'ChatTask':
      return {};
  }
}
