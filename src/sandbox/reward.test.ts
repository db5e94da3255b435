import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox, docstringOf, functionNameOf, libraryFunction, libraryFunctions } from './index.ts';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await Sandbox.start({ rules: { poolSize: 2, memoryLimitMb: 768, executionTimeoutSeconds: 0.3, validationTimeoutSeconds: 1 } });
});
afterAll(async () => {
  await sandbox?.close();
});

const LEN = 'def length_reward(completions, **kwargs):\n    return [len(c) for c in completions]\n';

describe('validateRewardFunction (evaluation.md §9.3, with the checks the reference lacks)', () => {
  it('accepts a well-formed function and reports its name, extra_data support and trial scores', async () => {
    const result = await sandbox.validateRewardFunction(LEN);
    expect(result).toEqual({ valid: true, error: null, name: 'length_reward', supportsExtraData: false, scores: [[58, 75]] });
  });

  it('uses sample rows as a second trial, passing extra_data to functions that ask for it', async () => {
    const code = 'def f(completions, extra_data=None, **kwargs):\n    return [float(e["w"]) for e in extra_data] if extra_data else [0.0] * len(completions)';
    const result = await sandbox.validateRewardFunction(code, [
      { prompt: 'p1', extra_data: { w: 2 } },
      { prompt: 'p2', extra_data: { w: 3 } },
    ]);
    expect(result).toEqual({ valid: true, error: null, name: 'f', supportsExtraData: true, scores: [[0, 0], [2, 3]] });
  });

  it('allows helper functions, but exactly one function taking **kwargs', async () => {
    const helper = 'def helper(x):\n    return x * 2\n' + LEN.replace('len(c)', 'helper(len(c))');
    expect(await sandbox.validateRewardFunction(helper)).toMatchObject({ valid: true, name: 'length_reward' });
    const two = LEN + 'def other(completions, **kwargs):\n    return [0] * len(completions)\n';
    expect(await sandbox.validateRewardFunction(two)).toMatchObject({ valid: false, error: expect.stringContaining('found 2 (length_reward, other)') });
    expect(await sandbox.validateRewardFunction('x = 1')).toMatchObject({ valid: false, error: expect.stringContaining('found 0 (none)') });
  });

  it('rejects code that does not compile, fails, returns non-numbers, NaN/inf or the wrong length', async () => {
    const cases: Array<[string, string]> = [
      ['def f(completions, **kwargs)\n    return []', 'does not compile: SyntaxError'],
      ['def f(completions, **kwargs):\n    raise ValueError("no")', 'raised ValueError: no'],
      ['def f(completions, **kwargs):\n    return "1"', 'must return a list of numbers, got str'],
      ['def f(completions, **kwargs):\n    return ["a"] * len(completions)', 'value 0 is str, not a number'],
      ['def f(completions, **kwargs):\n    return [float("inf")] * len(completions)', 'value 0 is inf, not a finite number'],
      ['def f(completions, **kwargs):\n    return [1.0] * 3', 'returned 3 values for 2 completions'],
      ['import os\ndef f(completions, **kwargs):\n    return [1.0] * len(completions)', "module-level code failed: ImportError: import of 'os' is not allowed in the sandbox"],
    ];
    for (const [code, error] of cases) {
      const result = await sandbox.validateRewardFunction(code);
      expect(result.valid, code).toBe(false);
      expect(result.error, code).toContain(error);
    }
  });

  it('accepts bool and int results as numbers (the reference accepts numbers.Number)', async () => {
    const result = await sandbox.validateRewardFunction('def f(completions, **kwargs):\n    return [True, 2]');
    expect(result).toMatchObject({ valid: true, scores: [[1, 2]] });
  });

  it('stops a function that hangs at the validation deadline', async () => {
    const result = await sandbox.validateRewardFunction('def f(completions, **kwargs):\n    while True: pass');
    expect(result.valid).toBe(false);
    expect(result.error).toMatch(/timed out/);
  });
});

