import { describe, expect, it } from 'vitest';
import { SPECIAL_TOKENS, decode, encode } from '../tokenizer.ts';
import { makeBatch, usableExamples } from './batch.ts';
import { isHeldOut, proceduralInstruct } from './procedural.ts';
import { encodeChat, encodeInstruct, formatInstructPrompt, promptIds } from './template.ts';

describe('tokenizer', () => {
  it('round-trips UTF-8 text through bytes and renders special tokens by name', () => {
    const text = 'héllo, 世界!';
    expect(decode(encode(text))).toBe(text);
    expect(encode('A')).toEqual([65]);
    expect(decode([SPECIAL_TOKENS.user, 104, 105, SPECIAL_TOKENS.end], false)).toBe('<|user|>hi<|end|>');
    expect(decode([SPECIAL_TOKENS.user, 104, 105])).toBe('hi');
  });
});

describe('templates', () => {
  it('formats instruct prompts like the original defaults', () => {
    expect(formatInstructPrompt({ instruct: 'upper', input: 'abc', output: 'ABC' }).prompt).toBe('upper abc');
    expect(formatInstructPrompt({ instruct: 'say hi', input: '', output: 'hi' }).prompt).toBe('say hi');
    const custom = formatInstructPrompt({ instruct: 'a', input: 'b', output: 'c', system: 'be nice' },
      { format: 'Q: {instruction} / {input}', systemFormat: '[{system}]' });
    expect(custom).toEqual({ prompt: 'Q: a / b', system: '[be nice]' });
  });

  it('puts loss on assistant text and its closing marker only', () => {
    const ex = encodeInstruct({ instruct: 'up', input: 'ab', output: 'AB' });
    const learned = ex.ids.filter((_, i) => ex.lossMask[i] === 1);
    expect(learned).toEqual([65, 66, SPECIAL_TOKENS.end]);
    expect(ex.ids[0]).toBe(SPECIAL_TOKENS.bos);
    const chat = encodeChat([
      { role: 'system', content: 's' }, { role: 'user', content: 'u1' }, { role: 'assistant', content: 'a1' },
      { role: 'user', content: 'u2' }, { role: 'assistant', content: 'a2' },
    ]);
    expect(decode(chat.ids.filter((_, i) => chat.lossMask[i] === 1), false)).toBe('a1<|end|>a2<|end|>');
    const prompt = promptIds([{ role: 'user', content: 'x' }, { role: 'assistant', content: 'y' }]);
    expect(prompt[prompt.length - 1]).toBe(SPECIAL_TOKENS.assistant);
    expect(decode(prompt, false)).toBe('<|bos|><|user|>x<|end|><|assistant|>');
  });

  it('shifts targets by one and weights only completion positions', () => {
    const ex = encodeInstruct({ instruct: 'c', input: 'x', output: 'y' });
    const b = makeBatch([ex], 16, 'float32', () => 0.5);
    const weighted = [...b.weights].map((w, i) => (w > 0 ? b.targets[i] : -1)).filter((x) => x !== -1);
    expect(weighted).toEqual([121, SPECIAL_TOKENS.end]);
    expect(b.tokens[ex.ids.length - 1]).toBe(SPECIAL_TOKENS.pad);
    expect(usableExamples([ex], ex.ids.length - 2)).toEqual([]);
    expect(usableExamples([ex], ex.ids.length - 1)).toHaveLength(1);
  });
});

describe('procedural instruct data', () => {
  it('is deterministic, learnable by rule, and its held-out split shares no prompt with training', () => {
    const train = proceduralInstruct({ seed: 1, count: 400, split: 'train' });
    const test = proceduralInstruct({ seed: 2, count: 100, split: 'test' });
    expect(proceduralInstruct({ seed: 1, count: 400, split: 'train' })).toEqual(train);
    const prompts = new Set(train.map((r) => `${r.instruct}|${r.input}`));
    expect(test.every((r) => !prompts.has(`${r.instruct}|${r.input}`))).toBe(true);
    expect(test.every((r) => isHeldOut(r)) && train.every((r) => !isHeldOut(r))).toBe(true);
    for (const r of [...train, ...test]) {
      const w = r.input!;
      const want = { upper: w.toUpperCase(), copy: w, reverse: [...w].reverse().join(''), first: w[0], last: w[w.length - 1] }[r.instruct];
      expect(r.output).toBe(want);
    }
  });
});
