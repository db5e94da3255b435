/**
 * `god_sandbox_*` from real sandbox calls: every kind (restricted execution, reward-function validation, batch
 * scoring) is counted once per call with the outcome its result shows, read back from the registry's text output.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics, sandboxCallObserver, type GodMetrics } from '../ops/metrics.ts';
import { Sandbox } from './index.ts';

let sandbox: Sandbox;
let metrics: GodMetrics;

beforeAll(async () => {
  metrics = createMetrics('validator', { processMetrics: false });
  sandbox = await Sandbox.start({
    rules: { poolSize: 1, memoryLimitMb: 768, executionTimeoutSeconds: 0.3, validationTimeoutSeconds: 2, scoreTimeoutSeconds: 1 },
    onCall: sandboxCallObserver(metrics),
  });
}, 120_000);
afterAll(async () => {
  await sandbox?.close();
});

async function count(kind: string, outcome: string): Promise<number> {
  const line = (await metrics.text()).split('\n').find((l) => l.startsWith(`god_sandbox_calls_total{kind="${kind}",outcome="${outcome}",`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

const LEN = 'def length_reward(completions, **kwargs):\n    return [len(c) for c in completions]\n';
const LOOP = 'def spin(completions, **kwargs):\n    while True:\n        pass\n';

describe('sandbox call metrics', () => {
  it('counts each kind of call by outcome: ok, error (the code failed), timeout (a deadline passed)', async () => {
    expect((await sandbox.restrictedExecution('print(1 + 1)')).output).toBe('2\n');
    expect((await sandbox.restrictedExecution('raise ValueError("no")')).error).toContain('ValueError: no');
    // Looks like a deadline message but is the user's own exception: an error, not a timeout.
    expect((await sandbox.restrictedExecution('raise Exception("call timed out after 1 s")')).error).toMatch(/^Exception: /);
    expect((await sandbox.restrictedExecution('while True:\n    pass', '', { timeoutSeconds: 0.3 })).error).toMatch(/timed out/);
    expect(await count('restricted', 'ok')).toBe(1);
    expect(await count('restricted', 'error')).toBe(2);
    expect(await count('restricted', 'timeout')).toBe(1);

    expect((await sandbox.validateRewardFunction(LEN)).valid).toBe(true);
    expect((await sandbox.validateRewardFunction('x = 1')).valid).toBe(false);
    const spun = await sandbox.validateRewardFunction(LOOP);
    expect(spun).toMatchObject({ valid: false, error: expect.stringMatching(/timed out/) });
    expect(await count('validate', 'ok')).toBe(1);
    expect(await count('validate', 'error')).toBe(1);
    expect(await count('validate', 'timeout')).toBe(1);

    expect((await sandbox.scoreCompletions([LEN], [1], ['ab', 'c'])).totals).toEqual([2, 1]);
    expect((await sandbox.scoreCompletions(['def f(completions, **kwargs):\n    raise ValueError("no")'], [1], ['a'])).error).toContain('ValueError');
    expect((await sandbox.scoreCompletions([LOOP], [1], ['a'])).error).toMatch(/timed out/);
    expect(await count('score', 'ok')).toBe(1);
    expect(await count('score', 'error')).toBe(1);
    expect(await count('score', 'timeout')).toBe(1);

    const text = await metrics.text();
    // One duration per call, under the same labels.
    expect(text).toContain('god_sandbox_call_duration_seconds_count{role="validator",kind="restricted",outcome="error"} 2');
    expect(text).toContain('god_sandbox_call_duration_seconds_count{role="validator",kind="score",outcome="timeout"} 1');
    // The timed-out score call waited out its 1 s deadline.
    const sum = /god_sandbox_call_duration_seconds_sum\{role="validator",kind="score",outcome="timeout"\} (\S+)/.exec(text)?.[1];
    expect(Number(sum)).toBeGreaterThanOrEqual(0.9);
  }, 120_000);

  it('counts a call on a closed pool as an error, and a throwing observer never fails a call', async () => {
    const box = await Sandbox.start({
      rules: { poolSize: 1, memoryLimitMb: 768 },
      onCall: () => {
        throw new Error('observer broke');
      },
    });
    try {
      expect((await box.restrictedExecution('print(3)')).output).toBe('3\n');
    } finally {
      await box.close();
    }
    const closed = await Sandbox.start({ rules: { poolSize: 1, memoryLimitMb: 768 }, onCall: sandboxCallObserver(metrics) });
    await closed.close();
    const before = await count('restricted', 'error');
    await expect(closed.restrictedExecution('print(1)')).rejects.toThrow(/closed/);
    expect(await count('restricted', 'error')).toBe(before + 1);
  }, 120_000);
});