describe('scoreCompletions: one call per batch', () => {
  it('weights and sums the functions per completion, passing extra_data where asked', async () => {
    const extra = 'def e(completions, extra_data=None, **kwargs):\n    return [float(x) for x in extra_data]';
    const result = await sandbox.scoreCompletions([LEN, extra], [0.5, 2], ['ab', 'abcd'], [10, 20]);
    expect(result).toEqual({
      perFunction: [
        { rewards: [2, 4], error: null },
        { rewards: [10, 20], error: null },
      ],
      totals: [21, 42],
      error: null,
    });
  });

  it('reports the failing function and gives no totals', async () => {
    const bad = 'def bad(completions, **kwargs):\n    return [float("nan")] * len(completions)';
    const result = await sandbox.scoreCompletions([LEN, bad], [1, 1], ['a']);
    expect(result.totals).toBeNull();
    expect(result.error).toBe('function 1: value 0 is nan, not a finite number');
    expect(result.perFunction[0]).toEqual({ rewards: [1], error: null });
  });

  it('rejects misuse by the caller with the field named', async () => {
    await expect(sandbox.scoreCompletions([LEN], [1, 2], ['a'])).rejects.toThrow(/weights: one weight per function/);
    await expect(sandbox.scoreCompletions([LEN], [1], ['a'], [1, 2])).rejects.toThrow(/extraData: extraData must have one entry per completion/);
    await expect(sandbox.scoreCompletions([LEN], [-1], ['a'])).rejects.toThrow(/weights\.0/);
  });

  it('scores a 1,000-completion batch in one round trip', async () => {
    const completions = Array.from({ length: 1000 }, (_, i) => 'x'.repeat(i % 7));
    const before = sandbox.stats().calls;
    const result = await sandbox.scoreCompletions([LEN], [1], completions);
    expect(sandbox.stats().calls - before).toBe(1);
    expect(result.totals).toEqual(completions.map((c) => c.length));
  });
});

describe('the built-in library', () => {
  it('has names, docstrings and hashes; every function passes validation', async () => {
    for (const fn of libraryFunctions()) {
      expect(functionNameOf(fn.code)).toBe(fn.name);
      expect(fn.description).not.toBe('No description available');
      expect(fn.funcHash).toMatch(/^[0-9a-f]{64}$/);
      expect(await sandbox.validateRewardFunction(fn.code), fn.name).toMatchObject({ valid: true, name: fn.name, supportsExtraData: fn.usesExtraData });
    }
    expect(docstringOf('def f(): pass')).toBe('No description available');
  });

  it('think_answer_format and concise_length', async () => {
    const format = await sandbox.scoreCompletions([libraryFunction('think_answer_format').code], [1], ['<think>a\nb</think>\n<answer>4</answer>', '<answer>4</answer>', '']);
    expect(format.totals).toEqual([1, 0, 0]);
    const length = await sandbox.scoreCompletions([libraryFunction('concise_length').code], [1], ['w '.repeat(150), 'w '.repeat(300), 'w '.repeat(500)]);
    expect(length.totals).toEqual([1, 0.5, 0]);
  });

  it('exact_answer_match and numeric_answer_match read the expected answer from extra_data', async () => {
    const exact = await sandbox.scoreCompletions(
      [libraryFunction('exact_answer_match').code],
      [1],
      ['<answer> Paris </answer>', 'I think\nparis', 'London', 'x'],
      ['Paris', '{"answer": "PARIS"}', { answer: 'Paris' }, null],
    );
    expect(exact.totals).toEqual([1, 1, 0, 0]);
    const numeric = await sandbox.scoreCompletions([libraryFunction('numeric_answer_match').code], [1], ['so 1,234.0', 'is 7', 'none'], ['1234', { answer: 8 }, '3']);
    expect(numeric.totals).toEqual([1, 0, 0]);
  });

  it('code_output_match runs each completion through restricted_execution with its own deadline', async () => {
    const row = { input: '3\n4', expected_output: '7\n' };
    const completions = [
      '```python\na = int(input())\nb = int(input())\nprint(a + b)\n```',
      '```python\nprint(8)\n```',
      '```python\nwhile True: pass\n```',
      '```python\npass\n```',
      'no code',
      '```python\nraise SystemExit(0)\n```',
    ];
    const result = await sandbox.scoreCompletions([libraryFunction('code_output_match').code], [1], completions, completions.map(() => row));
    // The hanging completion costs only itself (0.3 s deadline in this file); empty output scores 0, not 0.8 (§10.3.4).
    expect(result.totals).toEqual([1, 0.1, 0, 0, 0, 0]);
  });
});
