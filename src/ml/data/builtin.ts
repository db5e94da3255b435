// Built-in datasets, addressable by id like hub datasets (`god-local/arith-instruct`), in the raw shapes the
// original's task prep reads: instruct rows with `instruction`/`input`/`output`, chat rows with a
// `conversations` list of `{from, value}` turns (synthetic chat's `human`/`gpt` roles), DPO rows with
// `prompt`/`chosen`/`rejected`, GRPO rows with `prompt` and a JSON `extra_data` answer, and image/caption pairs.
// Each entry carries the dataset-type fields a task over it names, so the validator's column mapping and split
// run on them unchanged. Rows are deterministic in (id, seed, rows); prompts within a dataset are distinct.
import type { TaskType } from '../../core/enums.ts';
import { Rng } from '../rng.ts';
import { encodePng } from '../image/png.ts';
import { shapeImages } from '../image/shapes.ts';
import { ARITHMETIC, LOOKUP, MIXED, STRINGS, corrupt, distinctItems, itemPrompt } from './generators.ts';
import type { Generator, Item } from './generators.ts';

export type DataRow = Record<string, unknown>;

export interface BuiltinDatasetInfo {
  id: string;
  taskType: TaskType;
  description: string;
  /** rows produced when the caller does not ask for a count (≥ the original's MINIMUM_DATASET_ROWS for text) */
  defaultRows: number;
  /** the most rows this dataset can produce (distinct prompts) */
  maxRows: number;
  /** dataset-type fields naming this dataset's columns (InstructTextDatasetType, DpoDatasetType, …) */
  datasetType: Record<string, unknown>;
}

interface TextEntry extends BuiltinDatasetInfo {
  build(seed: number, rows: number): DataRow[];
}

const INSTRUCT_TYPE = { field_instruction: 'instruction', field_input: 'input', field_output: 'output' };
const DPO_TYPE = { field_prompt: 'prompt', field_chosen: 'chosen', field_rejected: 'rejected' };
const GRPO_TYPE = { field_prompt: 'prompt', extra_column: 'extra_data' };
const CHAT_TYPE = {
  chat_template: 'chatml', chat_column: 'conversations', chat_role_field: 'from', chat_content_field: 'value',
  chat_user_reference: 'human', chat_assistant_reference: 'gpt',
};

const instructRows = (items: Item[]): DataRow[] => items.map((i) => ({ instruction: i.instruction, input: i.input, output: i.output }));

function dpoRows(items: Item[], seed: number): DataRow[] {
  const rng = new Rng(seed ^ 0x5bd1e995);
  return items.map((i) => ({ prompt: itemPrompt(i), chosen: i.output, rejected: corrupt(i.output, rng) }));
}

const grpoRows = (items: Item[]): DataRow[] => items.map((i) => ({ prompt: itemPrompt(i), extra_data: JSON.stringify({ answer: i.output }) }));

/** One to three exchanges per conversation, sometimes with a system turn first. */
function chatRows(seed: number, rows: number): DataRow[] {
  const items = distinctItems(MIXED, rows * 2, seed);
  const rng = new Rng(seed ^ 0x27d4eb2f);
  const out: DataRow[] = [];
  let k = 0;
  for (let r = 0; r < rows; r++) {
    const turns = 1 + (rng.next() < 0.5 ? 1 : 0);
    const conversation: { from: string; value: string }[] = [];
    if (rng.next() < 0.25) conversation.push({ from: 'system', value: 'answer briefly' });
    for (let t = 0; t < turns && k < items.length; t++) {
      const item = items[k++]!;
      conversation.push({ from: 'human', value: itemPrompt(item) }, { from: 'gpt', value: item.output });
    }
    out.push({ conversations: conversation });
  }
  return out;
}

const text = (
  id: string, taskType: TaskType, description: string, gen: Generator, maxRows: number, defaultRows: number,
  shape: (items: Item[], seed: number) => DataRow[], datasetType: Record<string, unknown>,
): TextEntry => ({
  id, taskType, description, defaultRows, maxRows, datasetType,
  build: (seed, rows) => shape(distinctItems(gen, rows, seed), seed),
});

