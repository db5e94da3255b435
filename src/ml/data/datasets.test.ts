// Built-in datasets (raw shapes, determinism, verifiable answers), column mapping, and the file readers.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parquetWriteBuffer } from 'hyparquet-writer';
import {
  builtinDatasetInfo, builtinImagePairs, listBuiltinDatasets, loadBuiltinDataset,
} from './builtin.ts';
import { chatExamples, chatMessages, dpoRows, grpoPrompts, instructExamples, standardizeRows } from './columns.ts';
import { corrupt, spell } from './generators.ts';
import { parseCsv, parseJsonRows, readDatasetFile } from './readers.ts';
import { decodePng, encodePng, resizeSquare } from '../image/png.ts';
import { Rng } from '../rng.ts';
import { decode } from '../tokenizer.ts';

function solve(prompt: string): string {
  const [op, ...args] = prompt.split(' ');
  const [a, b] = args.map(Number) as [number, number];
  if (op === 'add') return String(a + b);
  if (op === 'subtract') return String(a - b);
  if (op === 'multiply') return String(a * b);
  throw new Error(`not arithmetic: ${prompt}`);
}

describe('built-in datasets', () => {
  it('cover every task type, with raw column names the dataset type points at', () => {
    const types = new Set(listBuiltinDatasets().map((d) => d.taskType));
    expect([...types].sort()).toEqual(['ChatTask', 'DpoTask', 'GrpoTask', 'ImageTask', 'InstructTextTask']);
    for (const info of listBuiltinDatasets().filter((d) => d.taskType !== 'ImageTask')) {
      const rows = loadBuiltinDataset(info.id, { seed: 3, rows: 50 });
      expect(rows).toHaveLength(50);
      // the columns named by the dataset type exist in the rows
      for (const [k, v] of Object.entries(info.datasetType)) {
        if (k.startsWith('field_') || k === 'extra_column' || k === 'chat_column') expect(rows[0]).toHaveProperty(v as string);
      }
      const std = standardizeRows(info.taskType, rows, info.datasetType);
      expect(std).toHaveLength(50);
    }
  });

  it('are deterministic per seed, distinct per prompt, and their answers are right', () => {
    const a = loadBuiltinDataset('god-local/arith-instruct', { seed: 7 });
    expect(a).toHaveLength(builtinDatasetInfo('god-local/arith-instruct').defaultRows);
    expect(loadBuiltinDataset('god-local/arith-instruct', { seed: 7 })).toEqual(a);
    expect(loadBuiltinDataset('god-local/arith-instruct', { seed: 8 })).not.toEqual(a);
    expect(new Set(a.map((r) => `${r.instruction} ${r.input}`)).size).toBe(a.length);
    for (const r of a) expect(r.output).toBe(solve(`${r.instruction} ${r.input}`));
    for (const r of loadBuiltinDataset('god-local/lookup-instruct', { rows: 300 })) {
      if (r.instruction === 'spell') expect(r.output).toBe(spell(Number(r.input)));
      if (r.instruction === 'number') expect(spell(Number(r.output))).toBe(r.input);
    }
    expect(spell(312)).toBe('three hundred twelve');
    expect(spell(40)).toBe('forty');
    expect(spell(99)).toBe('ninety-nine');
  });

  it('DPO rejects are near misses, GRPO answers verify, chat maps human/gpt roles', () => {
    const dpo = loadBuiltinDataset('god-local/arith-dpo', { rows: 200 });
    for (const r of dpo) {
      expect(r.chosen).toBe(solve(r.prompt as string));
      expect(r.rejected).not.toBe(r.chosen);
    }
    const rng = new Rng(1);
    expect(corrupt('abc', rng)).not.toBe('abc');
    const grpo = grpoPrompts(loadBuiltinDataset('god-local/arith-grpo', { rows: 20 }), { extra_column: 'extra_data' });
    for (const p of grpo) expect(JSON.parse(p.extraData as string).answer).toBe(solve(p.prompt));
    const info = builtinDatasetInfo('god-local/mixed-chat');
    const chat = loadBuiltinDataset(info.id, { rows: 30 });
    const msgs = chatMessages(chat, info.datasetType);
    expect(msgs.every((m) => m !== null && m.at(-1)!.role === 'assistant')).toBe(true);
    const ex = chatExamples(chat, info.datasetType);
    expect(ex).toHaveLength(30);
    const learned = decode(ex[0]!.ids.filter((_, i) => ex[0]!.lossMask[i] === 1), false);
    expect(learned.endsWith('<|end|>')).toBe(true);
  });

  it('image pairs are PNGs whose decoded pixels round-trip, captions name colour/shape/position', () => {
    const pairs = builtinImagePairs('god-local/shapes-image', { rows: 5, seed: 2 });
    expect(pairs).toHaveLength(5);
    const img = decodePng(pairs[0]!.image);
    expect([img.width, img.height]).toEqual([32, 32]);
    expect(encodePng(img).equals(Buffer.from(pairs[0]!.image))).toBe(true);
    expect(pairs[0]!.caption).toMatch(/^a (small|large) \w+ (circle|square|triangle|cross) (at the|in the) /);
    const half = resizeSquare(img, 16);
    expect(half.data.length).toBe(16 * 16 * 3);
    expect(builtinImagePairs('god-local/shapes-image', { rows: 5, seed: 2 })).toEqual(pairs);
  });
});

