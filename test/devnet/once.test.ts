/**
 * The reduced devnet scenario `npm test` runs: one (synthetic) instruct task and one GRPO task, three miners (an
 * honest built-in one, one that fails every job, one that copies the honest one), the smallest model and a fast
 * time scale — through the validator's own loops, real signed HTTP on loopback, the local hub, the embedded chain
 * and the Python sandbox (GRPO reward functions checked at prep, run by the miner's trainer and by the evaluator).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureBaseModel } from '../../src/ml/zoo.ts';
import { createDevnetTask, startDevnet, type Devnet } from '../../src/devnet/devnet.ts';
import { beatsBase } from '../../src/devnet/grpo.ts';
import { baseModelLoss, listTasks, setAndReadWeights, taskResults, waitForFinal } from '../../src/devnet/run.ts';

const home = mkdtempSync(join(tmpdir(), 'god-devnet-e2e-'));
let dn: Devnet | undefined;
afterAll(async () => {
  await dn?.stop();
  rmSync(home, { recursive: true, force: true });
});

describe('god devnet, reduced: an instruct and a GRPO task, three miners', () => {
  it('runs both tasks to success; the winner beats the base model on each, the broken miner and the copycat score -1, weights land on the chain', async () => {
    await ensureBaseModel('god-local/tinygpt-tiny', { home });
    dn = await startDevnet({
      home,
      // 30 s per task hour leaves bob's 40 steps room on a loaded 2-core machine (vitest runs files side by side).
      hourSeconds: 30,
      steps: 40,
      sandbox: true,
      miners: [
        { name: 'bob', uri: '//Bob', kind: 'builtin', recipe: 'aggressive' },
        { name: 'dave', uri: '//Dave', kind: 'broken' },
        { name: 'eve', uri: '//Eve', kind: 'copycat', copies: 'bob' },
      ],
    });
    const instruct = await createDevnetTask(dn, 'InstructTextTask');
    // Two task hours: bob trains its jobs one after another, and GRPO waits for the instruct job.
    const grpo = await createDevnetTask(dn, 'GrpoTask', { hours: 2 });
    const done = await waitForFinal(dn, 150_000);
    expect(done.map((t) => `${t.task_type}:${t.status}`).sort()).toEqual(['GrpoTask:success', 'InstructTextTask:success']);

    const hotkey = (name: string) => dn!.miners.find((m) => m.spec.name === name)!.hotkey;
    for (const task of [instruct, grpo]) {
      const id = String(task.task_id);
      const results = await taskResults(dn, id);
      const by = (name: string) => results.find((r) => r.hotkey === hotkey(name))!;
      const bob = by('bob');
      expect(bob.quality_score, task.task_type).toBeGreaterThan(0);
      const base = await baseModelLoss(dn, (await listTasks(dn)).find((t) => t.task_id === id)!, home);
      expect(base, task.task_type).not.toBeNull();
      // GRPO: the reward-like eval_loss is higher than the base model's; instruct: the loss is lower.
      expect(beatsBase(task.task_type, bob.test_loss, base), `${task.task_type}: ${bob.test_loss} vs base ${base}`).toBe(true);
      expect(by('dave')).toMatchObject({ quality_score: -1, score_reason: 'Invalid/No repo submitted' });
      expect(by('eve')).toMatchObject({ quality_score: -1, score_reason: 'Duplicated submission' });
    }

    const weights = await setAndReadWeights(dn);
    expect(weights.attempt).toMatchObject({ kind: 'set' });
    const bobUid = dn.miners.find((m) => m.spec.name === 'bob')!.uid;
    expect(weights.onChain.find(([uid]) => uid === bobUid)?.[1] ?? 0).toBeGreaterThan(0);
  }, 240_000);
});
