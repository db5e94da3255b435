/**
 * The synthetic scheduler drawing from the content-service client (a fake service on loopback) and from a
 * catalogue file: the created tasks carry the drawn model, datasets and column names.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock/index.ts';
import { openTestDb, type TestDb } from '../db/testing.ts';
import { initCrypto, Sr25519Keypair } from '../keys/keypair.ts';
import { FakeHttpProvider } from '../llm/fake-provider.ts';
import { createSyntheticTask, synthPass } from '../validator/synth/scheduler.ts';
import { testConfig, testContext } from '../../test/validator/support/context.ts';
import { catalogueFromConfig } from './index.ts';
import { FileCatalogue, parseCatalogue } from './file.ts';

let t: TestDb;
let fake: FakeHttpProvider;
let keypair: Sr25519Keypair;
const T0 = Date.parse('2025-08-01T00:00:00Z');

beforeAll(async () => {
  await initCrypto();
  keypair = Sr25519Keypair.fromUri('//Validator');
});
beforeEach(async () => {
  t = await openTestDb('pglite');
  fake = await new FakeHttpProvider().start();
});
afterEach(async () => {
  await fake.stop();
  await t.cleanup();
});
afterAll(() => {});

const datasets = [
  { dataset_id: 'org/primary', num_rows: 30_000 },
  { dataset_id: 'org/second', num_rows: 60_000 },
  { dataset_id: 'org/unusable', num_rows: 5_000 },
];

function contentService() {
  fake.setDefault((r) => {
    if (r.path === '/models/random') return { body: [{ model_id: 'Qwen/Qwen2.5-1.5B' }] };
    if (r.path === '/datasets/random') return { body: r.query.get('dpo') === 'true' ? [] : datasets };
    if (r.path === '/dataset/org/unusable/columns/suggest') return { status: 422, body: { detail: 'no text columns' } };
    if (r.path.endsWith('/columns/suggest')) return { body: { field_instruction: 'prompt', field_output: 'response' } };
    return { status: 404 };
  });
}

describe('synthetic scheduler with synthetic.catalogue', () => {
  it('content: creates an Instruct task from the service\'s model, datasets and column suggestion', async () => {
    contentService();
    const config = testConfig({ services: { contentBaseUrl: fake.baseUrl }, synthetic: { catalogue: 'content', contentAttempts: 1 }, synth: { minDatasetsForAugmentation: 2, maxDatasetsForAugmentation: 2, bigModelProbability: 0 } });
    const ctx = testContext({ db: t.db, clock: new ManualClock(T0), keypair, config, seed: 3 });
    ctx.content = await catalogueFromConfig(config, { builtin: () => ctx.content, signer: keypair, netuid: 56 });
    const task = await createSyntheticTask(ctx, 'InstructTextTask');
    expect(task).toMatchObject({ task_type: 'InstructTextTask', model_id: 'Qwen/Qwen2.5-1.5B', is_organic: false, field_instruction: 'prompt', field_output: 'response', field_input: null, file_format: 'hf' });
    const ds = (task.ds as string).split(',');
    expect(ds).toHaveLength(2);
    expect(new Set(ds)).toEqual(new Set(['org/primary', 'org/second']));
    const models = fake.requests.find((r) => r.path === '/models/random')!;
    expect(Object.fromEntries(models.query)).toEqual({ min_params: '100000000', max_params: '12000000000' });
    expect(models.headers['validator-hotkey']).toBe(keypair.ss58Address);
  });

  it('content: a service that is down makes the pass fail (and retry next time), not crash', async () => {
    fake.setDefault(() => ({ status: 503 }));
    const config = testConfig({ services: { contentBaseUrl: fake.baseUrl }, synthetic: { catalogue: 'content', contentAttempts: 1 } });
    const ctx = testContext({ db: t.db, clock: new ManualClock(T0), keypair, config });
    ctx.content = await catalogueFromConfig(config, { builtin: () => ctx.content, netuid: 56 });
    const outcome = await synthPass(ctx, 'DpoTask');
    expect(outcome).toMatchObject({ failed: expect.stringContaining('answered 503') });
  });

  it('file: creates a DPO task from the catalogue\'s DPO dataset', async () => {
    const catalogue = await parseCatalogue(
      JSON.stringify({
        models: [{ model_id: 'unsloth/Llama-3.2-1B', params: 1_240_000_000 }],
        datasets: [{ dataset_id: 'Intel/orca_dpo_pairs', num_rows: 12_859, dpo_prompt_column: 'question', dpo_accepted_column: 'chosen', dpo_rejected_column: 'rejected' }],
      }),
      'json',
      'test',
    );
    const config = testConfig({ synth: { bigModelProbability: 0 } });
    const ctx = testContext({ db: t.db, clock: new ManualClock(T0), keypair, config });
    ctx.content = new FileCatalogue(catalogue);
    const task = await createSyntheticTask(ctx, 'DpoTask');
    expect(task).toMatchObject({ task_type: 'DpoTask', model_id: 'unsloth/Llama-3.2-1B', ds: 'Intel/orca_dpo_pairs', field_prompt: 'question', field_chosen: 'chosen', field_rejected: 'rejected' });
    expect(task.hours_to_complete).toBeGreaterThanOrEqual(3);
    expect(task.hours_to_complete).toBeLessThanOrEqual(6);
  });

  it('file: a missing catalogueFile setting is refused at start', async () => {
    await expect(catalogueFromConfig(testConfig({ synthetic: { catalogue: 'file' } }), { builtin: () => null as never, netuid: 56 })).rejects.toThrow('synthetic.catalogueFile is not set');
  });
});
