import { describe, expect, it } from 'vitest';
import {
  buildCreateRequest,
  columnsOf,
  firstIncompleteStep,
  guessMapping,
  initialState,
  parseRows,
  previewRows,
  stepErrors,
  uploadBody,
  type WizardState,
} from './create-model.ts';

const ACCOUNT = '0b1d0a0e-0000-4000-8000-000000000001';

function uploaded(rows: Record<string, unknown>[], kind: WizardState['kind'] = 'instruct'): WizardState {
  const text = JSON.stringify(rows);
  const s = initialState(kind);
  s.model = 'god-local/tinygpt-tiny';
  s.source = 'upload';
  s.upload = { name: 'rows.json', text, rows, columns: columnsOf(rows) };
  s.mapping = guessMapping(kind, s.upload.columns, s.mapping);
  return s;
}

describe('create wizard: steps', () => {
  it('blocks each step until its fields are valid', () => {
    const s = initialState();
    expect(stepErrors(s, 0)).toHaveProperty('model');
    s.model = 'has space';
    expect(stepErrors(s, 0).model).toMatch(/spaces/);
    s.model = 'Qwen/Qwen2-0.5B';
    expect(stepErrors(s, 0)).toEqual({});
    expect(stepErrors(s, 1)).toHaveProperty('datasetRepo');
    s.datasetRepo = 'tatsu-lab/alpaca';
    expect(stepErrors(s, 2)).toHaveProperty('field_instruction');
    s.mapping.field_instruction = 'instruction';
    s.hours = '1.5';
    expect(stepErrors(s, 3).hours).toMatch(/whole number/);
    s.hours = '0';
    expect(stepErrors(s, 3)).toHaveProperty('hours');
    s.hours = '721';
    expect(stepErrors(s, 3)).toHaveProperty('hours');
    expect(firstIncompleteStep(s)).toBe(3);
    s.hours = '2';
    expect(firstIncompleteStep(s)).toBe(4);
  });

  it('checks mapped columns against an uploaded file', () => {
    const s = uploaded([{ q: 'a', a: 'b' }]);
    expect(stepErrors(s, 2)).toHaveProperty('field_instruction');
    s.mapping.field_instruction = 'nope';
    expect(stepErrors(s, 2).field_instruction).toMatch(/no column "nope"/);
    s.mapping.field_instruction = 'q';
    expect(stepErrors(s, 2)).toEqual({});
  });

  it('limits image pair counts and requires an upload for images', () => {
    const s = initialState('image');
    s.source = 'named';
    expect(stepErrors(s, 1)).toHaveProperty('source');
    const few = uploaded([{ image_url: 'u', text_url: 't' }], 'image');
    expect(stepErrors(few, 1).upload).toMatch(/10 to 50/);
  });

  it('requires positive weights for GRPO reward functions', () => {
    const s = uploaded([{ prompt: 'p' }], 'grpo');
    expect(stepErrors(s, 2)).toHaveProperty('rewards');
    s.rewards = { r1: '-1' };
    expect(stepErrors(s, 2)).toHaveProperty('reward:r1');
    s.rewards = { r1: '0.5', r2: '' };
    expect(stepErrors(s, 2)).toEqual({});
  });
});

