import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signatureVerify, cryptoWaitReady } from '@polkadot/util-crypto';
import { Sr25519Keypair } from '../keys/keypair.ts';
import { Budget } from './budget.ts';
import { BudgetExceededError, RemoteCallError } from './errors.ts';
import { chatAnswer, FakeHttpProvider } from './fake-provider.ts';
import { backoffMs, parseRetryAfter, type RetryPolicy } from './http.ts';
import { OpenAiChatClient } from './openai.ts';

const policy: RetryPolicy = { attempts: 4, backoffMinMs: 40, backoffMaxMs: 100, retryAfterMaxMs: 2_000 };
const request = { model: 'strong-model', messages: [{ role: 'system' as const, content: 'be brief' }, { role: 'user' as const, content: 'hi' }], temperature: 0.6, maxTokens: 64 };

let fake: FakeHttpProvider;
let waits: number[];
const sleep = async (ms: number) => {
  waits.push(ms);
};

beforeEach(async () => {
  fake = await new FakeHttpProvider().start();
  waits = [];
});
afterEach(async () => {
  await fake.stop();
});

function client(extra: Partial<ConstructorParameters<typeof OpenAiChatClient>[0]> = {}) {
  return new OpenAiChatClient({ baseUrl: `${fake.baseUrl}/v1/`, apiKey: 'sk-test', timeoutMs: 2_000, retry: policy, sleep, ...extra });
}

describe('OpenAiChatClient request and answer', () => {
  it('posts the chat-completions body with the bearer key and returns choices[0].message.content', async () => {
    fake.reply(chatAnswer('hello there', { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 }));
    expect(await client().chat(request)).toBe('hello there');
    expect(fake.requests).toHaveLength(1);
    const r = fake.requests[0]!;
    expect(r.method).toBe('POST');
    expect(r.path).toBe('/v1/chat/completions');
    expect(r.headers.authorization).toBe('Bearer sk-test');
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.body).toEqual({ model: 'strong-model', messages: request.messages, temperature: 0.6, max_tokens: 64, stream: false });
  });

  it('signs with the hotkey headers when there is no API key', async () => {
    await cryptoWaitReady();
    const keypair = Sr25519Keypair.fromUri('//Alice');
    fake.reply(chatAnswer('ok'));
    await client({ apiKey: null, signer: keypair, netuid: 241 }).chat(request);
    const h = fake.requests[0]!.headers;
    expect(h.authorization).toBeUndefined();
    expect(h['validator-hotkey']).toBe(keypair.ss58Address);
    expect(h.netuid).toBe('241');
    expect(String(h.nonce)).toMatch(/^\d{19}$/);
    expect(signatureVerify(String(h.nonce), String(h.signature), keypair.ss58Address).isValid).toBe(true);
    expect(signatureVerify(`${String(h.nonce)}1`, String(h.signature), keypair.ss58Address).isValid).toBe(false);
  });

  it('reports garbage answers as bad_response naming the field, without retrying', async () => {
    fake.reply({ body: '<html>gateway</html>' }, { body: { choices: [] } }, { body: { choices: [{ message: { content: 42 } }] } }, chatAnswer(null));
    const c = client();
    await expect(c.chat(request)).rejects.toMatchObject({ kind: 'bad_response', message: expect.stringContaining('not JSON') });
    await expect(c.chat(request)).rejects.toMatchObject({ kind: 'bad_response', message: expect.stringContaining('at choices:') });
    await expect(c.chat(request)).rejects.toMatchObject({ kind: 'bad_response', message: expect.stringContaining('at choices.0.message.content') });
    await expect(c.chat(request)).rejects.toMatchObject({ kind: 'bad_response', message: expect.stringContaining('content_filter') });
    expect(fake.requests).toHaveLength(4);
  });
});

