/**
 * The reduced devnet tournament `npm test` runs: a text and an image tournament, four tournament miners each (three
 * recipes and a broken one; the devnet itself runs eight), the smallest models, the trainer node with its local
 * executor running the miners' repositories confined, the validator's own prep and evaluation, the boss round
 * against the champion's code, and the tournament share in the weights set on the chain.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureBaseModel } from '../../src/ml/zoo.ts';
import { createDevnetTask, startDevnet, type Devnet } from '../../src/devnet/devnet.ts';
import { setAndReadWeights, waitForFinal } from '../../src/devnet/run.ts';
import { TOURNAMENT_RECIPES } from '../../src/devnet/tournament-repos.ts';
import { bracketLines, readBracket, waitForChampions } from '../../src/devnet/tournament-report.ts';

const home = mkdtempSync(join(tmpdir(), 'god-devnet-tournament-'));
let dn: Devnet | undefined;
afterAll(async () => {
  await dn?.stop();
  rmSync(home, { recursive: true, force: true });
}, 120_000);

const recipes = TOURNAMENT_RECIPES.filter((r) => ['lora-r8', 'full-ft', 'lazy', 'broken'].includes(r.name));

describe('god devnet tournaments, reduced: text and image, four entrants each', () => {
  it('plays both to a champion through the trainer; the broken recipe is out in round 1; the boss round trains the champion\'s code; weights carry the tournament share', async () => {
    await ensureBaseModel('god-local/tinygpt-tiny', { home });
    await ensureBaseModel('god-local/tinydiff-tiny', { home });
    dn = await startDevnet({
      home,
      hourSeconds: 45,
      steps: 10,
      miners: [{ name: 'bob', uri: '//Bob', kind: 'builtin', recipe: 'aggressive' }],
      tournaments: { steps: 6, recipes, minEntrants: 4, finalTextTasks: 1, finalImageTasks: 1, loopSeconds: 0.5 },
    });
    const t = dn.tournaments!;
    expect(t.miners.map((m) => m.name)).toEqual(['lora-r8', 'full-ft', 'lazy', 'broken']);

    // The original sets no weights without period scores from real-time tasks: one instruct task gives bob one.
    await createDevnetTask(dn, 'InstructTextTask');
    const done = await waitForChampions(dn, ['text', 'image'], 240_000);
    await waitForFinal(dn, 60_000);
    const byName = new Map(t.miners.map((m) => [m.name, m]));
    for (const tournament of done) {
      const b = await readBracket(dn, tournament.tournament_id);
      const text = bracketLines(dn, b).join('\n');
      expect(tournament.status, text).toBe('completed');
      // Four entrants: two pairs, one pair, then the boss round against the champion's code.
      expect(b.rounds.map((r) => [r.kind, r.isFinal, r.containers.length]), text).toEqual([
        ['knockout', false, 2],
        ['knockout', false, 1],
        ['knockout', true, 1],
      ]);
      expect(b.entrants.filter((e) => e.hotkey !== t.burnHotkey).map((e) => e.repo).sort()).toEqual(recipes.map((r) => byName.get(r.name)!.repo.path).sort());
      // The broken recipe's training fails and it does not advance.
      const broken = byName.get('broken')!.hotkey;
      const first = b.rounds[0]!;
      const brokenResult = first.tasks.flatMap((x) => x.results).find((r) => r.hotkey === broken);
      expect(brokenResult?.trainingStatus, text).toBe('failure');
      expect(brokenResult?.score ?? 0, text).toBeLessThanOrEqual(0);
      expect(first.advanced, text).not.toContain(broken);
      // Every task of a won pair has a trained winner with a real loss.
      for (const r of b.rounds) {
        for (const task of r.tasks) {
          expect(task.status, text).toBe('success');
          const best = task.results.find((x) => (x.score ?? 0) > 0);
          expect(best?.trainingStatus, text).toBe('success');
          expect(best?.testLoss, text).toBeGreaterThan(0);
        }
      }
      // The boss round: the champion placeholder trained the champion's code on the final task.
      const final = b.rounds.at(-1)!;
      const champ = final.tasks[0]!.results.find((x) => x.hotkey === t.burnHotkey);
      expect(champ?.trainingStatus, text).toBe('success');
      expect(final.tasks[0]!.copy, text).not.toBeNull();
      expect(b.champion, text).not.toBeNull();
      expect([...t.miners.map((m) => m.hotkey), t.burnHotkey]).toContain(b.champion);
    }

    const weights = await setAndReadWeights(dn);
    expect(weights.attempt).toMatchObject({ kind: 'set' });
    const uidOf = new Map([...t.miners.map((m) => [m.hotkey, m.uid] as const), [t.burnHotkey, t.burnUid] as const]);
    for (const tournament of done) {
      const winner = tournament.winner_hotkey!;
      const uid = uidOf.get(winner === t.burnHotkey ? (tournament.base_winner_hotkey ?? winner) : winner)!;
      expect(weights.onChain.find(([u]) => u === uid)?.[1] ?? 0).toBeGreaterThan(0);
    }
  }, 300_000);
});
