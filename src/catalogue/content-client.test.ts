import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { signatureVerify } from '@polkadot/util-crypto';
import { initCrypto, Sr25519Keypair } from '../keys/keypair.ts';
import { FakeHttpProvider } from '../llm/fake-provider.ts';
import type { RetryPolicy } from '../llm/http.ts';
import { ContentServiceClient, suggestColumnsPath } from './content-client.ts';

const retry: RetryPolicy = { attempts: 3, backoffMinMs: 10, backoffMaxMs: 40, retryAfterMaxMs: 1000 };
let fake: FakeHttpProvider;
let keypair: Sr25519Keypair;
let waits: number[];

beforeAll(async () => {
  await initCrypto();
  keypair = Sr25519Keypair.fromUri('//Alice');
});
beforeEach(async () => {
  fake = await new FakeHttpProvider().start();
  waits = [];
});
afterEach(async () => {
  await fake.stop();
});

function client(extra: Partial<ConstructorParameters<typeof ContentServiceClient>[0]> = {}) {
  return new ContentServiceClient({
    baseUrl: `${fake.baseUrl}/`,
    signer: keypair,
    netuid: 56,
    timeoutMs: 1000,
    retry,
    fastRetry: { attempts: 2, backoffMinMs: 1, backoffMaxMs: 1, retryAfterMaxMs: 1000 },
    sleep: async (ms) => {
      waits.push(ms);
    },
    ...extra,
  });
}

function expectSigned(i: number) {
  const h = fake.requests[i]!.headers;
  expect(h['validator-hotkey']).toBe(keypair.ss58Address);
  expect(h.netuid).toBe('56');
  expect(signatureVerify(String(h.nonce), String(h.signature), keypair.ss58Address).isValid).toBe(true);
}

describe('ContentServiceClient', () => {
  it('GETs /models/random with the parameter range, signed', async () => {
    fake.reply({ body: [{ model_id: 'Qwen/Qwen2.5-0.5B', extra_field: 1 }, { model_id: 'unsloth/Llama-3.2-1B', params: 1_240_000_000 }] });
    const models = await client().randomModels(0.1e9, 12e9);
    expect(models).toEqual([
      { model_id: 'Qwen/Qwen2.5-0.5B', params: null },
      { model_id: 'unsloth/Llama-3.2-1B', params: 1_240_000_000 },
    ]);
    const r = fake.requests[0]!;
    expect(r.method).toBe('GET');
    expect(r.path).toBe('/models/random');
    expect(Object.fromEntries(r.query)).toEqual({ min_params: '100000000', max_params: '12000000000' });
    expectSigned(0);
  });

  it('GETs /datasets/random?dpo=true|false and normalises the datasets', async () => {
    fake.reply(
      { body: [{ dataset_id: 'org/instruct', num_rows: 52_000, num_bytes_parquet_files: 1234 }] },
      { body: [{ dataset_id: 'org/prefs', num_rows: 9000, dpo_available: true, dpo_prompt_column: 'q', dpo_accepted_column: 'good', dpo_rejected_column: 'bad' }] },
    );
    const c = client();
    expect(await c.randomDatasets(false)).toEqual([
      { dataset_id: 'org/instruct', num_rows: 52_000, num_bytes_parquet_files: 1234, dpo_available: false, dpo_prompt_column: null, dpo_accepted_column: null, dpo_rejected_column: null },
    ]);
    expect((await c.randomDatasets(true))[0]).toMatchObject({ dataset_id: 'org/prefs', dpo_available: true, dpo_prompt_column: 'q', dpo_accepted_column: 'good', dpo_rejected_column: 'bad' });
    expect(fake.requests.map((r) => r.query.get('dpo'))).toEqual(['false', 'true']);
  });

  it('asks column suggestions at /dataset/{org/name}/columns/suggest with the fast retry', async () => {
    expect(suggestColumnsPath('org/my data')).toBe('/dataset/org/my%20data/columns/suggest');
    fake.reply({ status: 502 }, { body: { field_instruction: 'question', field_output: 'answer' } });
    expect(await client().suggestColumns('tatsu-lab/alpaca')).toEqual({ field_instruction: 'question', field_input: null, field_output: 'answer' });
    expect(fake.requests.map((r) => r.path)).toEqual(['/dataset/tatsu-lab/alpaca/columns/suggest', '/dataset/tatsu-lab/alpaca/columns/suggest']);
    expect(waits).toEqual([1]);
    expectSigned(1);
  });

  it('reads /images/models', async () => {
    fake.reply({ body: { models: [{ model_id: 'stabilityai/sdxl', model_type: 'sdxl' }, { model_id: 'bfl/flux', model_type: 'flux' }] } });
    expect(await client().imageModels()).toEqual([
      { model_id: 'stabilityai/sdxl', model_type: 'sdxl' },
      { model_id: 'bfl/flux', model_type: 'flux' },
    ]);
  });

  it('names the bad field of a garbage answer', async () => {
    fake.reply({ body: [{ dataset_id: 'x', num_rows: 'many' }] }, { body: { models: [{ model_id: 'm', model_type: 'dalle' }] } }, { body: { model_id: 'not a list' } });
    const c = client();
    await expect(c.randomDatasets(false)).rejects.toMatchObject({ kind: 'bad_response', message: expect.stringContaining('at 0.num_rows') });
    await expect(c.imageModels()).rejects.toMatchObject({ kind: 'bad_response', message: expect.stringContaining('at models.0.model_type') });
    await expect(c.randomModels(0, 1)).rejects.toMatchObject({ kind: 'bad_response', message: expect.stringContaining('(root)') });
  });

  it('retries server errors with back-off and gives up after the attempts', async () => {
    fake.setDefault(() => ({ status: 503, body: 'maintenance' }));
    await expect(client().randomModels(0, 1)).rejects.toMatchObject({ kind: 'status', status: 503, attempts: 3 });
    expect(waits).toEqual([10, 20]);
  });

  it('sends no auth headers without a signer', async () => {
    fake.reply({ body: [] });
    await client({ signer: null }).randomModels(0, 1);
    expect(fake.requests[0]!.headers['validator-hotkey']).toBeUndefined();
    expect(fake.requests[0]!.headers.signature).toBeUndefined();
  });
});
