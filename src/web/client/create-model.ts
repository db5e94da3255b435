/**
 * The create-task wizard's logic, pure: its four steps (base model → dataset or upload → column mapping →
 * hours), what each step requires before the next opens, the columns of an uploaded file, a preview of mapped
 * rows, and the request — route and body — the last step sends. The page (pages/create.ts) only renders this.
 */

export type TaskKind = 'instruct' | 'chat' | 'dpo' | 'grpo' | 'image';
export type DatasetSource = 'named' | 'upload';
export type Row = Record<string, unknown>;

export const TASK_KINDS: readonly { kind: TaskKind; label: string }[] = [
  { kind: 'instruct', label: 'Instruct (text)' },
  { kind: 'chat', label: 'Chat' },
  { kind: 'dpo', label: 'DPO (preferences)' },
  { kind: 'grpo', label: 'GRPO (reward functions)' },
  { kind: 'image', label: 'Image (diffusion LoRA)' },
];

export interface MappingField {
  name: string;
  label: string;
  required: boolean;
  /** A column of the dataset (chosen from the upload's columns) or a free value. */
  column: boolean;
}

/** The mapping fields of each task type, with the original's request field names. */
export const MAPPING_FIELDS: Record<TaskKind, readonly MappingField[]> = {
  instruct: [
    { name: 'field_instruction', label: 'Instruction column', required: true, column: true },
    { name: 'field_input', label: 'Input column', required: false, column: true },
    { name: 'field_output', label: 'Output column', required: false, column: true },
    { name: 'field_system', label: 'System column', required: false, column: true },
  ],
  chat: [
    { name: 'chat_template', label: 'Chat template', required: true, column: false },
    { name: 'chat_column', label: 'Conversation column', required: false, column: true },
    { name: 'chat_role_field', label: 'Role field', required: false, column: false },
    { name: 'chat_content_field', label: 'Content field', required: false, column: false },
    { name: 'chat_user_reference', label: 'User role value', required: false, column: false },
    { name: 'chat_assistant_reference', label: 'Assistant role value', required: false, column: false },
  ],
  dpo: [
    { name: 'field_prompt', label: 'Prompt column', required: true, column: true },
    { name: 'field_system', label: 'System column', required: false, column: true },
    { name: 'field_chosen', label: 'Chosen column', required: true, column: true },
    { name: 'field_rejected', label: 'Rejected column', required: true, column: true },
  ],
  grpo: [
    { name: 'field_prompt', label: 'Prompt column', required: true, column: true },
    { name: 'extra_column', label: 'Extra column (passed to reward functions)', required: false, column: true },
  ],
  image: [
    { name: 'image_url', label: 'Image URL column', required: true, column: true },
    { name: 'text_url', label: 'Caption URL column', required: true, column: true },
  ],
};

export interface Upload {
  name: string;
  /** The file's text, sent as is to POST /v1/uploads. */
  text: string;
  rows: Row[];
  columns: string[];
}

export interface WizardState {
  kind: TaskKind;
  model: string;
  source: DatasetSource;
  datasetRepo: string;
  fileFormat: 'hf' | 'json' | 'csv' | 's3';
  upload: Upload | null;
  /** The first rows of the named dataset (GET /dashboard/api/dataset-preview), when the server can read it. */
  namedPreview: { dataset: string; columns: string[]; rows: Row[] } | null;
  mapping: Record<string, string>;
  /** GRPO: `reward_id` → weight (as typed). */
  rewards: Record<string, string>;
  hours: string;
  resultModelName: string;
}

export function initialState(kind: TaskKind = 'instruct'): WizardState {
  return { kind, model: '', source: 'named', datasetRepo: '', fileFormat: 'hf', upload: null, namedPreview: null, mapping: defaultMapping(kind), rewards: {}, hours: '1', resultModelName: '' };
}

/** Sensible starting values for the non-column fields (the chat layout of ShareGPT-style data). */
export function defaultMapping(kind: TaskKind): Record<string, string> {
  if (kind === 'chat') return { chat_template: 'chatml', chat_column: 'conversations', chat_role_field: 'from', chat_content_field: 'value', chat_user_reference: 'human', chat_assistant_reference: 'gpt' };
  return {};
}

export const STEPS = ['Base model', 'Dataset', 'Columns', 'Duration'] as const;

export interface Limits {
  maxHours: number;
  imagePairs: { min: number; max: number };
}

export const DEFAULT_LIMITS: Limits = { maxHours: 720, imagePairs: { min: 10, max: 50 } };

