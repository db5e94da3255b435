/**
 * `god tournament`: the tournaments in the project database — a list, one tournament's bracket (groups, pairs,
 * per-task results, boss round, winner) and, for operators, creating one now. The running validator's tournament
 * loops do the rest (entry, rounds, trainings); this command only reads and writes the database.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Config } from '../../config/schema.ts';
import type { Db } from '../../db/types.ts';
import type { Bracket } from '../../tournament/admin.ts';
import type { TaskResult } from '../../tournament/results.ts';

export interface TournamentCommandDeps {
  /** Opens the project database (migrated); default: DATABASE_URL, else PGlite under GOD_HOME. */
  openDb: () => Promise<Db>;
  out: (text: string) => void;
  /** Default: the project configuration. */
  loadConfig?: () => Config;
}

const defaultDeps: TournamentCommandDeps = {
  openDb: async () => (await import('../../db/index.ts')).openDb({ migrate: true }),
  out: (text) => process.stdout.write(text),
};

const TYPES = ['text', 'image'] as const;
const STATUSES = ['pending', 'active', 'completed', 'cancelled'] as const;

async function configOf(deps: TournamentCommandDeps): Promise<Config> {
  if (deps.loadConfig) return deps.loadConfig();
  const { loadConfig } = await import('../../config/index.ts');
  return loadConfig().config;
}

async function withDb<T>(deps: TournamentCommandDeps, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await deps.openDb();
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : '-');

function wholeNumber(raw: string): number {
  if (!/^\d+$/.test(raw)) throw new InvalidArgumentError('must be a whole number');
  return Number(raw);
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd()).join('\n') + '\n';
}

const num = (v: number | null) => (v === null ? '-' : Number.isInteger(v) ? String(v) : v.toFixed(4));

/** The bracket as text: who played whom, each task's scores and winner, and how it ended. */
export function formatBracket(b: Bracket): string {
  const t = b.tournament;
  const name = (hotkey: string) => (hotkey === b.placeholder ? `${hotkey} (defending champion${t.base_winner_hotkey && t.base_winner_hotkey !== b.placeholder ? ` ${t.base_winner_hotkey}` : ''})` : hotkey);
  const lines: string[] = [];
  lines.push(`tournament ${t.tournament_id} (${t.tournament_type}) — ${t.status}`);
  lines.push(`created ${iso(t.created_at)}; completed ${iso(t.completed_at)}`);
  lines.push(`defending champion: ${t.base_winner_hotkey ?? '-'} (plays as ${b.placeholder})`);
  const entrants = b.participants.filter((p) => p.hotkey !== b.placeholder);
  lines.push(`participants: ${entrants.length}`);
  const roundNo = new Map(b.rounds.map((r) => [r.roundId, r.number]));
  for (const p of entrants) {
    const fate = p.final_position !== null ? `position ${p.final_position}` : p.eliminated_in_round_id ? `out in round ${roundNo.get(p.eliminated_in_round_id) ?? p.eliminated_in_round_id}` : 'in play';
    lines.push(`  ${p.hotkey}  stake ${num(p.stake_required)}  ${fate}  ${p.training_repo ?? '-'}@${(p.training_commit_hash ?? '-').slice(0, 8)}`);
  }
  const taskLines = (tasks: TaskResult[], indent: string) => {
    for (const x of tasks) {
      lines.push(`${indent}task ${x.task_id} ${x.task_type} ${x.status} → winner ${x.winner ? name(x.winner) : '-'}`);
      for (const s of x.participant_scores) {
        lines.push(`${indent}  ${s.hotkey}  quality ${num(s.quality_score)}  test_loss ${num(s.test_loss)}  synth_loss ${num(s.synth_loss)}${s.score_reason ? `  (${s.score_reason})` : ''}`);
      }
    }
  };
  for (const r of b.rounds) {
    lines.push(`round ${r.number}: ${r.type}${r.bossRound ? ' — final (boss round against the defending champion)' : ''} — ${r.status}`);
    for (const g of r.groups) {
      lines.push(`  group ${g.groupId}: ${g.members.map(name).join(', ')}`);
      taskLines(g.tasks, '    ');
    }
    for (const p of r.pairs) {
      lines.push(`  pair ${p.pairId}: ${name(p.hotkeys[0])} vs ${name(p.hotkeys[1])}`);
      taskLines(p.tasks, '    ');
    }
  }
  if (t.status === 'completed') {
    lines.push(b.defended ? `winner: ${b.winner ?? '-'} (the defending champion kept the title)` : `winner: ${b.winner ?? '-'}`);
  } else {
    lines.push('winner: not decided yet');
  }
  return lines.join('\n') + '\n';
}

