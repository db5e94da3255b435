/**
 * The base miner's dataset pre-processing before axolotl runs (miner-protocol-chain.md §5.5): DPO columns are
 * renamed to axolotl's `question` / `system` / `chosen` / `rejected` and the prompt/chosen/rejected templates
 * applied; GRPO's prompt column is renamed to `prompt`. The original does it through a pandas DataFrame and
 * `json.dump(indent=2)`, which changes more than the names: rows gain every column (a missing cell becomes
 * NaN), an int column with a gap becomes floats. That is reproduced here because axolotl reads this file.
 */
import { PyFloat, pyFloatRepr } from '../net/python-json.ts';
import type { ClassifiedDatasetType, DpoDatasetType, GrpoDatasetType } from '../core/models/datasets.ts';
import { dumpPyJsonIndented, parsePyJson, type PyJson } from './pyjson.ts';

/** Axolotl's fixed DPO column names (chatml.default) and GRPO's prompt column. */
export const DPO_COLUMNS = { prompt: 'question', system: 'system', chosen: 'chosen', rejected: 'rejected' } as const;
export const GRPO_PROMPT_COLUMN = 'prompt';

const MISSING: unique symbol = Symbol('missing');
type Cell = PyJson | typeof MISSING;

interface Frame {
  columns: string[];
  rows: Map<string, Cell>[];
}

function frameOf(data: PyJson): Frame {
  if (!Array.isArray(data)) throw new Error('the dataset file is not a JSON list of records');
  const columns: string[] = [];
  const seen = new Set<string>();
  const rows = data.map((record, index) => {
    if (record === null || typeof record !== 'object' || Array.isArray(record) || record instanceof PyFloat) {
      throw new Error(`record ${index} of the dataset file is not an object`);
    }
    const row = new Map<string, Cell>();
    for (const [key, value] of Object.entries(record)) {
      if (!seen.has(key)) {
        seen.add(key);
        columns.push(key);
      }
      row.set(key, value);
    }
    return row;
  });
  return { columns, rows };
}

type Dtype = 'int' | 'float' | 'bool' | 'object';

/** pandas' inference for a column built from records (missing cells are NaN before inference). */
function dtypeOf(cells: readonly Cell[]): Dtype {
  let ints = 0;
  let floats = 0;
  let bools = 0;
  let nones = 0;
  for (const c of cells) {
    if (c === MISSING || c instanceof PyFloat) floats++;
    else if (c === null) nones++;
    else if (typeof c === 'boolean') bools++;
    else if (typeof c === 'number') {
      if (Number.isInteger(c)) ints++;
      else floats++;
    }
    else return 'object';
  }
  if (bools > 0) return bools === cells.length ? 'bool' : 'object';
  if (ints + floats + nones === cells.length && ints + floats > 0) return floats + nones === 0 ? 'int' : 'float';
  return 'object';
}

function toRecords(frame: Frame): PyJson[] {
  const dtypes = new Map(frame.columns.map((col) => [col, dtypeOf(frame.rows.map((r) => (r.has(col) ? (r.get(col) as Cell) : MISSING)))]));
  return frame.rows.map((row) => {
    const out: { [key: string]: PyJson } = {};
    for (const col of frame.columns) {
      const cell = row.has(col) ? (row.get(col) as Cell) : MISSING;
      const dtype = dtypes.get(col);
      if (dtype === 'float') {
        out[col] = cell === MISSING || cell === null ? new PyFloat(NaN) : cell instanceof PyFloat ? cell : new PyFloat(cell as number);
      } else {
        out[col] = cell === MISSING ? new PyFloat(NaN) : cell;
      }
    }
    return out;
  });
}

/** `DataFrame.rename(columns=mapping)`; a mapping from a missing column (or from None) does nothing. */
function rename(frame: Frame, mapping: ReadonlyMap<string, string>): Frame {
  const columns: string[] = [];
  for (const col of frame.columns) {
    const to = mapping.get(col) ?? col;
    if (!columns.includes(to)) columns.push(to);
  }
  const rows = frame.rows.map((row) => {
    const out = new Map<string, Cell>();
    for (const [col, value] of row) out.set(mapping.get(col) ?? col, value);
    return out;
  });
  return { columns, rows };
}

