/**
 * Publishing winners with the real git binary against local bare repositories: the snapshot is one commit on a
 * fresh main, re-publishing replaces it, and the lifecycle's publish pass records the copy that the next
 * tournament's champion then trains from, at the exact pushed commit.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock/index.ts';
import { openTestDb, type TestDb } from '../db/testing.ts';
import { silentLogger } from '../log/index.ts';
import { seededRandom } from '../validator/rng.ts';
import { tournamentContext } from './context.ts';
import { championFor, publishPass } from './lifecycle.ts';
import { GitPublisher, publishedDescription } from './publish.ts';

let root: string;
let source: string;
let commits: string[];
const env = { ...process.env, GIT_AUTHOR_NAME: 'm', GIT_AUTHOR_EMAIL: 'm@x', GIT_COMMITTER_NAME: 'm', GIT_COMMITTER_EMAIL: 'm@x', GIT_CONFIG_GLOBAL: '/dev/null' };
const git = (args: string[], cwd: string) => execFileSync('git', args, { cwd, env, encoding: 'utf8' }).trim();
const policy = { allowedHosts: ['github.com'], allowLocal: true, localRoots: [] as string[] };

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'god-publish-test-'));
  source = join(root, 'miner-repo');
  mkdirSync(join(source, 'dockerfiles'), { recursive: true });
  git(['init', '-q', '-b', 'main'], source);
  writeFileSync(join(source, 'dockerfiles', 'standalone-text-trainer.dockerfile'), 'FROM scratch\n');
  git(['add', '-A'], source);
  git(['commit', '-q', '-m', 'first'], source);
  writeFileSync(join(source, 'train.py'), 'print("secret sauce")\n');
  git(['add', '-A'], source);
  git(['commit', '-q', '-m', 'second'], source);
  commits = git(['rev-list', '--reverse', 'HEAD'], source).split('\n');
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('GitPublisher', () => {
  it('pushes the tree at the entered commit as a single squashed commit, and replaces it on re-publish', async () => {
    const remote = join(root, 'published');
    const p = new GitPublisher({ remoteBase: remote, repoPolicy: policy, timeoutMs: 30_000 });
    const req = { tournamentId: 'tourn_0123456789abcdef_20250801', type: 'text' as const, hotkey: '5Abc', position: 1, repo: source, commit: commits[0]! };
    const out = await p.publish(req);
    expect(out.url).toBe(join(remote, 'god-text-tourn-0123456789abcdef-20250801-position-1.git'));
    const log = git(['--git-dir', out.url, 'log', '--format=%H %s', 'main'], root).split('\n');
    expect(log).toEqual([`${out.commit} Tournament winner repository - Commit: ${commits[0]!.slice(0, 8)}`]);
    expect(git(['--git-dir', out.url, 'ls-tree', '-r', '--name-only', 'main'], root).split('\n')).toEqual(['dockerfiles/standalone-text-trainer.dockerfile']);

    const again = await p.publish({ ...req, commit: commits[1]! });
    expect(git(['--git-dir', again.url, 'rev-list', '--count', 'main'], root)).toBe('1');
    expect(git(['--git-dir', again.url, 'ls-tree', '-r', '--name-only', 'main'], root).split('\n').sort()).toEqual(['dockerfiles/standalone-text-trainer.dockerfile', 'train.py']);
    expect(publishedDescription({ ...req, position: 2 })).toBe('G.O.D Text Tournament 2nd Place - tourn_0123456789abcdef_20250801 - Participant: 5Abc');
  });

  it('refuses a repo outside the policy and a commit that is not a full sha', async () => {
    const p = new GitPublisher({ remoteBase: join(root, 'x'), repoPolicy: { ...policy, allowLocal: false }, timeoutMs: 30_000 });
    await expect(p.publish({ tournamentId: 't', type: 'text', hotkey: 'h', position: 1, repo: source, commit: commits[0]! })).rejects.toThrow(/local repositories/);
    const q = new GitPublisher({ remoteBase: join(root, 'x'), repoPolicy: policy, timeoutMs: 30_000 });
    await expect(q.publish({ tournamentId: 't', type: 'text', hotkey: 'h', position: 1, repo: source, commit: 'abc' })).rejects.toThrow(/40-hex/);
    expect(() => new GitPublisher({ remoteBase: 'relative/dir', repoPolicy: policy })).toThrow();
  });
});

describe('publishPass', () => {
  let t: TestDb;
  afterAll(async () => t?.cleanup());

  it('publishes positions 1 and 2 of a completed tournament once, and the next champion trains the published copy', async () => {
    t = await openTestDb('pglite');
    const clock = new ManualClock(Date.UTC(2025, 7, 1));
    const remote = join(root, 'published-pass');
    const ctx = tournamentContext({
      db: t.db,
      clock,
      log: silentLogger(),
      random: seededRandom(1),
      netuid: 56,
      repoPolicy: policy,
      repos: { get: async () => null },
      tasks: { create: async () => { throw new Error('unused'); } },
      trainers: { startTraining: async () => ({ kind: 'started' }), gpuAvailability: async () => [], taskDetails: async () => null },
      publisher: new GitPublisher({ remoteBase: remote, repoPolicy: policy, timeoutMs: 30_000 }),
    });
    const tid = 'tourn_00000000000000aa_20250801';
    await t.db.query(`INSERT INTO tournaments (tournament_id, tournament_type, status, winner_hotkey, completed_at, next_attempt_at) VALUES ($1, 'text', 'completed', 'winner', $2, $2)`, [tid, clock.date()]);
    await t.db.query(
      `INSERT INTO tournament_participants (tournament_id, hotkey, training_repo, training_commit_hash, final_position) VALUES ($1, 'winner', $2, $3, 1), ($1, 'second', $2, $4, 2), ($1, 'third', $2, $4, NULL)`,
      [tid, source, commits[1], commits[0]],
    );
    expect(await publishPass(ctx)).toBe(true);
    expect(await publishPass(ctx)).toBe(false);
    const rows = (await t.db.query<{ hotkey: string; backup_repo: string | null; backup_commit_hash: string | null }>('SELECT hotkey, backup_repo, backup_commit_hash FROM tournament_participants ORDER BY hotkey')).rows;
    expect(rows.find((r) => r.hotkey === 'third')?.backup_repo).toBeNull();
    const winner = rows.find((r) => r.hotkey === 'winner')!;
    expect(winner.backup_repo).toBe(join(remote, 'god-text-tourn-00000000000000aa-20250801-position-1.git'));
    expect(git(['--git-dir', winner.backup_repo!, 'rev-parse', 'main'], root)).toBe(winner.backup_commit_hash);
    expect(rows.find((r) => r.hotkey === 'second')?.backup_repo).toContain('position-2.git');
    expect(await championFor(ctx, 'text')).toEqual({ baseWinnerHotkey: 'winner', repo: winner.backup_repo, commit: winner.backup_commit_hash });
  });
});
