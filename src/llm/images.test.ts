import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seededRandom } from '../validator/rng.ts';
import type { ChatMessage } from '../validator/ports.ts';
import { Budget } from './budget.ts';
import { chatAnswer, FakeHttpProvider, type RecordedRequest } from './fake-provider.ts';
import type { RetryPolicy } from './http.ts';
import { imageExtension, OpenAiImageClient } from './images.ts';
import { OpenAiChatClient } from './openai.ts';
import { StyleImageGenerator, type StyleSynthSettings } from './style-synth.ts';

const policy: RetryPolicy = { attempts: 3, backoffMinMs: 10, backoffMaxMs: 20, retryAfterMaxMs: 1_000 };
const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 1, 2, 3]);
const JPEG = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70]);
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

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

function images(extra: Partial<ConstructorParameters<typeof OpenAiImageClient>[0]> = {}) {
  return new OpenAiImageClient({ baseUrl: `${fake.baseUrl}/v1`, apiKey: 'img-key', timeoutMs: 2_000, retry: policy, sleep, ...extra });
}

describe('OpenAiImageClient', () => {
  it('posts the images/generations body and decodes b64_json', async () => {
    fake.reply({ body: { created: 1, data: [{ b64_json: b64(PNG), revised_prompt: 'a fox, watercolor' }] } });
    const image = await images().generate({ prompt: 'a fox', model: 'flux-schnell', size: '512x768' });
    expect(image).toEqual({ bytes: PNG, ext: 'png', revisedPrompt: 'a fox, watercolor' });
    const r = fake.requests[0]!;
    expect(r.path).toBe('/v1/images/generations');
    expect(r.headers.authorization).toBe('Bearer img-key');
    expect(r.body).toEqual({ model: 'flux-schnell', prompt: 'a fox', n: 1, size: '512x768', response_format: 'b64_json' });
  });

  it('retries throttling and server errors, then succeeds', async () => {
    fake.reply({ status: 429, headers: { 'retry-after': '0.25' } }, { status: 500 }, { body: { data: [{ b64_json: b64(JPEG) }] } });
    const image = await images().generate({ prompt: 'p', model: 'm', size: '64x64' });
    expect(image.ext).toBe('jpg');
    expect(image.revisedPrompt).toBeNull();
    expect(waits).toEqual([250, 20]);
  });

  it('rejects garbage: no data, bad base64, bytes that are no PNG/JPEG', async () => {
    fake.reply({ body: { data: [] } }, { body: { data: [{ b64_json: '%%%' }] } }, { body: { data: [{ b64_json: b64(new TextEncoder().encode('GIF89a....')) }] } }, { body: { data: [{ url: 'https://x/y.png' }] } });
    const c = images();
    await expect(c.generate({ prompt: 'p', model: 'm', size: '8x8' })).rejects.toMatchObject({ kind: 'bad_response', message: expect.stringContaining('at data') });
    await expect(c.generate({ prompt: 'p', model: 'm', size: '8x8' })).rejects.toMatchObject({ kind: 'bad_response', message: expect.stringContaining('data.0.b64_json') });
    await expect(c.generate({ prompt: 'p', model: 'm', size: '8x8' })).rejects.toMatchObject({ kind: 'bad_response', message: expect.stringContaining('not a PNG or JPEG') });
    await expect(c.generate({ prompt: 'p', model: 'm', size: '8x8' })).rejects.toMatchObject({ kind: 'bad_response', message: expect.stringContaining('data.0.b64_json') });
    await expect(c.generate({ prompt: 'p', model: 'm', size: 'big' })).rejects.toThrow('WIDTHxHEIGHT');
    expect(fake.requests).toHaveLength(4);
  });

  it('times out and stops at the request budget', async () => {
    fake.setDefault(() => ({ delayMs: 800, body: { data: [{ b64_json: b64(PNG) }] } }));
    const budget = new Budget('images process', { maxRequests: 3 });
    const c = images({ timeoutMs: 100, budgets: [budget] });
    await expect(c.generate({ prompt: 'p', model: 'm', size: '8x8' })).rejects.toMatchObject({ kind: 'timeout', attempts: 3 });
    await expect(c.generate({ prompt: 'p', model: 'm', size: '8x8' })).rejects.toMatchObject({ name: 'BudgetExceededError', resource: 'requests', used: 3 });
  });

  it('recognises image magic bytes', () => {
    expect(imageExtension(PNG)).toBe('png');
    expect(imageExtension(JPEG)).toBe('jpg');
    expect(imageExtension(new Uint8Array([1, 2, 3]))).toBeNull();
  });
});

const settings: StyleSynthSettings = {
  promptModel: 'prompt-model',
  promptTemperature: 0.4,
  promptMaxTokens: 512,
  styleCombineProbability: 0.5,
  styleTries: 3,
  imageModel: 'img-model',
  imageSize: '64x64',
};

