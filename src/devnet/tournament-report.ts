/**
 * What the devnet shows of its tournaments: progress lines while they run (tournament and round changes, each
 * training's status on the trainer), waiting for both champions, and the bracket at the end — entrants, rounds
 * with their groups or pairs, every task's per-miner result, the boss round with its general-network copies, the
 * champion — all read from the validator's database.
 */
import type { TournamentType } from '../core/enums.ts';
import { getGroups, getPairs, getParticipants, getRounds, getRoundTasks, syncedCopies, type TournamentRow } from '../db/queries/tournament-lifecycle.ts';
import type { Devnet } from './devnet.ts';

type View = Pick<Devnet, 'ctx' | 'miners' | 'tournaments'>;

/** Display names of every hotkey the devnet knows (real-time miners, tournament miners, the burn placeholder). */
export function hotkeyNames(dn: View): Map<string, string> {
  const names = new Map<string, string>();
  for (const m of dn.miners) names.set(m.hotkey, m.spec.name);
  for (const m of dn.tournaments?.miners ?? []) names.set(m.hotkey, m.name);
  if (dn.tournaments) names.set(dn.tournaments.burnHotkey, 'champion');
  return names;
}

function nameOf(names: ReadonlyMap<string, string>, hotkey: string | null): string {
  if (hotkey === null) return '—';
  return names.get(hotkey) ?? hotkey.slice(0, 8);
}

function short(id: string): string {
  return id.slice(0, 8);
}

function fmt(v: number | null | undefined, digits = 4): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits);
}

async function tournaments(dn: View): Promise<TournamentRow[]> {
  const { rows } = await dn.ctx.db.query<TournamentRow>('SELECT * FROM tournaments ORDER BY created_at, tournament_id');
  return rows;
}

interface TrainingRow {
  task_id: string;
  hotkey: string;
  training_status: string;
  n_training_attempts: number;
  tournament_type: string;
  round_number: number;
  is_final_round: boolean;
}

async function trainings(dn: View): Promise<TrainingRow[]> {
  const { rows } = await dn.ctx.db.query<TrainingRow>(
    `SELECT tr.task_id::text AS task_id, tr.hotkey, tr.training_status, tr.n_training_attempts, t.tournament_type, r.round_number, r.is_final_round
       FROM tournament_task_hotkey_trainings tr
       JOIN tournament_tasks tt ON tt.task_id = tr.task_id
       JOIN tournaments t ON t.tournament_id = tt.tournament_id
       JOIN tournament_rounds r ON r.round_id = tt.round_id
      ORDER BY tr.created_at, tr.task_id, tr.hotkey`,
  );
  return rows;
}