const TEXT_DATASETS: readonly TextEntry[] = [
  text('god-local/arith-instruct', 'InstructTextTask', 'add/subtract two numbers below 100, multiply below 13',
    ARITHMETIC, 12_000, 2400, instructRows, INSTRUCT_TYPE),
  text('god-local/strings-instruct', 'InstructTextTask', 'upper, copy, reverse, first, last, sort on random words',
    STRINGS, 50_000, 2400, instructRows, INSTRUCT_TYPE),
  text('god-local/lookup-instruct', 'InstructTextTask', 'spell numbers 0–999 in words and back, month and weekday names',
    LOOKUP, 2019, 2000, instructRows, INSTRUCT_TYPE),
  {
    id: 'god-local/mixed-chat', taskType: 'ChatTask', description: 'one or two exchanges of the instruct tasks as a conversation',
    defaultRows: 2000, maxRows: 20_000, datasetType: CHAT_TYPE, build: chatRows,
  },
  text('god-local/arith-dpo', 'DpoTask', 'arithmetic prompts; chosen = the answer, rejected = a near miss',
    ARITHMETIC, 12_000, 2400, dpoRows, DPO_TYPE),
  text('god-local/strings-dpo', 'DpoTask', 'string-transform prompts; chosen = the answer, rejected = one letter wrong or case flipped',
    STRINGS, 50_000, 2400, dpoRows, DPO_TYPE),
  text('god-local/arith-grpo', 'GrpoTask', 'arithmetic prompts; extra_data = {"answer": …} for exact/numeric match rewards',
    ARITHMETIC, 12_000, 2400, (items) => grpoRows(items), GRPO_TYPE),
  text('god-local/strings-grpo', 'GrpoTask', 'string-transform prompts; extra_data = {"answer": …}',
    STRINGS, 50_000, 2400, (items) => grpoRows(items), GRPO_TYPE),
];

export const IMAGE_DATASET_ID = 'god-local/shapes-image';

const IMAGE_INFO: BuiltinDatasetInfo = {
  id: IMAGE_DATASET_ID, taskType: 'ImageTask',
  description: '32×32 RGB images of a shape (4) in a colour (8) at a position (9) and size (2), with captions',
  defaultRows: 200, maxRows: 100_000, datasetType: {},
};

export function listBuiltinDatasets(): BuiltinDatasetInfo[] {
  return [...TEXT_DATASETS.map(({ build: _b, ...info }) => info), IMAGE_INFO];
}

export function builtinDatasetInfo(id: string): BuiltinDatasetInfo {
  const found = listBuiltinDatasets().find((d) => d.id === id);
  if (!found) throw new Error(`unknown built-in dataset "${id}" (known: ${listBuiltinDatasets().map((d) => d.id).join(', ')})`);
  return found;
}

export function isBuiltinDataset(id: string): boolean {
  return listBuiltinDatasets().some((d) => d.id === id);
}

export interface BuiltinOptions {
  seed?: number;
  rows?: number;
}

function rowCount(info: BuiltinDatasetInfo, rows: number | undefined): number {
  const n = rows ?? info.defaultRows;
  if (!Number.isInteger(n) || n < 1 || n > info.maxRows) throw new Error(`rows for ${info.id} must be an integer in 1..${info.maxRows}, got ${n}`);
  return n;
}

/** The rows of a built-in text dataset (raw column names; see `builtinDatasetInfo(id).datasetType`). */
export function loadBuiltinDataset(id: string, opts: BuiltinOptions = {}): DataRow[] {
  const entry = TEXT_DATASETS.find((d) => d.id === id);
  if (!entry) {
    if (id === IMAGE_DATASET_ID) throw new Error(`${id} is an image dataset: use builtinImagePairs`);
    builtinDatasetInfo(id);
  }
  return entry!.build(opts.seed ?? 0, rowCount(entry!, opts.rows));
}

export interface ImagePair {
  /** file stem: the pair is `<name><ext>` + `<name>.txt` */
  name: string;
  image: Uint8Array;
  ext: '.png';
  caption: string;
}

/** Image/caption pairs as PNG bytes + caption, the shape the validator's image prep and ImageGenerator use. */
export function builtinImagePairs(id: string, opts: BuiltinOptions & { size?: number } = {}): ImagePair[] {
  const info = builtinDatasetInfo(id);
  if (info.taskType !== 'ImageTask') throw new Error(`${id} is not an image dataset`);
  return shapeImages({ seed: opts.seed ?? 0, count: rowCount(info, opts.rows), size: opts.size ?? 32 })
    .map((s) => ({ name: s.name, image: encodePng(s.image), ext: '.png', caption: s.caption }));
}