describe('OpenAiChatClient retries', () => {
  it('retries 429 and 5xx with exponential back-off, honouring Retry-After', async () => {
    fake.reply({ status: 429, headers: { 'retry-after': '1' }, body: { error: 'slow down' } }, { status: 503, body: 'busy' }, { status: 500 }, chatAnswer('finally'));
    expect(await client().chat(request)).toBe('finally');
    expect(fake.requests).toHaveLength(4);
    expect(waits).toEqual([1000, 80, 100]);
  });

  it('gives up after the attempts and throws the last status', async () => {
    fake.setDefault(() => ({ status: 502, body: 'bad gateway' }));
    const err = await client().chat(request).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteCallError);
    expect(err).toMatchObject({ kind: 'status', status: 502, attempts: 4 });
    expect(fake.requests).toHaveLength(4);
  });

  it('does not retry other 4xx answers', async () => {
    fake.reply({ status: 401, body: { error: { message: 'bad key' } } });
    await expect(client().chat(request)).rejects.toMatchObject({ kind: 'status', status: 401, attempts: 1 });
    expect(fake.requests).toHaveLength(1);
  });

  it('fails at once when Retry-After is longer than it will wait', async () => {
    fake.reply({ status: 429, headers: { 'retry-after': '3600' } });
    await expect(client().chat(request)).rejects.toMatchObject({ kind: 'rate_limited', status: 429, details: { retryAfterMs: 3_600_000 } });
    expect(fake.requests).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it('times out a slow attempt and retries it', async () => {
    fake.reply({ delayMs: 1_500, ...chatAnswer('too late') }, chatAnswer('in time'));
    expect(await client({ timeoutMs: 300 }).chat(request)).toBe('in time');
    expect(waits).toEqual([40]);
  });

  it('reports a timeout when every attempt is slow', async () => {
    fake.setDefault(() => ({ delayMs: 1_000, ...chatAnswer('late') }));
    await expect(client({ timeoutMs: 150, retry: { ...policy, attempts: 2 } }).chat(request)).rejects.toMatchObject({ kind: 'timeout', attempts: 2 });
  });

  it('reports dropped connections as transport failures', async () => {
    fake.setDefault(() => ({ drop: true }));
    await expect(client({ retry: { ...policy, attempts: 2 } }).chat(request)).rejects.toMatchObject({ kind: 'transport', attempts: 2 });
    expect(fake.requests).toHaveLength(2);
  });

  it('stops at once when the caller aborts', async () => {
    fake.setDefault(() => ({ delayMs: 1_000, ...chatAnswer('late') }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('shutting down')), 100);
    await expect(client().chat(request, controller.signal)).rejects.toThrow('shutting down');
    expect(fake.requests).toHaveLength(1);
  });
});

describe('OpenAiChatClient budgets', () => {
  it('refuses requests past the request budget with a typed error, counting retries', async () => {
    const budget = new Budget('llm process', { maxRequests: 3 });
    fake.reply({ status: 500 }, chatAnswer('a'), chatAnswer('b'));
    const c = client({ budgets: [budget] });
    expect(await c.chat(request)).toBe('a');
    expect(await c.chat(request)).toBe('b');
    const err = await c.chat(request).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BudgetExceededError);
    expect(err).toMatchObject({ budget: 'llm process', resource: 'requests', limit: 3, used: 3 });
    expect(fake.requests).toHaveLength(3);
  });

  it('charges usage.total_tokens, estimates when usage is missing, and stops past the token cap', async () => {
    const budget = new Budget('llm process', { maxTokens: 50 });
    fake.reply(chatAnswer('x', { prompt_tokens: 30, completion_tokens: 10, total_tokens: 40 }), chatAnswer('y'.repeat(40)), chatAnswer('never'));
    const c = client({ budgets: [budget] });
    await c.chat(request);
    expect(budget.usage()).toEqual({ requests: 1, tokens: 40 });
    await c.chat(request);
    expect(budget.usage().tokens).toBe(40 + Math.ceil(('be brief'.length + 'hi'.length + 40) / 4));
    await expect(c.chat(request)).rejects.toMatchObject({ name: 'BudgetExceededError', resource: 'tokens' });
    expect(fake.requests).toHaveLength(2);
  });

  it('a scoped client charges the task budget and the process budget', async () => {
    const proc = new Budget('llm process', { maxRequests: 10 });
    const task = new Budget('llm task t1', { maxRequests: 1 });
    fake.setDefault(() => chatAnswer('ok', { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }));
    const base = client({ budgets: [proc] });
    const scoped = base.scoped(task);
    await scoped.chat(request);
    await expect(scoped.chat(request)).rejects.toMatchObject({ budget: 'llm task t1' });
    await base.chat(request);
    expect(proc.usage()).toEqual({ requests: 2, tokens: 4 });
    expect(task.usage()).toEqual({ requests: 1, tokens: 2 });
  });
});

describe('retry helpers', () => {
  it('parses Retry-After seconds and dates', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('0.5')).toBe(500);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeNull();
    expect(parseRetryAfter(null)).toBeNull();
  });

  it('doubles the back-off up to the cap', () => {
    expect([1, 2, 3, 4].map((n) => backoffMs({ attempts: 5, backoffMinMs: 4000, backoffMaxMs: 10_000, retryAfterMaxMs: 0 }, n))).toEqual([4000, 8000, 10_000, 10_000]);
  });
});