/** Problems that keep `step` (0–3) from being complete, by field name; empty when it is. */
export function stepErrors(state: WizardState, step: number, limits: Limits = DEFAULT_LIMITS): Record<string, string> {
  const errors: Record<string, string> = {};
  if (step === 0) {
    const model = state.model.trim();
    if (!model) errors.model = 'Choose the base model to fine-tune.';
    else if (/\s/.test(model)) errors.model = 'A model id has no spaces (owner/name).';
  } else if (step === 1) {
    if (state.kind === 'image' && state.source !== 'upload') errors.source = 'Image tasks need an uploaded list of image/caption URL pairs.';
    if (state.source === 'named') {
      const repo = state.datasetRepo.trim();
      if (!repo) errors.datasetRepo = 'Name the dataset (owner/name).';
      else if (/\s/.test(repo)) errors.datasetRepo = 'A dataset id has no spaces.';
    } else if (!state.upload) errors.upload = 'Choose a JSON file (an array of row objects).';
    else if (state.upload.rows.length === 0) errors.upload = 'The file has no rows.';
    else if (state.kind === 'image' && (state.upload.rows.length < limits.imagePairs.min || state.upload.rows.length > limits.imagePairs.max)) {
      errors.upload = `Image tasks take ${limits.imagePairs.min} to ${limits.imagePairs.max} pairs; the file has ${state.upload.rows.length}.`;
    }
  } else if (step === 2) {
    const columns = state.source === 'upload' && state.upload ? new Set(state.upload.columns) : null;
    for (const f of MAPPING_FIELDS[state.kind]) {
      const v = (state.mapping[f.name] ?? '').trim();
      if (f.required && !v) errors[f.name] = `${f.label} is required.`;
      else if (v && f.column && columns && !columns.has(v)) errors[f.name] = `The file has no column "${v}".`;
    }
    if (state.kind === 'grpo') {
      const chosen = Object.entries(state.rewards).filter(([, w]) => w.trim() !== '');
      if (chosen.length === 0) errors.rewards = 'Choose at least one reward function.';
      for (const [id, w] of chosen) if (!Number.isFinite(Number(w)) || Number(w) <= 0) errors[`reward:${id}`] = 'A weight is a positive number.';
    }
  } else if (step === 3) {
    const hours = Number(state.hours);
    if (state.hours.trim() === '' || !Number.isInteger(hours) || hours < 1 || hours > limits.maxHours) {
      errors.hours = `A whole number of hours from 1 to ${limits.maxHours}.`;
    }
  }
  return errors;
}

/** The first step with a problem (4 when all are complete). */
export function firstIncompleteStep(state: WizardState, limits: Limits = DEFAULT_LIMITS): number {
  for (let step = 0; step < STEPS.length; step++) if (Object.keys(stepErrors(state, step, limits)).length > 0) return step;
  return STEPS.length;
}

/** Rows of an uploaded file: a JSON array of objects, or JSON Lines. Throws with a readable reason otherwise. */
export function parseRows(text: string): Row[] {
  const trimmed = text.trim();
  if (!trimmed) throw new Error('The file is empty.');
  let rows: unknown;
  if (trimmed.startsWith('[')) {
    try {
      rows = JSON.parse(trimmed);
    } catch (err) {
      throw new Error(`Not valid JSON: ${(err as Error).message}`);
    }
  } else {
    rows = trimmed.split(/\r?\n/).filter((l) => l.trim()).map((line, i) => {
      try {
        return JSON.parse(line);
      } catch {
        throw new Error(`Line ${i + 1} is not a JSON object.`);
      }
    });
  }
  if (!Array.isArray(rows)) throw new Error('Expected a JSON array of row objects.');
  rows.forEach((r, i) => {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) throw new Error(`Row ${i + 1} is not an object.`);
  });
  return rows as Row[];
}

/** Columns in order of first appearance over the first `sample` rows. */
export function columnsOf(rows: readonly Row[], sample = 200): string[] {
  const seen = new Set<string>();
  for (const r of rows.slice(0, sample)) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}

/** The text of an upload as the API takes it: a JSON array (JSON Lines are re-serialised). */
export function uploadBody(upload: Upload): string {
  return upload.text.trim().startsWith('[') ? upload.text : JSON.stringify(upload.rows);
}