export function registerTournament(program: Command, deps: TournamentCommandDeps = defaultDeps): void {
  const cmd = program
    .command('tournament')
    .description('tournaments in the project database: list them, show a bracket, create one now (the validator runs them)')
    .addHelpText('after', '\nUses the project database (DATABASE_URL, else PGlite under GOD_HOME), as `god validator` does.\nSee docs/tournament.md.\n');

  cmd
    .command('list')
    .description('tournaments, newest first: id, type, status, defending champion, winner')
    .addOption(new Option('--type <type>', 'only text or image tournaments').choices(TYPES))
    .addOption(new Option('--status <status>', 'only tournaments in this status').choices(STATUSES))
    .option('--json', 'print JSON instead of a table', false)
    .action(async (opts: { type?: (typeof TYPES)[number]; status?: (typeof STATUSES)[number]; json: boolean }) => {
      const { tournamentList } = await import('../../tournament/admin.ts');
      const rows = await withDb(deps, (db) => tournamentList(db, { ...(opts.type ? { type: opts.type } : {}), ...(opts.status ? { status: opts.status } : {}) }));
      if (opts.json) {
        deps.out(
          JSON.stringify(
            rows.map((t) => ({
              tournament_id: t.tournament_id,
              tournament_type: t.tournament_type,
              status: t.status,
              base_winner_hotkey: t.base_winner_hotkey,
              winner_hotkey: t.winner_hotkey,
              created_at: t.created_at.toISOString(),
              completed_at: t.completed_at?.toISOString() ?? null,
            })),
            null,
            2,
          ) + '\n',
        );
        return;
      }
      if (!rows.length) {
        deps.out('no tournaments\n');
        return;
      }
      deps.out(
        table([
          ['TOURNAMENT', 'TYPE', 'STATUS', 'CREATED', 'COMPLETED', 'CHAMPION', 'WINNER'],
          ...rows.map((t) => [t.tournament_id, t.tournament_type, t.status, iso(t.created_at), iso(t.completed_at), t.base_winner_hotkey ?? '-', t.winner_hotkey ?? '-']),
        ]),
      );
    });

  cmd
    .command('show')
    .description('one tournament: participants, rounds with their groups or pairs, per-task results, boss round, winner')
    .argument('<tournament_id>', 'the tournament (see `god tournament list`)')
    .option('--netuid <n>', 'subnet whose scores are read (default: protocol.netuid)', wholeNumber)
    .option('--json', 'print JSON instead of text', false)
    .action(async (id: string, opts: { netuid?: number; json: boolean }) => {
      const config = await configOf(deps);
      const { tournamentBracket } = await import('../../tournament/admin.ts');
      const bracket = await withDb(deps, (db) => tournamentBracket(db, id, opts.netuid ?? config.protocol.netuid, config.scoring));
      if (!bracket) throw new Error(`no tournament ${JSON.stringify(id)}`);
      deps.out(opts.json ? JSON.stringify(bracket, null, 2) + '\n' : formatBracket(bracket));
    });

  cmd
    .command('schedule')
    .description('admin: create a pending tournament now, without waiting for the interval (the validator enters miners)')
    .addOption(new Option('--type <type>', 'text or image').choices(TYPES).makeOptionMandatory())
    .addHelpText('after', '\nRefused while a tournament of that type is pending or active. The tournament starts when a validator with\ntournaments on (god validator, orchestrator.enabled) takes it up: entry, rounds and trainings are its loops.\n')
    .action(async (opts: { type: (typeof TYPES)[number] }) => {
      const config = await configOf(deps);
      const [{ scheduleTournamentNow }, { clockFromEnv }, { mathRandom }, { listTournaments }] = await Promise.all([
        import('../../tournament/admin.ts'),
        import('../../clock/index.ts'),
        import('../../validator/rng.ts'),
        import('../../db/queries/tournament-lifecycle.ts'),
      ]);
      await withDb(deps, async (db) => {
        const id = await scheduleTournamentNow(db, opts.type, {
          clock: clockFromEnv(),
          random: mathRandom,
          netuid: config.protocol.netuid,
          rules: config.tournament,
          scoring: config.scoring,
        });
        if (!id) {
          const [open] = await listTournaments(db, ['pending', 'active'], opts.type);
          throw new Error(`a ${opts.type} tournament is already ${open?.status ?? 'open'}${open ? `: ${open.tournament_id}` : ''}`);
        }
        deps.out(`created ${opts.type} tournament ${id} (pending; a validator running tournaments enters miners)\n`);
      });
    });
}

export const register = (program: Command) => registerTournament(program);
