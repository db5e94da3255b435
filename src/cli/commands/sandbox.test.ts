import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { sandboxRules } from '../../core/rules/sandbox.ts';
import { registerSandbox } from './sandbox.ts';

const dir = mkdtempSync(join(tmpdir(), 'god-sandbox-cli-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

async function god(...args: string[]): Promise<string> {
  let out = '';
  const program = new Command('god').exitOverride();
  registerSandbox(program, { out: (t) => void (out += t), rules: () => ({ ...sandboxRules, memoryLimitMb: 768 }) });
  await program.parseAsync(['node', 'god', 'sandbox', ...args]);
  return out;
}

describe('god sandbox', () => {
  it('run prints one JSON line, failures included', async () => {
    const add = file('add.py', 'a = int(input())\nb = int(input())\nprint(a + b)\n');
    expect(JSON.parse(await god('run', add, '--input', '3\n4'))).toEqual({ output: '7\n', error: null });
    const boom = file('boom.py', 'raise SystemExit(2)\n');
    expect(JSON.parse(await god('run', boom))).toEqual({ output: '', error: 'SystemExit: 2' });
  });

  it('reward validates the function and prints its scores', async () => {
    const code = file('len.py', 'def f(completions, extra_data=None, **kwargs):\n    return [len(c) * (extra_data[i] if extra_data else 1) for i, c in enumerate(completions)]\n');
    const plain = file('c1.json', JSON.stringify(['ab', 'abc']));
    expect(JSON.parse(await god('reward', code, '--completions', plain))).toEqual({ valid: true, error: null, name: 'f', supports_extra_data: true, scores: [2, 3] });
    const extra = file('c2.json', JSON.stringify({ completions: ['ab', 'abc'], extra_data: [10, 100] }));
    expect(JSON.parse(await god('reward', code, '--completions', extra)).scores).toEqual([20, 300]);
  });

  it('reward refuses a malformed completions file with the field named', async () => {
    const code = file('ok.py', 'def f(completions, **kwargs):\n    return [1] * len(completions)\n');
    const bad = file('bad.json', JSON.stringify({ completions: [1] }));
    await expect(god('reward', code, '--completions', bad)).rejects.toThrow(/--completions: completions\.0/);
  });

  it('status reports the isolation layers', async () => {
    const status = JSON.parse(await god('status', '--json')) as Record<string, unknown>;
    expect(status.empty_environment).toBe(true);
    expect(status.code_generation_from_strings).toBe('disallowed');
    expect(Array.isArray(status.warnings)).toBe(true);
  });
});