function notNa(cell: Cell | undefined): cell is PyJson {
  if (cell === undefined || cell === MISSING || cell === null) return false;
  return !(cell instanceof PyFloat && Number.isNaN(cell.value));
}

/** Python's `str()` of a cell as the formatter inserts it. */
function pyStr(cell: PyJson, dtype: Dtype): string {
  if (typeof cell === 'string') return cell;
  if (typeof cell === 'boolean') return cell ? 'True' : 'False';
  if (cell instanceof PyFloat) return pyFloatRepr(cell.value);
  if (typeof cell === 'number') return dtype === 'float' ? pyFloatRepr(cell) : String(cell);
  // Nested values: JSON text stands in for Python's repr (no dataset we prepare has them in these columns).
  return JSON.stringify(cell);
}

/** Fills `{name}` placeholders from the row's renamed columns, skipping absent or NaN cells (left literal). */
function formatRow(template: string, row: Map<string, Cell>, placeholders: readonly (keyof typeof DPO_COLUMNS)[], dtypes: Map<string, Dtype>): string {
  let result = template;
  for (const name of placeholders) {
    const col = DPO_COLUMNS[name];
    const cell = row.get(col);
    if (template.includes(`{${name}}`) && notNa(cell)) result = result.split(`{${name}}`).join(pyStr(cell, dtypes.get(col) ?? 'object'));
  }
  return result;
}

export interface RewriteResult {
  /** The file's new content (`json.dump(indent=2)`). */
  readonly text: string;
}

/** The DPO rewrite (`_adapt_columns_for_dpo_dataset(..., apply_formatting=True)`). */
export function rewriteDpoDataset(text: string, datasetType: DpoDatasetType): RewriteResult {
  const mapping = new Map<string, string>();
  const pairs: [string | null | undefined, string][] = [
    [datasetType.field_prompt, DPO_COLUMNS.prompt],
    [datasetType.field_system, DPO_COLUMNS.system],
    [datasetType.field_chosen, DPO_COLUMNS.chosen],
    [datasetType.field_rejected, DPO_COLUMNS.rejected],
  ];
  for (const [from, to] of pairs) if (from != null) mapping.set(from, to);
  const frame = rename(frameOf(parsePyJson(text)), mapping);
  const dtypes = new Map(frame.columns.map((col) => [col, dtypeOf(frame.rows.map((r) => (r.has(col) ? (r.get(col) as Cell) : MISSING)))]));

  const apply = (template: string | null | undefined, identity: string, column: string, placeholders: (keyof typeof DPO_COLUMNS)[]): void => {
    if (!template || template === identity) return;
    // Computed for every row first, then assigned, as `df[col] = df.apply(...)` does.
    const values = frame.rows.map((row) => formatRow(template, row, placeholders, dtypes));
    frame.rows.forEach((row, i) => row.set(column, values[i] as string));
    if (!frame.columns.includes(column)) frame.columns.push(column);
    dtypes.set(column, 'object');
  };
  apply(datasetType.prompt_format, '{prompt}', DPO_COLUMNS.prompt, ['prompt', 'system']);
  apply(datasetType.chosen_format, '{chosen}', DPO_COLUMNS.chosen, ['chosen', 'prompt', 'system']);
  apply(datasetType.rejected_format, '{rejected}', DPO_COLUMNS.rejected, ['rejected', 'prompt', 'system']);
  return { text: dumpPyJsonIndented(toRecords(frame)) };
}

/** The GRPO rewrite (`_adapt_columns_for_grpo_dataset`): the prompt column becomes `prompt`. */
export function rewriteGrpoDataset(text: string, datasetType: GrpoDatasetType): RewriteResult {
  const mapping = new Map<string, string>();
  if (datasetType.field_prompt != null) mapping.set(datasetType.field_prompt, GRPO_PROMPT_COLUMN);
  return { text: dumpPyJsonIndented(toRecords(rename(frameOf(parsePyJson(text)), mapping))) };
}

/** The rewrite a JSON dataset of this type gets before training, or null when it is used as downloaded. */
export function rewriteDataset(text: string, datasetType: ClassifiedDatasetType): RewriteResult | null {
  if (datasetType.kind === 'DpoDatasetType') return rewriteDpoDataset(text, datasetType.value);
  if (datasetType.kind === 'GrpoDatasetType') return rewriteGrpoDataset(text, datasetType.value);
  return null;
}
