/**
 * The create-task wizard: base model → dataset (a named dataset or an uploaded file) → column mapping with a
 * preview → hours, then POST /v1/uploads (for a file) and the create route of the task type. The rules of each
 * step live in create-model.ts; this renders them and calls the API.
 */
import { ApiError, get, post } from '../api.ts';
import { h, location, type El, type FileLike } from '../dom.ts';
import {
  buildCreateRequest,
  columnsOf,
  guessMapping,
  initialState,
  MAPPING_FIELDS,
  parseRows,
  previewRows,
  STEPS,
  stepErrors,
  TASK_KINDS,
  uploadBody,
  defaultMapping,
  DEFAULT_LIMITS,
  type Limits,
  type TaskKind,
  type WizardState,
} from '../create-model.ts';
import { errorNote, section, table } from '../ui.ts';

interface DashboardConfig {
  max_hours: number;
  image_pairs: { min: number; max: number };
  base_models: string[];
  datasets: string[];
}

type RewardList = { reward_functions: Record<string, { reward_id: string; name: string; description: string | null }> };

export function createPage(root: El): () => void {
  const state: WizardState = initialState();
  let step = 0;
  let limits: Limits = DEFAULT_LIMITS;
  let config: DashboardConfig | null = null;
  let rewards: RewardList['reward_functions'] | null = null;
  let fieldErrors: Record<string, string> = {};
  let busy = false;
  const body = h('div', { id: 'wizard' });
  const message = h('div', { id: 'wizard-message' });

  const fieldError = (name: string) => (fieldErrors[name] ? h('span', { class: 'field-error', 'data-field': name }, fieldErrors[name]) : null);
  const label = (text: string, control: El, name: string, hint?: string) => h('label', { class: 'field' }, h('span', null, text), control, hint ? h('small', { class: 'muted' }, hint) : null, fieldError(name));
  const input = (id: string, value: string, onInput: (v: string) => void, attrs: Record<string, string> = {}) =>
    h('input', { id, value, ...attrs, oninput: (e) => onInput((e.target as El).value) });

  function stepOne(): El[] {
    const kind = h(
      'select',
      {
        id: 'task-kind',
        onchange: (e) => {
          state.kind = (e.target as El).value as TaskKind;
          state.mapping = defaultMapping(state.kind);
          if (state.upload) state.mapping = guessMapping(state.kind, state.upload.columns, state.mapping);
          if (state.kind === 'image') state.source = 'upload';
          render();
        },
      },
      TASK_KINDS.map((k) => h('option', { value: k.kind, selected: k.kind === state.kind }, k.label)),
    );
    const models = h('datalist', { id: 'model-options' }, (config?.base_models ?? []).map((m) => h('option', { value: m })));
    return [
      label('Task type', kind, 'kind'),
      label('Base model', input('model', state.model, (v) => (state.model = v), { list: 'model-options', placeholder: 'owner/name', autocomplete: 'off' }), 'model', 'The model repository the miners fine-tune.'),
      models,
      label('Result model name (optional)', input('result-model-name', state.resultModelName, (v) => (state.resultModelName = v), { placeholder: 'my-finetune' }), 'result_model_name'),
    ];
  }

  async function readFile(file: FileLike) {
    try {
      const text = await file.text();
      const rows = parseRows(text);
      state.upload = { name: file.name, text, rows, columns: columnsOf(rows) };
      state.mapping = guessMapping(state.kind, state.upload.columns, state.mapping);
      fieldErrors = {};
    } catch (err) {
      state.upload = null;
      fieldErrors = { upload: (err as Error).message };
    }
    render();
  }

  function stepTwo(): El[] {
    const radio = (value: 'named' | 'upload', text: string) =>
      h('label', { class: 'radio' }, h('input', { type: 'radio', name: 'source', id: `source-${value}`, value, checked: state.source === value, disabled: value === 'named' && state.kind === 'image', onchange: () => ((state.source = value), render()) }), text);
    const out: El[] = [h('div', { class: 'field' }, radio('named', 'A named dataset'), radio('upload', 'Upload a file (JSON array or JSON Lines)'), fieldError('source'))];
    if (state.source === 'named') {
      out.push(label('Dataset', input('dataset-repo', state.datasetRepo, (v) => (state.datasetRepo = v), { list: 'dataset-options', placeholder: 'owner/name', autocomplete: 'off' }), 'datasetRepo'));
      out.push(h('datalist', { id: 'dataset-options' }, (config?.datasets ?? []).map((d) => h('option', { value: d }))));
      out.push(
        label(
          'File format',
          h('select', { id: 'file-format', onchange: (e) => (state.fileFormat = (e.target as El).value as WizardState['fileFormat']) }, ['hf', 'json', 'csv', 's3'].map((f) => h('option', { value: f, selected: f === state.fileFormat }, f))),
          'file_format',
        ),
      );
    } else {
      const file = h('input', {
        type: 'file',
        id: 'upload-file',
        accept: '.json,.jsonl,application/json',
        onchange: (e) => {
          const f = (e.target as El).files?.[0];
          if (f) void readFile(f);
        },
      });
      out.push(label(state.kind === 'image' ? 'Image/caption pairs file' : 'Training data file', file, 'upload', state.kind === 'image' ? `A JSON array of ${limits.imagePairs.min}–${limits.imagePairs.max} objects with image and caption URLs.` : 'Rows are uploaded to the validator (POST /v1/uploads) when the task is created.'));
      if (state.upload) out.push(h('p', { id: 'upload-summary' }, `${state.upload.name}: ${state.upload.rows.length} rows, columns ${state.upload.columns.join(', ')}`));
    }
    return out;
  }

  function stepThree(): El[] {
    const named = state.namedPreview?.dataset === state.datasetRepo.trim() ? state.namedPreview : null;
    const columns = state.source === 'upload' ? (state.upload?.columns ?? []) : (named?.columns ?? null);
    const controls = MAPPING_FIELDS[state.kind].map((f) => {
      const value = state.mapping[f.name] ?? '';
      const set = (v: string) => {
        state.mapping[f.name] = v;
        refreshPreview();
      };
      const choose = (v: string) => {
        set(v);
        // A select keeps nothing typed, so the step can be redrawn without its stale error.
        delete fieldErrors[f.name];
        render();
      };
      const control =
        f.column && columns
          ? h('select', { id: `map-${f.name}`, onchange: (e) => choose((e.target as El).value) }, h('option', { value: '' }, f.required ? '— choose —' : '— none —'), columns.map((c) => h('option', { value: c, selected: c === value }, c)))
          : input(`map-${f.name}`, value, set, { placeholder: f.column ? 'column name' : '' });
      return label(`${f.label}${f.required ? ' *' : ''}`, control, f.name);
    });
    const out: El[] = [h('div', { class: 'grid2' }, controls)];
    if (state.kind === 'grpo') {
      const list = h('div', { id: 'reward-list' }, rewards === null ? 'Loading reward functions…' : '');
      if (rewards !== null) {
        const entries = Object.values(rewards);
        list.replaceChildren(
          ...(entries.length === 0
            ? [h('p', { class: 'muted' }, 'No reward functions are stored; add one with POST /v1/grpo/reward_functions.')]
            : entries.map((r) =>
                h('label', { class: 'field inline' }, h('span', { title: r.description ?? '' }, r.name), input(`reward-${r.reward_id}`, state.rewards[r.reward_id] ?? '', (v) => (state.rewards[r.reward_id] = v), { placeholder: 'weight (blank = unused)', size: '14' }), fieldError(`reward:${r.reward_id}`)),
              )),
        );
      }
      out.push(h('h3', null, 'Reward functions'), list);
      const rewardsError = fieldError('rewards');
      if (rewardsError) out.push(rewardsError);
    }
    out.push(h('h3', null, 'Preview'), preview);
    refreshPreview();
    return out;
  }

  const preview = h('div', { id: 'preview' });
  /** Why a named dataset has no preview (the server reads built-in datasets only); null while loading. */
  let namedPreviewNote: string | null = null;
  function loadNamedPreview() {
    const dataset = state.datasetRepo.trim();
    if (state.source !== 'named' || dataset === '' || state.namedPreview?.dataset === dataset) return;
    namedPreviewNote = null;
    void get<{ dataset: string; columns: string[]; rows: Record<string, unknown>[] }>(`/dashboard/api/dataset-preview?dataset=${encodeURIComponent(dataset)}&rows=5`)
      .then((p) => {
        state.namedPreview = p;
      })
      .catch((err: unknown) => {
        namedPreviewNote = err instanceof ApiError && err.status === 404 ? `${err.message} — type the column names.` : `No preview: ${(err as Error).message}`;
      })
      .then(() => {
        if (step === 2) render();
      });
  }
  function refreshPreview() {
    if (state.source === 'upload' ? !state.upload : state.namedPreview?.dataset !== state.datasetRepo.trim()) {
      preview.replaceChildren(
        h('p', { class: 'muted' }, state.source === 'upload' ? 'Choose a file to see its rows.' : namedPreviewNote ?? 'Loading the first rows of the dataset…'),
      );
      return;
    }
    const rows = previewRows(state, 3);
    const heads = rows[0]?.cells.map((c) => c.label) ?? [];
    preview.replaceChildren(heads.length === 0 ? h('p', { class: 'muted' }, 'Map a column to see the rows.') : table(heads, rows.map((r) => r.cells.map((c) => c.value)), { id: 'preview-table' }));
  }

  function stepFour(): El[] {
    const summary = h('pre', { id: 'request-preview', class: 'code' });
    const show = () => {
      try {
        const req = buildCreateRequest(state, '<your account>', state.source === 'upload' ? '<uploaded file URL>' : null);
        const shown = { ...req.body } as Record<string, unknown>;
        if (Array.isArray(shown.image_text_pairs)) shown.image_text_pairs = `[${(shown.image_text_pairs as unknown[]).length} pairs]`;
        summary.replaceChildren(`POST ${req.path}\n${JSON.stringify(shown, null, 2)}`);
      } catch (err) {
        summary.replaceChildren((err as Error).message);
      }
    };
    show();
    return [
      label('Hours to complete', input('hours', state.hours, (v) => ((state.hours = v), show()), { type: 'number', min: '1', max: String(limits.maxHours), step: '1' }), 'hours', `Whole hours, 1 to ${limits.maxHours}: the miners' training deadline.`),
      h('h3', null, 'Request'),
      summary,
    ];
  }

  async function submit() {
    if (busy) return;
    busy = true;
    render();
    try {
      const account = await get<{ account_id: string }>('/v1/account');
      let url: string | null = null;
      if (state.source === 'upload' && state.upload && state.kind !== 'image') {
        message.replaceChildren(h('p', null, `Uploading ${state.upload.rows.length} rows…`));
        url = (await post<{ url: string }>('/v1/uploads', uploadBody(state.upload), true)).url;
      }
      const req = buildCreateRequest(state, account.account_id, url);
      const created = await post<{ task_id: string | null }>(req.path, req.body);
      if (!created.task_id) throw new Error('The API created no task.');
      location().hash = `#/tasks/${created.task_id}`;
    } catch (err) {
      busy = false;
      if (err instanceof ApiError) fieldErrors = { ...err.fields };
      message.replaceChildren(errorNote(err));
      render();
    }
  }

  function go(to: number) {
    if (to > step) {
      fieldErrors = stepErrors(state, step, limits);
      if (Object.keys(fieldErrors).length > 0) {
        render();
        return;
      }
    }
    fieldErrors = {};
    message.replaceChildren();
    step = Math.max(0, Math.min(STEPS.length - 1, to));
    if (step === 2) loadNamedPreview();
    if (step === 2 && state.kind === 'grpo' && rewards === null) {
      void get<RewardList>('/v1/grpo/reward_functions')
        .then((r) => (rewards = r.reward_functions))
        .catch((err) => message.replaceChildren(errorNote(err)))
        .then(render);
    }
    render();
  }

  function render() {
    const stepper = h('ol', { class: 'stepper' }, STEPS.map((name, i) => h('li', { class: i === step ? 'current' : i < step ? 'done' : '', 'data-step': i }, `${i + 1}. ${name}`)));
    const content = [stepOne, stepTwo, stepThree, stepFour][step]!();
    const last = step === STEPS.length - 1;
    const nav = h(
      'div',
      { class: 'toolbar' },
      h('button', { type: 'button', id: 'back', disabled: step === 0 || busy, onclick: () => go(step - 1) }, 'Back'),
      last
        ? h('button', {
            type: 'button',
            id: 'submit',
            class: 'primary',
            disabled: busy,
            onclick: () => {
              fieldErrors = stepErrors(state, step, limits);
              if (Object.keys(fieldErrors).length > 0) render();
              else void submit();
            },
          }, busy ? 'Creating…' : 'Create task')
        : h('button', { type: 'button', id: 'next', class: 'primary', onclick: () => go(step + 1) }, 'Next'),
    );
    body.replaceChildren(stepper, h('div', { class: 'step', 'data-step': step }, content), nav);
  }

  root.replaceChildren(section('New fine-tuning task', body, message));
  render();
  void get<DashboardConfig>('/dashboard/config.json')
    .then((c) => {
      config = c;
      limits = { maxHours: c.max_hours, imagePairs: c.image_pairs };
      render();
    })
    .catch(() => {});
  return () => {};
}