describe('create wizard: files', () => {
  it('reads JSON arrays and JSON Lines, and says what is wrong otherwise', () => {
    expect(parseRows('[{"a":1},{"b":2}]')).toEqual([{ a: 1 }, { b: 2 }]);
    expect(parseRows('{"a":1}\n\n{"a":2}\n')).toEqual([{ a: 1 }, { a: 2 }]);
    expect(() => parseRows('')).toThrow(/empty/);
    expect(() => parseRows('[1]')).toThrow(/Row 1 is not an object/);
    expect(() => parseRows('{"a":1}\nnope')).toThrow(/Line 2/);
    expect(() => parseRows('[{"a":')).toThrow(/Not valid JSON/);
  });

  it('lists columns in order of appearance and guesses the mapping', () => {
    const rows = [{ Instruction: 'x', output: 'y' }, { input: 'z' }];
    expect(columnsOf(rows)).toEqual(['Instruction', 'output', 'input']);
    expect(guessMapping('instruct', columnsOf(rows))).toMatchObject({ field_instruction: 'Instruction', field_input: 'input', field_output: 'output' });
    expect(guessMapping('dpo', ['prompt', 'chosen', 'rejected'])).toMatchObject({ field_prompt: 'prompt', field_chosen: 'chosen', field_rejected: 'rejected' });
    expect(guessMapping('instruct', ['instruction'], { field_instruction: 'mine' }).field_instruction).toBe('mine');
  });

  it('previews rows through the mapping', () => {
    const s = uploaded([{ instruction: 'i'.repeat(300), output: 'o' }, { instruction: 'j' }]);
    const p = previewRows(s, 5);
    expect(p).toHaveLength(2);
    expect(p[0]!.cells.map((c) => c.label)).toEqual(['Instruction', 'Output']);
    expect(p[0]!.cells[0]!.value.length).toBe(160);
    expect(p[1]!.cells[1]!.value).toBe('(missing)');
  });

  it('previews a named dataset\'s rows only while they belong to the dataset typed', () => {
    const s = initialState('instruct');
    s.datasetRepo = 'god-local/strings-instruct';
    s.mapping.field_instruction = 'instruction';
    s.namedPreview = { dataset: 'god-local/strings-instruct', columns: ['instruction', 'output'], rows: [{ instruction: 'a', output: 'b' }] };
    expect(previewRows(s, 5).map((r) => r.cells.map((c) => c.value))).toEqual([['a']]);
    s.datasetRepo = 'god-local/other';
    expect(previewRows(s, 5)).toEqual([]);
  });

  it('uploads JSON Lines as a JSON array', () => {
    const s = uploaded([{ a: 1 }]);
    s.upload!.text = '{"a":1}';
    expect(JSON.parse(uploadBody(s.upload!))).toEqual([{ a: 1 }]);
  });
});

describe('create wizard: requests', () => {
  it('sends named instruct datasets to /v1/tasks/create with the original field names', () => {
    const s = initialState();
    Object.assign(s, { model: ' Qwen/Qwen2-0.5B ', datasetRepo: 'tatsu-lab/alpaca', hours: '3', resultModelName: 'mine' });
    s.mapping = { field_instruction: 'instruction', field_output: 'output' };
    expect(buildCreateRequest(s, ACCOUNT, null)).toEqual({
      path: '/v1/tasks/create',
      body: { account_id: ACCOUNT, model_repo: 'Qwen/Qwen2-0.5B', hours_to_complete: 3, result_model_name: 'mine', ds_repo: 'tatsu-lab/alpaca', file_format: 'hf', field_instruction: 'instruction', field_input: null, field_output: 'output', field_system: null },
    });
  });

  it('picks the custom-dataset route of each type for uploads', () => {
    const paths = (['instruct', 'chat', 'dpo', 'grpo'] as const).map((kind) => {
      const s = uploaded([{ prompt: 'p', chosen: 'c', rejected: 'r', instruction: 'i' }], kind);
      s.rewards = { 'f1f1f1f1-0000-4000-8000-000000000000': '1' };
      return buildCreateRequest(s, ACCOUNT, 'http://blobs/x.json');
    });
    expect(paths.map((p) => p.path)).toEqual(['/v1/tasks/create_custom_dataset_text', '/v1/tasks/create_custom_dataset_chat', '/v1/tasks/create_custom_dataset_dpo', '/v1/tasks/create_custom_dataset_grpo']);
    for (const p of paths) expect(p.body.training_data).toBe('http://blobs/x.json');
    expect(paths[1]!.body).toMatchObject({ chat_template: 'chatml', chat_column: 'conversations' });
    expect(paths[3]!.body.reward_functions).toEqual([{ reward_id: 'f1f1f1f1-0000-4000-8000-000000000000', reward_weight: 1 }]);
    expect(() => buildCreateRequest(uploaded([{ a: 1 }]), ACCOUNT, null)).toThrow(/upload/);
  });

  it('turns an image upload into image_text_pairs through the mapping', () => {
    const rows = Array.from({ length: 12 }, (_, i) => ({ img: `http://x/${i}.png`, cap: `http://x/${i}.txt` }));
    const s = uploaded(rows, 'image');
    s.mapping = { image_url: 'img', text_url: 'cap' };
    const req = buildCreateRequest(s, ACCOUNT, null);
    expect(req.path).toBe('/v1/tasks/create_image');
    expect((req.body.image_text_pairs as unknown[])[3]).toEqual({ image_url: 'http://x/3.png', text_url: 'http://x/3.txt' });
  });
});
