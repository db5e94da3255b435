import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../../src/sandbox/index.ts';
import { client, json, startHarness, type Harness } from './harness.ts';

let h: Harness;
let sandbox: Sandbox;
let alice: ReturnType<typeof client>;

beforeAll(async () => {
  sandbox = await Sandbox.start({ rules: { poolSize: 1, memoryLimitMb: 768, validationTimeoutSeconds: 5 } });
  h = await startHarness({ rewards: sandbox });
  alice = client(h.base, h.customer.key);
});
afterAll(async () => {
  await h?.close();
  await sandbox?.close();
});

describe('GRPO reward functions over the sandbox', () => {
  it('adds a valid function, lists it by name with its docstring, gets it by id, and uses it in a task', async () => {
    const code = 'def shortness(completions, **kwargs):\n    return [1.0 / (1 + len(c)) for c in completions]\n';
    const res = await alice.post('/v1/grpo/reward_functions', { name: 'shortness', description: 'Shorter answers score higher.', code, reward_weight: 2 });
    expect(res.status).toBe(200);
    const { reward_id } = await json(res);
    expect(reward_id).toMatch(/^[0-9a-f-]{36}$/);

    const list = await json(await alice.get('/v1/grpo/reward_functions'));
    expect(list.reward_functions.shortness).toEqual({
      reward_id,
      name: 'shortness',
      description: 'Shorter answers score higher.',
      code: 'def shortness(completions, **kwargs):\n    """Shorter answers score higher."""\n    return [1.0 / (1 + len(c)) for c in completions]\n',
    });
    expect(await json(await alice.get(`/v1/grpo/reward_functions/${reward_id}`))).toEqual(list.reward_functions.shortness);
    expect((await alice.get('/v1/grpo/reward_functions/8a4e3f0c-5d1b-4c2a-9e7f-0123456789ab')).status).toBe(404);
    expect((await alice.get('/v1/grpo/reward_functions/garbage')).status).toBe(404);

    // The same code again keeps its id.
    const again = await json(await alice.post('/v1/grpo/reward_functions', { name: 'shortness', description: 'Shorter answers score higher.', code }));
    expect(again.reward_id).toBe(reward_id);

    const task = await alice.post('/v1/tasks/create_grpo', {
      account_id: h.customer.accountId, model_repo: 'm', ds_repo: 'd', field_prompt: 'prompt', hours_to_complete: 2,
      reward_functions: [{ reward_id, reward_weight: 0.5 }],
    });
    expect(task.status).toBe(200);
  });

  it('wraps a bare body (even one starting with an import) into a function named after the request', async () => {
    const res = await alice.post('/v1/grpo/reward_functions', {
      name: 'has_digit', description: 'One point per completion with a digit.',
      code: 'import re\nreturn [1.0 if re.search(r"\\d", c) else 0.0 for c in completions]',
    });
    expect(res.status).toBe(200);
    const { reward_id } = await json(res);
    const stored = await json(await alice.get(`/v1/grpo/reward_functions/${reward_id}`));
    expect(stored.name).toBe('has_digit');
    expect(stored.code.startsWith('def has_digit(completions, **kwargs):\n    """One point per completion with a digit."""\n    import re\n')).toBe(true);
    const check = await sandbox.scoreCompletions([stored.code], [1], ['abc', 'a1'], null);
    expect(check.totals).toEqual([0, 1]);
  });

  it('refuses code that does not compile, fails, or returns the wrong thing with 400 and the reason; nothing is stored', async () => {
    const before = Object.keys((await json(await alice.get('/v1/grpo/reward_functions'))).reward_functions).length;
    const cases: [string, RegExp][] = [
      ['def broken(completions, **kwargs)\n    return []', /does not compile/],
      ['def boom(completions, **kwargs):\n    raise ValueError("nope")', /ValueError: nope/],
      ['def words(completions, **kwargs):\n    return ["a" for c in completions]', /Invalid reward function/],
      ['def no_kwargs(completions):\n    return [0.0 for c in completions]', /Invalid reward function/],
    ];
    for (const [code, why] of cases) {
      const res = await alice.post('/v1/grpo/reward_functions', { name: 'bad', description: 'bad', code });
      expect(res.status, code).toBe(400);
      expect((await json(res)).detail).toMatch(why);
    }
    expect(Object.keys((await json(await alice.get('/v1/grpo/reward_functions'))).reward_functions)).toHaveLength(before);
    const missing = await alice.post('/v1/grpo/reward_functions', { name: 'x', code: 'def f(completions, **kwargs):\n    return [0.0]' });
    expect(missing.status).toBe(422);
    expect((await json(missing)).detail[0]).toMatchObject({ loc: ['body', 'description'], type: 'missing' });
  });
});
