import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileCatalogue, loadCatalogueFile, parseCatalogue } from './file.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'god-catalogue-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sample = {
  models: [
    { model_id: 'Qwen/Qwen2.5-0.5B-Instruct', params: 494_032_768 },
    { model_id: 'unsloth/Llama-3.2-3B', params: 3_210_000_000 },
    { model_id: 'Qwen/Qwen2.5-32B', params: 32_800_000_000 },
  ],
  datasets: [
    { dataset_id: 'yahma/alpaca-cleaned', num_rows: 51_760, columns: { field_instruction: 'instruction', field_input: 'input', field_output: 'output' } },
    { dataset_id: 'Intel/orca_dpo_pairs', num_rows: 12_859, dpo_prompt_column: 'question', dpo_accepted_column: 'chosen', dpo_rejected_column: 'rejected' },
  ],
  image_models: [{ model_id: 'stabilityai/stable-diffusion-xl-base-1.0', model_type: 'sdxl' }],
};

describe('catalogue file', () => {
  it('serves models by parameter range, datasets by kind, suggestions and image models', async () => {
    const path = join(dir, 'catalogue.json');
    await writeFile(path, JSON.stringify(sample));
    const c = await FileCatalogue.open(path);
    expect((await c.randomModels(0.1e9, 12e9)).map((m) => m.model_id)).toEqual(['Qwen/Qwen2.5-0.5B-Instruct', 'unsloth/Llama-3.2-3B']);
    expect((await c.randomModels(12e9, 71e9)).map((m) => m.model_id)).toEqual(['Qwen/Qwen2.5-32B']);
    expect(await c.randomModels(100e9, 200e9)).toEqual([]);
    expect((await c.randomDatasets(false)).map((d) => d.dataset_id)).toEqual(['yahma/alpaca-cleaned']);
    expect(await c.randomDatasets(true)).toEqual([
      { dataset_id: 'Intel/orca_dpo_pairs', num_rows: 12_859, num_bytes_parquet_files: null, dpo_available: true, dpo_prompt_column: 'question', dpo_accepted_column: 'chosen', dpo_rejected_column: 'rejected' },
    ]);
    expect(await c.suggestColumns('yahma/alpaca-cleaned')).toEqual({ field_instruction: 'instruction', field_input: 'input', field_output: 'output' });
    expect(await c.suggestColumns('Intel/orca_dpo_pairs')).toBeNull();
    expect(await c.imageModels()).toEqual(sample.image_models);
  });

  it('reads YAML the same as JSON', async () => {
    const path = join(dir, 'catalogue.yaml');
    await writeFile(
      path,
      [
        'models:',
        '  - model_id: Qwen/Qwen2.5-0.5B-Instruct',
        '    params: 494032768',
        'datasets:',
        '  - dataset_id: yahma/alpaca-cleaned',
        '    num_rows: 51760',
        '    columns: { field_instruction: instruction, field_output: output }',
      ].join('\n'),
    );
    const parsed = await loadCatalogueFile(path);
    expect(parsed.models).toEqual([sample.models[0]]);
    expect(parsed.datasets[0]!.columns).toEqual({ field_instruction: 'instruction', field_output: 'output' });
    expect(parsed.image_models).toEqual([]);
  });

  it('names the path of every mistake', async () => {
    const bad = (v: unknown) => parseCatalogue(JSON.stringify(v), 'json', 'cat.json');
    await expect(bad({ models: [{ model_id: 'a/b', params: -1 }] })).rejects.toThrow('cat.json: models.0.params');
    await expect(bad({ models: [{ model_id: 'a/b', parms: 5 }] })).rejects.toThrow(/models\.0\.params.*|models\.0: Unrecognized key/);
    await expect(bad({ datasets: [{ dataset_id: 'a/b', num_rows: 10 }] })).rejects.toThrow('datasets.0: a dataset needs columns');
    await expect(bad({ datasets: [{ dataset_id: 'a/b', num_rows: 10, dpo_prompt_column: 'p' }] })).rejects.toThrow('need all of dpo_prompt_column');
    await expect(bad({ image_models: [{ model_id: 'x/y', model_type: 'dalle' }] })).rejects.toThrow('image_models.0.model_type');
    await expect(bad({ models: [{ model_id: 'not an id!', params: 1 }] })).rejects.toThrow('models.0.model_id: expected a Hugging Face id');
    await expect(bad({ models: [sample.models[0], sample.models[0]] })).rejects.toThrow('models.1: duplicate id');
    await expect(bad({ modles: [] })).rejects.toThrow('(root)');
    await expect(parseCatalogue('{ nope', 'json', 'x.json')).rejects.toThrow('x.json: not valid JSON');
    await expect(parseCatalogue('a: [1, 2', 'yaml', 'x.yaml')).rejects.toThrow('x.yaml: not valid YAML');
    await expect(loadCatalogueFile(join(dir, 'missing.json'))).rejects.toThrow('cannot read catalogue');
  });
});
