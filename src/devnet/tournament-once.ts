/**
 * `god devnet --once --tournaments`: both tournaments to a champion, then the brackets and the weights the validator
 * sets on the chain with the tournament share. One real-time instruct task runs beside them: the original sets no
 * weights without period scores from real-time tasks (and the boss-round copies cannot give any, see docs/devnet.md).
 */
import { createDevnetTask, type Devnet } from './devnet.ts';
import { setAndReadWeights, waitForFinal } from './run.ts';
import { bracketLines, hotkeyNames, readBracket, waitForChampions } from './tournament-report.ts';

export async function runTournamentsOnce(dn: Devnet, out: (line: string) => void, timeoutMs: number, stopWatching: () => Promise<void>): Promise<number> {
  const t = dn.tournaments;
  if (!t) throw new Error('the devnet was started without tournaments');
  const t0 = Date.now();
  const task = await createDevnetTask(dn, 'InstructTextTask');
  out(`  created InstructTextTask task ${String(task.task_id).slice(0, 8)} (real-time: the weights need a period score)`);
  const done = await waitForChampions(dn, t.types, timeoutMs);
  await waitForFinal(dn, Math.max(60_000, timeoutMs - (Date.now() - t0)));
  await stopWatching();
  out('');
  for (const tournament of done) {
    for (const l of bracketLines(dn, await readBracket(dn, tournament.tournament_id))) out(l);
    out('');
  }
  const tw = await t.weightsSource(dn.ctx.db).tournamentWeights();
  const names = hotkeyNames(dn);
  out('tournament weights (before the burn split):');
  for (const [hotkey, w] of [...tw].sort((a, b) => b[1] - a[1])) out(`  ${(names.get(hotkey) ?? hotkey.slice(0, 8)).padEnd(12)} ${w.toFixed(4)}`);
  const weights = await setAndReadWeights(dn);
  out('');
  out(`weights set on the chain by alice (${weights.attempt.kind}):`);
  const total = weights.onChain.reduce((s, [, w]) => s + w, 0) || 1;
  const byUid = new Map<number, string>([[dn.validatorUid, 'alice (validator)'], [t.burnUid, 'champion (burn)']]);
  for (const m of dn.miners) byUid.set(m.uid, m.spec.name);
  for (const m of t.miners) byUid.set(m.uid, `${m.name} (tournament)`);
  for (const [uid, w] of weights.onChain) out(`  uid ${String(uid).padStart(2)}  ${(byUid.get(uid) ?? `uid ${uid}`).padEnd(24)} ${String(w).padStart(5)}  (${((w / total) * 100).toFixed(1)}%)`);
  out('');
  const champions = done.map((x) => (x.winner_hotkey === t.burnHotkey ? (x.base_winner_hotkey ?? x.winner_hotkey) : x.winner_hotkey));
  const ok = weights.attempt.kind === 'set' && done.every((x) => x.status === 'completed') && champions.every((c) => c !== null);
  for (const [i, x] of done.entries()) out(`  ${x.tournament_type} tournament: champion ${names.get(champions[i] ?? '') ?? champions[i] ?? '—'}`);
  out(`done: ${ok ? 'both tournaments have a champion and weights are set' : 'NOT finished as expected'}`);
  return ok ? 0 : 1;
}