/** Prints a line for every tournament, round and training change it sees, every `intervalMs`, until `signal` aborts. */
export async function watchTournaments(dn: View, out: (line: string) => void, signal: AbortSignal, intervalMs = 1000): Promise<void> {
  const started = Date.now();
  const seen = new Map<string, string>();
  const names = hotkeyNames(dn);
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s`;
  const changed = (key: string, value: string) => {
    if (seen.get(key) === value) return false;
    seen.set(key, value);
    return true;
  };
  while (!signal.aborted) {
    try {
      for (const t of await tournaments(dn)) {
        const tag = `${t.tournament_type} tournament ${t.tournament_id.slice(6, 14)}`;
        if (changed(t.tournament_id, t.status)) {
          let extra = '';
          if (t.status === 'active') extra = ` (${(await getParticipants(dn.ctx.db, t.tournament_id)).filter((p) => p.hotkey !== dn.tournaments?.burnHotkey).length} entrants)`;
          if (t.status === 'completed') extra = ` — winner ${nameOf(names, t.winner_hotkey)}`;
          out(`${elapsed()} ${tag} → ${t.status}${extra}`);
        }
        for (const r of await getRounds(dn.ctx.db, t.tournament_id)) {
          if (!changed(r.round_id, r.status)) continue;
          const kind = r.is_final_round ? 'boss round' : r.round_type;
          let layout = '';
          if (r.status === 'pending') {
            layout = r.round_type === 'group'
              ? `: ${(await getGroups(dn.ctx.db, r.round_id)).map((g) => `[${g.members.map((h) => nameOf(names, h)).join(' ')}]`).join(' ')}`
              : `: ${(await getPairs(dn.ctx.db, r.round_id)).map((p) => `${nameOf(names, p.hotkey1)} v ${nameOf(names, p.hotkey2)}`).join(', ')}`;
          }
          out(`${elapsed()} ${tag} round ${r.round_number} (${kind}) → ${r.status}${layout}`);
        }
      }
      for (const tr of await trainings(dn)) {
        if (!changed(`${tr.task_id}:${tr.hotkey}`, `${tr.training_status}:${tr.n_training_attempts}`)) continue;
        const attempt = tr.n_training_attempts > 1 ? ` (attempt ${tr.n_training_attempts})` : '';
        out(`${elapsed()}   ${tr.tournament_type} r${tr.round_number} task ${short(tr.task_id)} ${nameOf(names, tr.hotkey).padEnd(10)} training ${tr.training_status}${attempt}`);
      }
    } catch {
      // The database closes under us at shutdown.
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Waits until the latest tournament of every type has completed (or `timeoutMs` passes). */
export async function waitForChampions(dn: View, types: readonly TournamentType[], timeoutMs: number, signal?: AbortSignal): Promise<TournamentRow[]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const all = await tournaments(dn);
    const latest = types.map((type) => all.filter((t) => t.tournament_type === type).at(-1));
    if (latest.every((t) => t?.status === 'completed')) return latest as TournamentRow[];
    if (Date.now() > end) throw new Error(`tournaments not finished after ${Math.round(timeoutMs / 1000)}s: ${types.map((type, i) => `${type}=${latest[i]?.status ?? 'not created'}`).join(', ')}`);
    if (signal?.aborted) throw new Error('stopped');
    await new Promise((r) => setTimeout(r, 500));
  }
}

export interface BracketResult {
  hotkey: string;
  trainingStatus: string | null;
  testLoss: number | null;
  synthLoss: number | null;
  score: number | null;
  reason: string | null;
}

export interface BracketTask {
  taskId: string;
  taskType: string;
  status: string;
  container: string;
  results: BracketResult[];
  /** The boss round's (or a failed task's) copy on the general network. */
  copy: { taskId: string; status: string; bestLoss: number | null; bestHotkey: string | null } | null;
}

export interface BracketRound {
  number: number;
  kind: 'group' | 'knockout';
  isFinal: boolean;
  status: string;
  containers: { id: string; members: string[] }[];
  tasks: BracketTask[];
  /** Members of the round who were not eliminated in it. */
  advanced: string[];
}

export interface Bracket {
  tournament: TournamentRow;
  entrants: { hotkey: string; repo: string | null; commit: string | null; stake: number | null; position: number | null }[];
  rounds: BracketRound[];
  /** The real champion (a defence by the placeholder is credited to the defending champion). */
  champion: string | null;
}

/** A tournament's bracket from the database. */
export async function readBracket(dn: View, tournamentId: string): Promise<Bracket> {
  const db = dn.ctx.db;
  const { rows: trows } = await db.query<TournamentRow>('SELECT * FROM tournaments WHERE tournament_id = $1', [tournamentId]);
  const tournament = trows[0];
  if (!tournament) throw new Error(`no tournament ${tournamentId}`);
  const participants = await getParticipants(db, tournamentId);
  const burn = dn.tournaments?.burnHotkey ?? null;
  const rounds: BracketRound[] = [];
  for (const r of await getRounds(db, tournamentId)) {
    const containers =
      r.round_type === 'group'
        ? (await getGroups(db, r.round_id)).map((g) => ({ id: g.group_id, members: [...g.members] }))
        : (await getPairs(db, r.round_id)).map((p) => ({ id: p.pair_id, members: [p.hotkey1, p.hotkey2] }));
    const roundTasks = await getRoundTasks(db, r.round_id);
    const copies = await syncedCopies(db, roundTasks.map((t) => t.task_id));
    const tasks: BracketTask[] = [];
    for (const t of roundTasks) {
      const { rows } = await db.query<{ hotkey: string; training_status: string | null; test_loss: number | null; synth_loss: number | null; quality_score: number | null; score_reason: string | null }>(
        `SELECT n.hotkey, tr.training_status, n.test_loss, n.synth_loss, n.quality_score, n.score_reason
           FROM task_nodes n LEFT JOIN tournament_task_hotkey_trainings tr ON tr.task_id = n.task_id AND tr.hotkey = n.hotkey
          WHERE n.task_id = $1 ORDER BY n.test_loss ASC NULLS LAST, n.hotkey`,
        [t.task_id],
      );
      const c = copies.get(t.task_id);
      let copy: BracketTask['copy'] = null;
      if (c) {
        const best = await db.query<{ hotkey: string; test_loss: number | null }>(
          'SELECT hotkey, test_loss FROM task_nodes WHERE task_id = $1 AND quality_score > 0 AND test_loss IS NOT NULL ORDER BY test_loss ASC LIMIT 1',
          [c.general_task_id],
        );
        copy = { taskId: c.general_task_id, status: c.status, bestLoss: best.rows[0]?.test_loss ?? null, bestHotkey: best.rows[0]?.hotkey ?? null };
      }
      tasks.push({
        taskId: t.task_id,
        taskType: t.task_type,
        status: t.status,
        container: t.group_id ?? t.pair_id ?? '',
        results: rows.map((x) => ({ hotkey: x.hotkey, trainingStatus: x.training_status, testLoss: x.test_loss, synthLoss: x.synth_loss, score: x.quality_score, reason: x.score_reason })),
        copy,
      });
    }
    rounds.push({ number: r.round_number, kind: r.round_type, isFinal: r.is_final_round, status: r.status, containers, tasks, advanced: [] });
  }
  // Who advanced: the round's players who play the next round; the final's winner.
  for (const [i, r] of rounds.entries()) {
    if (r.status !== 'completed') continue;
    if (r.isFinal) {
      r.advanced = tournament.winner_hotkey ? [tournament.winner_hotkey] : [];
      continue;
    }
    const next = new Set(rounds[i + 1]?.containers.flatMap((c) => c.members) ?? []);
    r.advanced = r.containers.flatMap((c) => c.members).filter((h) => next.has(h));
  }
  let champion = tournament.winner_hotkey;
  if (champion !== null && champion === burn) champion = tournament.base_winner_hotkey ?? burn;
  const { rows: stakes } = await db.query<{ hotkey: string; alpha_stake: number }>('SELECT hotkey, alpha_stake FROM nodes WHERE netuid = $1', [dn.ctx.netuid]);
  const stakeOf = new Map(stakes.map((s) => [s.hotkey, Number(s.alpha_stake)]));
  return {
    tournament,
    entrants: participants.map((p) => ({ hotkey: p.hotkey, repo: p.training_repo, commit: p.training_commit_hash, stake: stakeOf.get(p.hotkey) ?? null, position: p.final_position })),
    rounds,
    champion,
  };
}

/** The bracket as plain lines. */
export function bracketLines(dn: View, b: Bracket): string[] {
  const names = hotkeyNames(dn);
  const burn = dn.tournaments?.burnHotkey ?? null;
  const t = b.tournament;
  const out: string[] = [];
  out.push(`${t.tournament_type} tournament ${t.tournament_id}: ${t.status}; defending champion ${t.base_winner_hotkey ? nameOf(names, t.base_winner_hotkey) : 'none (the default repo: champion recipe)'}`);
  out.push('  entrants (name, stake, repo @ commit):');
  for (const e of b.entrants) {
    if (e.hotkey === burn) continue;
    const pos = e.position ? `  position ${e.position}` : '';
    out.push(`    ${nameOf(names, e.hotkey).padEnd(10)} ${fmt(e.stake, 0).padStart(5)}  ${e.repo ?? '—'} @ ${(e.commit ?? '').slice(0, 10)}${pos}`);
  }
  for (const r of b.rounds) {
    out.push(`  round ${r.number} — ${r.isFinal ? 'boss round (final, the champion\'s code plays every task)' : r.kind === 'group' ? 'groups' : 'knockout pairs'} — ${r.status}`);
    for (const c of r.containers) {
      const members = [...c.members];
      if (r.isFinal && burn && !members.includes(burn)) members.push(burn);
      out.push(`    ${r.kind === 'group' ? 'group' : 'pair'} ${c.id.split('_').slice(-1)[0]}: ${members.map((h) => nameOf(names, h)).join(' v ')}`);
      for (const task of r.tasks.filter((x) => x.container === c.id)) {
        out.push(`      task ${short(task.taskId)} ${task.taskType.padEnd(16)} ${task.status}`);
        for (const x of task.results) {
          out.push(`        ${nameOf(names, x.hotkey).padEnd(10)} training ${(x.trainingStatus ?? '—').padEnd(8)} test ${fmt(x.testLoss)} synth ${fmt(x.synthLoss)} score ${fmt(x.score, 3)}${x.reason ? ` ${x.reason.slice(0, 50)}` : ''}`);
        }
        if (task.copy) out.push(`        general-network copy ${short(task.copy.taskId)} ${task.copy.status}${task.copy.bestHotkey ? `: best ${nameOf(names, task.copy.bestHotkey)} test ${fmt(task.copy.bestLoss)}` : ''}`);
      }
    }
    if (r.advanced.length > 0) out.push(`    ${r.isFinal ? 'won' : 'advanced'}: ${r.advanced.map((h) => nameOf(names, h)).join(', ')}`);
  }
  const defended = t.winner_hotkey !== null && t.winner_hotkey === burn;
  out.push(`  champion: ${nameOf(names, b.champion)}${defended ? ' (the defending champion\'s code won the boss round)' : ''}`);
  return out;
}
