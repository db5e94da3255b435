import { describe, expect, it } from 'vitest';
import { prepRules } from '../../core/rules/prep.ts';
import type { AnyTextRawTask } from '../../core/models/tasks.ts';
import type { LlmClient } from '../ports.ts';
import { seededRandom } from '../rng.ts';
import { columnMapOf, PrepError, renameRows, renameToStandard, standardFieldUpdates, standardPairs, toJsonRows } from './columns.ts';
import { afterThinking, extractJsonObject } from './prompts.ts';
import { balanceDatasets, subsample, trainTestSplit } from './split.ts';
import { buildSyntheticEvalSet, paraphraseRows } from './synthetic.ts';
import { unzipStore, zipStore } from './zip.ts';

const instruct = {
  task_type: 'InstructTextTask',
  field_instruction: 'q',
  field_output: 'a',
  field_input: 'ctx',
  field_system: null,
} as unknown as AnyTextRawTask;

describe('column mapping', () => {
  it('renames to the standard names and keeps only those', () => {
    const rows = renameToStandard([{ q: 'x', a: 'y', ctx: 'z', extra: 1 }], columnMapOf(instruct));
    expect(rows).toEqual([{ instruct: 'x', output: 'y', input: 'z' }]);
    expect(standardFieldUpdates(instruct, ['instruct', 'output', 'input'])).toEqual({ field_instruction: 'instruct', field_output: 'output', field_input: 'input', field_system: null });
  });

  it('names the missing column', () => {
    expect(() => renameToStandard([{ q: 'x', a: 'y' }], columnMapOf(instruct))).toThrow(new PrepError('column "ctx" not found in the dataset (columns: q, a)'));
  });

  it('checks the columns on the first 100 rows of the whole dataset and renames any subset with the same pairs', () => {
    const rows = [...Array.from({ length: 100 }, (_, i) => ({ q: `q${i}`, a: `a${i}` })), { q: 'late', a: 'x', ctx: 'only here' }];
    // ctx first appears in row 101: the dataset does not have the column.
    expect(() => standardPairs(rows, columnMapOf(instruct))).toThrow(new PrepError('column "ctx" not found in the dataset (columns: q, a)'));
    const withCtx = rows.map((r) => ({ ...r, ctx: 'ctx' in r ? r.ctx : null }));
    const pairs = standardPairs(withCtx, columnMapOf(instruct));
    expect(pairs).toEqual([['q', 'instruct'], ['a', 'output'], ['ctx', 'input']]);
    expect(renameRows([withCtx[100]!, withCtx[3]!], pairs)).toEqual([{ instruct: 'late', output: 'x', input: 'only here' }, { instruct: 'q3', output: 'a3', input: null }]);
  });

  it('stringifies, fails on mostly empty data, drops incomplete DPO rows', () => {
    expect(toJsonRows([{ a: 1, b: null }], ['a', 'b'], { chat: false, dpo: false, maxEmptyFraction: 0.8 })).toEqual([{ a: '1', b: '' }]);
    const empty = Array.from({ length: 9 }, () => ({ a: null }));
    expect(() => toJsonRows([...empty, { a: 'x' }], ['a'], { chat: false, dpo: false, maxEmptyFraction: 0.8 })).toThrow(/empty/);
    const dpo = toJsonRows(
      [{ prompt: 'p', chosen: 'c', rejected: 'r' }, { prompt: 'p', chosen: '', rejected: 'r' }],
      ['prompt', 'chosen', 'rejected'],
      { chat: false, dpo: true, maxEmptyFraction: 0.8 },
    );
    expect(dpo).toHaveLength(1);
    expect(toJsonRows([{ c: '[{"from":"human","value":"x"}]' }], ['c'], { chat: true, dpo: false, maxEmptyFraction: 0.8 })).toEqual([{ c: [{ from: 'human', value: 'x' }] }]);
  });
});

describe('split', () => {
  const rows = Array.from({ length: 20_000 }, (_, i) => i);
  it('holds out 10 %, at most 1000, reproducibly', () => {
    const a = trainTestSplit(rows.slice(0, 5000), prepRules);
    expect(a.test).toHaveLength(500);
    expect(a.train).toHaveLength(4500);
    expect(trainTestSplit(rows.slice(0, 5000), prepRules)).toEqual(a);
    expect(trainTestSplit(rows, prepRules).test).toHaveLength(1000);
    expect(new Set([...a.test, ...a.train]).size).toBe(5000);
  });
  it('subsamples 50–100 %', () => {
    const n = subsample(rows, prepRules, seededRandom(2)).length;
    expect(n).toBeGreaterThanOrEqual(10_000);
    expect(n).toBeLessThanOrEqual(20_000);
  });
  it('balances merged datasets (each capped at half the total)', () => {
    const merged = balanceDatasets([Array(900).fill('a'), Array(100).fill('b')], seededRandom(1));
    expect(merged.filter((x) => x === 'b')).toHaveLength(100);
    expect(merged.filter((x) => x === 'a').length).toBeLessThanOrEqual(500);
  });
});

describe('synthetic eval set', () => {
  const rows = Array.from({ length: 400 }, (_, i) => ({ instruct: `q${i}`, output: `a${i}` }));
  const deps = (llm: LlmClient) => ({ llm, rules: prepRules, random: seededRandom(1), now: () => 0 });
  const echo: LlmClient = { chat: async ({ messages }) => `<think>ok</think>${JSON.stringify(extractJsonObject(messages[1]!.content))}` };

  it('instruct: a third of the paraphrases go to train, eval = the rest + 600 train rows', async () => {
    const out = await buildSyntheticEvalSet('InstructTextTask', rows, rows, deps(echo));
    expect(out.source).toBe('llm');
    expect(out.train).toHaveLength(400 + 100);
    expect(out.synth).toHaveLength(200 + 500);
  });

  it('aborts after 10 bad answers in a row, and falls back to train rows', async () => {
    let calls = 0;
    const bad: LlmClient = { chat: async () => (calls++, '{"wrong": 1}') };
    expect(await paraphraseRows(rows, deps(bad))).toBeNull();
    expect(calls).toBe(10);
    const out = await buildSyntheticEvalSet('GrpoTask', rows, rows, deps(bad));
    expect(out.source).toBe('fallback');
    expect(out.synth).toHaveLength(300);
    expect(out.train).toHaveLength(100);
  });

  it('reads answers after </think>, keeping text without the tag (D-validator-5)', () => {
    expect(afterThinking('<think>x</think> answer')).toBe('answer');
    expect(afterThinking('plain')).toBe('plain');
  });
});

it('zip round-trips stored entries', () => {
  const entries = [{ name: 'd/0.png', data: new Uint8Array([1, 2, 3]) }, { name: 'd/0.txt', data: new TextEncoder().encode('cap') }];
  expect(unzipStore(zipStore(entries))).toEqual(entries);
});