describe('column mapping', () => {
  it('renames a task\'s columns to the standard names, stringifies, and names a missing column', () => {
    const rows = [{ q: 'add', x: 1, a: 2, junk: 'z' }, { q: 'sub', x: null, a: 3, junk: 'z' }];
    const dt = { field_instruction: 'q', field_input: 'x', field_output: 'a' };
    expect(standardizeRows('InstructTextTask', rows, dt)).toEqual([
      { instruct: 'add', output: '2', input: '1' }, { instruct: 'sub', output: '3', input: '' },
    ]);
    expect(() => standardizeRows('InstructTextTask', rows, { field_instruction: 'nope', field_output: 'a' })).toThrow(/column "nope" not found/);
    expect(standardizeRows('ChatTask', [{ c: '[{"role":"user","content":"hi"}]' }], { chat_column: 'c' }))
      .toEqual([{ c: [{ role: 'user', content: 'hi' }] }]);
    const ex = instructExamples([{ instruct: 'add', input: '1 2', output: '3' }], { format: '{instruction}: {input}' });
    expect(decode(ex[0]!.ids, false)).toBe('<|bos|><|user|>add: 1 2<|end|><|assistant|>3<|end|>');
    expect(dpoRows([{ p: 'x', c: 'y', r: 'z' }], { field_prompt: 'p', field_chosen: 'c', field_rejected: 'r', prompt_format: 'Q: {prompt}' }))
      .toEqual([{ prompt: 'Q: x', chosen: 'y', rejected: 'z' }]);
  });
});

describe('file readers', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'god-ml-readers-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('read json, jsonl, csv and parquet into the same rows', async () => {
    const rows = [{ instruction: 'add', input: '1 2', output: '3' }, { instruction: 'say "hi", twice', input: 'a\nb', output: 'hi hi' }];
    await writeFile(join(dir, 'd.json'), JSON.stringify(rows));
    await writeFile(join(dir, 'd.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    await writeFile(join(dir, 'd.csv'), 'instruction,input,output\r\nadd,1 2,3\r\n"say ""hi"", twice","a\nb",hi hi\r\n');
    await writeFile(join(dir, 'd.parquet'), new Uint8Array(parquetWriteBuffer({
      columnData: ['instruction', 'input', 'output'].map((name) => ({ name, data: rows.map((r) => r[name as keyof typeof r]) })),
    })));
    for (const ext of ['json', 'jsonl', 'csv', 'parquet']) expect(await readDatasetFile(join(dir, `d.${ext}`))).toEqual(rows);
    expect(parseJsonRows('{"data": [{"a": 1}]}')).toEqual([{ a: 1 }]);
    expect(() => parseCsv('a,b\n1\n')).toThrow(/row 2 has 1 fields/);
    await expect(readDatasetFile(join(dir, 'd.txt'))).rejects.toThrow(/unknown dataset file type/);
  });
});
