import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox } from './index.ts';

// One warm pool for the file: a process start costs ~1 s from the snapshot (4–10 s without).
let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await Sandbox.start({ rules: { poolSize: 2, memoryLimitMb: 768 } });
});
afterAll(async () => {
  await sandbox?.close();
});

const run = (code: string, input = '', timeoutSeconds?: number) => sandbox.restrictedExecution(code, input, timeoutSeconds ? { timeoutSeconds } : {});

describe('restrictedExecution: reference semantics (evaluation.md §10.1–10.2)', () => {
  it('captures print output, each call adding a newline, fragments joined with "" (REF, not HEAD)', async () => {
    expect(await run('print("a"); print("b","c")')).toEqual({ output: 'a\nb c\n', error: null });
    expect(await run('print("x", end=""); print("y", sep="-")')).toEqual({ output: 'xy\n', error: null });
  });

  it('hands input_data over both ways: as the raw text (REF) and as input() returning lines (HEAD)', async () => {
    expect(await run('print(input.split())', '3 4\n5')).toEqual({ output: "['3', '4', '5']\n", error: null });
    expect(await run('a = int(input()); b = input(); c = input()\nprint(a + 1, b, repr(c))', '41\nhello')).toEqual({ output: "42 hello ''\n", error: null });
  });

  it('runs ordinary Python that RestrictedPython rejects (deviation D-sandbox-1)', async () => {
    const code = [
      'x = 1',
      'x += 1',
      'a, b = 1, 2',
      'xs = [5, 6]',
      'xs[0] = 7',
      'for i, v in enumerate(xs):',
      '    x += i * v',
      'def fact(n):',
      '    return 1 if n < 2 else n * fact(n - 1)',
      'def main():',
      '    print("inside", fact(5))',
      'main()',
      'class P:',
      '    def __init__(self, v):',
      '        self.v = v',
      'n = 3',
      'print(x, a + b, P(4).v, [i * n for i in range(3)], list(reversed(xs)), dict(k=1))',
    ].join('\n');
    expect(await run(code)).toEqual({ output: 'inside 120\n8 3 4 [0, 3, 6] [6, 7] {\'k\': 1}\n', error: null });
  });

  it('allows the listed modules and refuses every other import', async () => {
    expect(await run('import math, re, json\nprint(math.gcd(12, 18), re.sub("a", "b", "aa"), json.dumps([1]))')).toEqual({ output: '6 bb [1]\n', error: null });
    for (const module of ['os', 'sys', 'subprocess', 'socket', 'js', 'pyodide_js', 'pyodide', 'builtins', 'importlib']) {
      const result = await run(`import ${module}`);
      expect(result.output).toBe('');
      expect(result.error).toBe(`ImportError: import of '${module}' is not allowed in the sandbox`);
    }
  });

  it('has no eval, exec, compile, open, globals, locals, vars, breakpoint or input-as-builtin', async () => {
    for (const name of ['eval', 'exec', 'compile', 'open', 'globals', 'locals', 'vars', 'breakpoint', '__loader__', 'exit', 'quit']) {
      expect(await run(`${name}`)).toEqual({ output: '', error: `NameError: name '${name}' is not defined` });
    }
  });

  it('returns errors as strings with empty output, output discarded (REF), empty messages named by type (Q15)', async () => {
    expect(await run('print("partial")\nraise ValueError("bad")')).toEqual({ output: '', error: 'ValueError: bad' });
    expect(await run('raise MemoryError()')).toEqual({ output: '', error: 'MemoryError' });
    expect((await run('def f(:\n  pass')).error).toMatch(/^SyntaxError: /);
    expect(await run('1/0')).toEqual({ output: '', error: 'ZeroDivisionError: division by zero' });
  });

  it('contains SystemExit, KeyboardInterrupt and BaseException as errors of that call', async () => {
    expect(await run('raise SystemExit(3)')).toEqual({ output: '', error: 'SystemExit: 3' });
    expect(await run('raise KeyboardInterrupt()')).toEqual({ output: '', error: 'KeyboardInterrupt' });
    expect(await run('raise BaseException("x")')).toEqual({ output: '', error: 'BaseException: x' });
    expect(await run('print("still here")')).toEqual({ output: 'still here\n', error: null });
  });

  it('stops a run at its deadline with a clear error, and the next call is unaffected', async () => {
    const started = performance.now();
    expect(await run('while True: pass', '', 0.3)).toEqual({ output: '', error: 'execution timed out after 0.3 s' });
    expect(await run('x = 10 ** (10 ** 9)', '', 0.3)).toEqual({ output: '', error: 'execution timed out after 0.3 s' });
    expect(performance.now() - started).toBeLessThan(5000);
    expect(await run('print(6 * 7)')).toEqual({ output: '42\n', error: null });
  });

  it('caps captured output', async () => {
    const big = await run('print("x" * (100 * 2**20))');
    expect(big).toEqual({ output: '', error: `output exceeds ${sandbox.pool.rules.maxOutputBytes} bytes` });
    const many = await run('try:\n    while True: print("y" * 1000)\nexcept BaseException:\n    pass\nprint("after")');
    expect(many.error).toMatch(/^output exceeds/);
  });

  it('keeps calls independent: names defined by one call are gone in the next', async () => {
    expect(await run('secret_name = 1\nprint(secret_name)')).toEqual({ output: '1\n', error: null });
    expect(await run('print(secret_name)')).toEqual({ output: '', error: "NameError: name 'secret_name' is not defined" });
  });
});