/** Guesses the mapping from column names (instruction/input/output, prompt/chosen/rejected, …). */
export function guessMapping(kind: TaskKind, columns: readonly string[], current: Record<string, string> = {}): Record<string, string> {
  const lower = new Map(columns.map((c) => [c.toLowerCase(), c]));
  const pick = (...names: string[]) => names.map((n) => lower.get(n)).find((c) => c !== undefined) ?? '';
  const out = { ...current };
  const guesses: Record<string, string> =
    kind === 'instruct'
      ? { field_instruction: pick('instruction', 'question', 'prompt'), field_input: pick('input', 'context'), field_output: pick('output', 'response', 'answer'), field_system: pick('system') }
      : kind === 'dpo'
        ? { field_prompt: pick('prompt', 'question'), field_system: pick('system'), field_chosen: pick('chosen'), field_rejected: pick('rejected') }
        : kind === 'grpo'
          ? { field_prompt: pick('prompt', 'question'), extra_column: pick('answer', 'extra', 'solution') }
          : kind === 'image'
            ? { image_url: pick('image_url', 'image'), text_url: pick('text_url', 'caption_url', 'text') }
            : { chat_column: pick('conversations', 'messages') || (current.chat_column ?? '') };
  for (const [k, v] of Object.entries(guesses)) if (v && !(out[k] ?? '').trim()) out[k] = v;
  return out;
}

export interface PreviewRow {
  /** Mapping field label → the row's value (shortened). */
  cells: { label: string; value: string }[];
}

function short(v: unknown, max = 160): string {
  const text = typeof v === 'string' ? v : JSON.stringify(v ?? null);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The first `n` rows as the task will read them, through the current mapping. */
export function previewRows(state: WizardState, n = 3): PreviewRow[] {
  const rows = (state.source === 'upload' ? state.upload?.rows : state.namedPreview?.dataset === state.datasetRepo.trim() ? state.namedPreview.rows : null) ?? [];
  const fields = MAPPING_FIELDS[state.kind].filter((f) => f.column && (state.mapping[f.name] ?? '').trim());
  return rows.slice(0, n).map((row) => ({
    cells: fields.map((f) => {
      const col = (state.mapping[f.name] ?? '').trim();
      return { label: f.label.replace(/ column$/, ''), value: col in row ? short(row[col]) : '(missing)' };
    }),
  }));
}

export interface CreateRequest {
  path: string;
  body: Record<string, unknown>;
}

const NAMED_PATHS: Record<Exclude<TaskKind, 'image'>, string> = {
  instruct: '/v1/tasks/create',
  chat: '/v1/tasks/create_chat',
  dpo: '/v1/tasks/create_dpo',
  grpo: '/v1/tasks/create_grpo',
};
const CUSTOM_PATHS: Record<Exclude<TaskKind, 'image'>, string> = {
  instruct: '/v1/tasks/create_custom_dataset_text',
  chat: '/v1/tasks/create_custom_dataset_chat',
  dpo: '/v1/tasks/create_custom_dataset_dpo',
  grpo: '/v1/tasks/create_custom_dataset_grpo',
};

/**
 * The create call for a complete wizard: the route by type and dataset source, the body with the original's
 * field names. `trainingUrl` is the uploaded file's URL (POST /v1/uploads) for the upload source.
 */
export function buildCreateRequest(state: WizardState, accountId: string, trainingUrl: string | null): CreateRequest {
  const mapped: Record<string, string | null> = {};
  for (const f of MAPPING_FIELDS[state.kind]) {
    const v = (state.mapping[f.name] ?? '').trim();
    mapped[f.name] = v || null;
  }
  const common: Record<string, unknown> = {
    account_id: accountId,
    model_repo: state.model.trim(),
    hours_to_complete: Number(state.hours),
    ...(state.resultModelName.trim() ? { result_model_name: state.resultModelName.trim() } : {}),
  };
  if (state.kind === 'image') {
    const imageCol = mapped.image_url ?? 'image_url';
    const textCol = mapped.text_url ?? 'text_url';
    const pairs = (state.upload?.rows ?? []).map((r) => ({ image_url: String(r[imageCol] ?? ''), text_url: String(r[textCol] ?? '') }));
    return { path: '/v1/tasks/create_image', body: { ...common, image_text_pairs: pairs } };
  }
  const { image_url: _i, text_url: _t, ...fields } = mapped;
  const body: Record<string, unknown> = { ...common, ...fields };
  if (state.kind === 'grpo') {
    body.reward_functions = Object.entries(state.rewards)
      .filter(([, w]) => w.trim() !== '')
      .map(([reward_id, w]) => ({ reward_id, reward_weight: Number(w) }));
  }
  if (state.source === 'named') {
    return { path: NAMED_PATHS[state.kind], body: { ...body, ds_repo: state.datasetRepo.trim(), file_format: state.fileFormat } };
  }
  if (!trainingUrl) throw new Error('upload the dataset first');
  return { path: CUSTOM_PATHS[state.kind], body: { ...body, training_data: trainingUrl } };
}
