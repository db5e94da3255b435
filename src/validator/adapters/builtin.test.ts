import { describe, expect, it } from 'vitest';
import { generateDpoRows } from '../prep/synthetic.ts';
import { prepRules } from '../../core/rules/prep.ts';
import { LlmUnsupportedError } from '../../llm/errors.ts';
import { BuiltinDatasetSource, TemplateLlm } from './builtin.ts';
import { mathRandom } from '../rng.ts';
import type { LlmClient } from '../ports.ts';

describe('BuiltinDatasetSource', () => {
  it('keeps a built-in dataset for the next task: same rows, a fresh array, rows frozen against its readers', async () => {
    const source = new BuiltinDatasetSource(undefined, undefined, 2);
    const a = await source.load('god-local/strings-instruct@2500', 'hf');
    const b = await source.load('god-local/strings-instruct@2500', 'hf');
    expect(b).toEqual(a);
    expect(b).not.toBe(a);
    expect(b[0]).toBe(a[0]);
    b.pop();
    expect((await source.load('god-local/strings-instruct@2500', 'hf')).length).toBe(2500);
    expect(() => {
      (a[0] as Record<string, unknown>).instruction = 'changed';
    }).toThrow(TypeError);
  });

  it('evicts the least recently used dataset beyond its capacity', async () => {
    const source = new BuiltinDatasetSource(undefined, undefined, 1);
    const first = await source.load('god-local/strings-instruct@2500', 'hf');
    await source.load('god-local/strings-instruct@2600', 'hf');
    const again = await source.load('god-local/strings-instruct@2500', 'hf');
    expect(again).toEqual(first);
    expect(again[0]).not.toBe(first[0]);
  });
});

describe('synthetic DPO with a client that cannot answer', () => {
  it('stops at the first unanswerable prompt instead of retrying every prompt', async () => {
    let calls = 0;
    const template = new TemplateLlm();
    const counting: LlmClient = {
      chat: async (request) => {
        calls++;
        return template.chat(request);
      },
    };
    const train = Array.from({ length: 200 }, (_, i) => ({ prompt: `p${i}`, chosen: 'c', rejected: 'r' }));
    await expect(generateDpoRows(train, { llm: counting, rules: prepRules, random: mathRandom, now: () => Date.now() })).rejects.toThrow(LlmUnsupportedError);
    // One batch at most: every prompt of it reformulates (answerable), then asks once for an answer (not).
    expect(calls).toBeLessThanOrEqual(2 * prepRules.synthGenBatchSize);
  });
});