/** One fake provider serving both APIs, as a gateway would. */
function gateway(chat: (messages: ChatMessage[]) => string, render: (r: RecordedRequest) => { status?: number; body?: unknown }) {
  fake.setDefault((r) => {
    if (r.path === '/v1/chat/completions') return chatAnswer(chat((r.body as { messages: ChatMessage[] }).messages));
    return render(r);
  });
}

function generator(random = seededRandom(1), s: StyleSynthSettings = settings, budget?: Budget) {
  const llm = new OpenAiChatClient({ baseUrl: `${fake.baseUrl}/v1`, timeoutMs: 2_000, retry: policy, sleep });
  return new StyleImageGenerator({ llm, images: images(budget ? { budgets: [budget] } : {}), random, settings: s, styles: ['Watercolor', 'Pixel Art', 'Cubism'] });
}

describe('StyleImageGenerator', () => {
  it('writes prompts with the LLM, renders each, captions with the (revised) prompt', async () => {
    gateway(
      () => '<think>hmm</think>Here: {"prompts": ["a lighthouse in Pixel Art", "a cat in Pixel Art", "a boat in Pixel Art", "extra"]}',
      (r) => ({ body: { data: [{ b64_json: b64(PNG), ...((r.body as { prompt: string }).prompt === 'a cat in Pixel Art' ? { revised_prompt: 'a grey cat, pixel art' } : {}) }] } }),
    );
    const out = await generator(seededRandom(1), { ...settings, styleCombineProbability: 0 }).generate(3);
    const chats = fake.requests.filter((r) => r.path === '/v1/chat/completions');
    expect(chats).toHaveLength(1);
    expect(chats[0]!.body).toMatchObject({ model: 'prompt-model', temperature: 0.4, max_tokens: 512 });
    expect(JSON.stringify(chats[0]!.body)).toContain(`Write 3 different prompts in the style: ${out.prefix}`);
    expect(out.pairs.map((p) => p.caption)).toEqual(['a lighthouse in Pixel Art', 'a grey cat, pixel art', 'a boat in Pixel Art']);
    expect(out.pairs.every((p) => p.ext === 'png' && p.image.length === PNG.length)).toBe(true);
    const renders = fake.requests.filter((r) => r.path === '/v1/images/generations');
    expect(renders.map((r) => (r.body as { model: string; size: string }).model + ' ' + (r.body as { size: string }).size)).toEqual(Array(3).fill('img-model 64x64'));
  });

  it('combines two styles only after the LLM calls them compatible', async () => {
    let verdicts = 0;
    gateway(
      (messages) => {
        const user = messages.find((m) => m.role === 'user')!.content;
        if (user.includes('"compatible"')) return ++verdicts < 2 ? '{"compatible": false}' : '{"compatible": true}';
        return '{"prompts": ["one", "two"]}';
      },
      () => ({ body: { data: [{ b64_json: b64(PNG) }] } }),
    );
    const out = await generator(seededRandom(7), { ...settings, styleCombineProbability: 1 }).generate(2);
    expect(verdicts).toBe(2);
    expect(out.prefix).toMatch(/^[A-Za-z ]+_and_[A-Za-z ]+$/);
    expect(out.pairs).toHaveLength(2);
  });

  it('fails when no compatible pair is found within the tries', async () => {
    gateway(() => '{"compatible": false}', () => ({ status: 500 }));
    await expect(generator(seededRandom(3), { ...settings, styleCombineProbability: 1 }).generate(2)).rejects.toThrow('no compatible style pair in 3 tries');
  });

  it('rejects a prompt answer of the wrong shape', async () => {
    gateway(() => '{"prompts": "just one string"}', () => ({ status: 500 }));
    await expect(generator(seededRandom(3), { ...settings, styleCombineProbability: 0 }).generate(2)).rejects.toThrow('prompts');
  });

  it('skips a failed rendering but stops on an exhausted budget', async () => {
    let n = 0;
    gateway(
      () => '{"prompts": ["a", "b", "c"]}',
      () => (++n === 1 ? { status: 400, body: 'unsafe prompt' } : { body: { data: [{ b64_json: b64(PNG) }] } }),
    );
    const out = await generator(seededRandom(2), { ...settings, styleCombineProbability: 0 }).generate(3);
    expect(out.pairs.map((p) => p.caption)).toEqual(['b', 'c']);
    const budget = new Budget('images process', { maxRequests: 1 });
    await expect(generator(seededRandom(2), { ...settings, styleCombineProbability: 0 }, budget).generate(3)).rejects.toMatchObject({ name: 'BudgetExceededError' });
  });
});
