import { describe, expect, it } from 'vitest';
import { MalformedResultsError } from './errors.ts';
import { NO_RESULT, parseContainerResults, pythonJsonToJson } from './results-file.ts';
import { readTar, writeTar } from './tar.ts';

const buf = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

describe('results file (evaluation.md §2.2)', () => {
  it('keeps asked repos, drops foreign keys, and reports missing repos', () => {
    const r = parseContainerResults(
      buf({ model_params_count: 494032768, 'a/x': { eval_loss: 1.25, is_finetune: true, extra: 1 }, 'b/x': 'CUDA out of memory', 'evil/x': { eval_loss: 0, is_finetune: true } }),
      ['a/x', 'b/x', 'c/x'],
      false,
    );
    expect(r.modelParamsCount).toBe(494032768);
    expect(r.repos.get('a/x')).toEqual({ eval_loss: 1.25, is_finetune: true, extra: 1 });
    expect(r.repos.get('b/x')).toBe('CUDA out of memory');
    expect(r.repos.get('c/x')).toBe(NO_RESULT);
    expect(r.repos.has('evil/x')).toBe(false);
  });

  it('turns a malformed entry into that repo\'s error, naming the field', () => {
    const r = parseContainerResults(buf({ 'a/x': { eval_loss: '1.0', is_finetune: true }, 'b/x': { eval_loss: 2, is_finetune: false }, 'c/x': 7 }), ['a/x', 'b/x', 'c/x'], false);
    expect(r.repos.get('a/x')).toMatch(/^malformed result: eval_loss: /);
    expect(r.repos.get('b/x')).toEqual({ eval_loss: 2, is_finetune: false });
    expect(r.repos.get('c/x')).toMatch(/^malformed result: a number/);
    expect(r.modelParamsCount).toBeNull();
  });

  it('marks image results as fine-tunes and accepts both loss shapes', () => {
    const r = parseContainerResults(buf({ 'a/i': { eval_loss: { text_guided_losses: [0.1], no_text_losses: [0.2] } }, 'b/i': { eval_loss: 0.3 } }), ['a/i', 'b/i'], true);
    expect(r.repos.get('a/i')).toEqual({ eval_loss: { text_guided_losses: [0.1], no_text_losses: [0.2] }, is_finetune: true });
    expect(r.repos.get('b/i')).toEqual({ eval_loss: 0.3, is_finetune: true });
  });

  it('throws MalformedResultsError for a missing, non-JSON or wrongly shaped file', () => {
    expect(() => parseContainerResults(null, ['a'], false)).toThrow(MalformedResultsError);
    expect(() => parseContainerResults(buf('{"a": '), ['a'], false)).toThrow(/not JSON/);
    expect(() => parseContainerResults(buf('[1,2]'), ['a'], false)).toThrow(MalformedResultsError);
    expect(() => parseContainerResults(buf({ model_params_count: 'many' }), ['a'], false)).toThrow(/model_params_count/);
    expect(() => parseContainerResults(buf({ a: [1] }), ['a'], false)).toThrow(MalformedResultsError);
  });

  it('reads Python\'s NaN/Infinity as null outside strings, so only that repo fails', () => {
    expect(pythonJsonToJson('{"a": NaN, "b": "NaN \\" Infinity", "c": [-Infinity, Infinity]}')).toBe('{"a": null, "b": "NaN \\" Infinity", "c": [null, null]}');
    const r = parseContainerResults(buf('{"a/x": {"eval_loss": NaN, "is_finetune": true}, "b/x": {"eval_loss": 0.5, "is_finetune": true}}'), ['a/x', 'b/x'], false);
    expect(r.repos.get('a/x')).toMatch(/^malformed result: eval_loss/);
    expect(r.repos.get('b/x')).toEqual({ eval_loss: 0.5, is_finetune: true });
  });
});

describe('tar', () => {
  it('round-trips files and checks header checksums and truncation', () => {
    const tar = writeTar([{ name: 'evaluation_results.json', data: '{"x":1}' }, { name: 'b', data: Buffer.alloc(1000, 7) }]);
    const entries = readTar(tar);
    expect(entries.map((e) => [e.name, e.type, e.data.length])).toEqual([['evaluation_results.json', 'file', 7], ['b', 'file', 1000]]);
    expect(entries[0]!.data.toString()).toBe('{"x":1}');
    const corrupt = Buffer.from(tar);
    corrupt[0] = 0x41;
    expect(() => readTar(corrupt)).toThrow(/checksum/);
    expect(() => readTar(tar.subarray(0, 512 + 3))).toThrow(/truncated/);
  });

  it('takes the path from a PAX header', () => {
    const long = `${'d/'.repeat(60)}evaluation_results.json`;
    const record = (k: string, v: string) => {
      const body = ` ${k}=${v}\n`;
      let len = body.length + 1;
      while (String(len).length + body.length !== len) len = String(len).length + body.length;
      return `${len}${body}`;
    };
    const pax = writeTar([{ name: 'PaxHeader', data: record('path', long) }, { name: 'short', data: 'hi' }]);
    pax[156] = 'x'.charCodeAt(0);
    // Recompute the first header's checksum after changing its type flag.
    pax.write('        ', 148, 'ascii');
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += pax[i]!;
    pax.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
    expect(readTar(pax).map((e) => e.name)).toEqual([long]);
  });
});
