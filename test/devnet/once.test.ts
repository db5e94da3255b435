/**
 * The reduced devnet scenario `npm test` runs: one (synthetic) instruct task, three miners (an honest built-in one, one that
 * fails every job, one that copies the honest one), the smallest model and a fast time scale — through the
 * validator's own loops, real signed HTTP on loopback, the local hub and the embedded chain.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureBaseModel } from '../../src/ml/zoo.ts';
import { createDevnetTask, startDevnet, type Devnet } from '../../src/devnet/devnet.ts';
import { baseModelLoss, listTasks, setAndReadWeights, taskResults, waitForFinal } from '../../src/devnet/run.ts';

const home = mkdtempSync(join(tmpdir(), 'god-devnet-e2e-'));
let dn: Devnet | undefined;
afterAll(async () => {
  await dn?.stop();
  rmSync(home, { recursive: true, force: true });
});

describe('god devnet, reduced: one instruct task, three miners', () => {
  it('runs the task to success; the winner beats the base model, the broken miner and the copycat score -1, weights land on the chain', async () => {
    await ensureBaseModel('god-local/tinygpt-tiny', { home });
    dn = await startDevnet({
      home,
      hourSeconds: 20,
      steps: 40,
      miners: [
        { name: 'bob', uri: '//Bob', kind: 'builtin', recipe: 'aggressive' },
        { name: 'dave', uri: '//Dave', kind: 'broken' },
        { name: 'eve', uri: '//Eve', kind: 'copycat', copies: 'bob' },
      ],
    });
    const task = await createDevnetTask(dn, 'InstructTextTask');
    const [done] = await waitForFinal(dn, 100_000);
    expect(done!.status).toBe('success');

    const results = await taskResults(dn, String(task.task_id));
    const by = (name: string) => results.find((r) => r.hotkey === dn!.miners.find((m) => m.spec.name === name)!.hotkey)!;
    const bob = by('bob');
    expect(bob.quality_score).toBeGreaterThan(0);
    const base = await baseModelLoss(dn, (await listTasks(dn))[0]!, home);
    expect(base).not.toBeNull();
    expect(bob.test_loss!).toBeLessThan(base!);
    expect(by('dave')).toMatchObject({ quality_score: -1, score_reason: 'Invalid/No repo submitted' });
    expect(by('eve')).toMatchObject({ quality_score: -1, score_reason: 'Duplicated submission' });

    const weights = await setAndReadWeights(dn);
    expect(weights.attempt).toMatchObject({ kind: 'set' });
    const bobUid = dn.miners.find((m) => m.spec.name === 'bob')!.uid;
    expect(weights.onChain.find(([uid]) => uid === bobUid)?.[1] ?? 0).toBeGreaterThan(0);
  }, 170_000);
});
