/** The prep code's synthetic eval set built through the real client and a fake provider on loopback. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prepRules } from '../core/rules/prep.ts';
import { buildSyntheticEvalSet } from '../validator/prep/synthetic.ts';
import { seededRandom } from '../validator/rng.ts';
import { loadConfig } from '../config/load.ts';
import { chatAnswer, FakeHttpProvider } from './fake-provider.ts';
import { llmFromConfig, perTaskLlm } from './index.ts';
import { OpenAiChatClient } from './openai.ts';
import { extractJsonObject } from '../validator/prep/prompts.ts';

let fake: FakeHttpProvider;
beforeEach(async () => {
  fake = await new FakeHttpProvider().start();
});
afterEach(async () => {
  await fake.stop();
});

const rows = Array.from({ length: 40 }, (_, i) => ({ instruct: `question ${i}`, output: `answer ${i}` }));
const rules = { ...prepRules, maxSynthDataPoints: 12, synthExamplesFromTrain: 5 };

/** A provider that paraphrases the data point in the prompt by upper-casing its values. */
function paraphraser() {
  fake.setDefault((r) => {
    const messages = (r.body as { messages: { role: string; content: string }[] }).messages;
    const row = extractJsonObject(messages.find((m) => m.role === 'user')!.content)!;
    const out = Object.fromEntries(Object.entries(row).map(([k, v]) => [k, String(v).toUpperCase()]));
    return chatAnswer(`<think>rewrite</think>${JSON.stringify(out)}`, { prompt_tokens: 50, completion_tokens: 20, total_tokens: 70 });
  });
}

function config(env: Record<string, string>) {
  return loadConfig({ env: { GOD_SERVICES__LLM_BASE_URL: `${fake.baseUrl}/v1`, NINETEEN_API_KEY: 'k', ...env } }).config;
}

describe('synthetic eval set through the OpenAI-compatible client', () => {
  it('synthetic.llm=openai sends the strong model requests and uses the paraphrases', async () => {
    paraphraser();
    const cfg = config({ GOD_SYNTHETIC__LLM: 'openai' });
    const llm = llmFromConfig(cfg, () => {
      throw new Error('builtin must not be used');
    });
    expect(llm).toBeInstanceOf(OpenAiChatClient);
    const out = await buildSyntheticEvalSet('GrpoTask', rows, rows, { llm: perTaskLlm(llm, cfg, 't1'), rules, random: seededRandom(1), now: () => 0 });
    expect(out.source).toBe('llm');
    expect(out.synth).toHaveLength(12);
    expect(out.synth.every((r) => String(r.instruct).startsWith('QUESTION '))).toBe(true);
    expect(fake.requests).toHaveLength(12);
    expect(fake.requests[0]!.body).toMatchObject({ model: prepRules.llmStrongModel, temperature: 0.6, max_tokens: 5024, stream: false });
    expect(fake.requests[0]!.headers.authorization).toBe('Bearer k');
  });

  it('a task budget cuts that task\'s synthetic set short; the next task starts afresh', async () => {
    paraphraser();
    const cfg = config({ GOD_SYNTHETIC__LLM: 'openai', GOD_SYNTHETIC__LLM_TASK_MAX_REQUESTS: '4' });
    const llm = llmFromConfig(cfg, () => {
      throw new Error('unused');
    });
    const deps = (id: string) => ({ llm: perTaskLlm(llm, cfg, id), rules, random: seededRandom(1), now: () => 0 });
    const first = await buildSyntheticEvalSet('GrpoTask', rows, rows, deps('t1'));
    // 4 calls answered, the other 8 rows refused by the budget without a request (fewer than 10 errors in a row)
    expect(first.source).toBe('llm');
    expect(first.synth).toHaveLength(4);
    expect(fake.requests).toHaveLength(4);
    await buildSyntheticEvalSet('GrpoTask', rows, rows, deps('t2'));
    expect(fake.requests).toHaveLength(8);
  });

  it('the process budget caps all tasks together', async () => {
    paraphraser();
    const cfg = config({ GOD_SYNTHETIC__LLM: 'openai', GOD_SYNTHETIC__LLM_MAX_TOKENS: '300' });
    const llm = llmFromConfig(cfg, () => {
      throw new Error('unused');
    });
    await buildSyntheticEvalSet('GrpoTask', rows, rows, { llm: perTaskLlm(llm, cfg, 'a'), rules, random: seededRandom(1), now: () => 0 });
    await buildSyntheticEvalSet('GrpoTask', rows, rows, { llm: perTaskLlm(llm, cfg, 'b'), rules, random: seededRandom(1), now: () => 0 });
    // 70 tokens a call: the fifth call passes (280 < 300) and overshoots, nothing after it is sent
    expect(fake.requests).toHaveLength(5);
  });

  it('synthetic.llm=builtin keeps the built-in engine', () => {
    const sentinel = { chat: async () => 'x' };
    expect(llmFromConfig(config({}), () => sentinel)).toBe(sentinel);
  });
});
