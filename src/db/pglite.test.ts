/**
 * PGlite specifics: one process per data directory, clear errors for directories it cannot use, and a data
 * directory that survives kill -9 in the middle of writes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openDb, resolveDbTarget } from './index.ts';
import { openPglite } from './pglite.ts';
import { getTask, insertTask } from './queries/tasks.ts';
import { openTestDb } from './testing.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WRITER = fileURLToPath(new URL('./test-support/pglite-writer.ts', import.meta.url));

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'god-pglite-test-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A migrated data directory of our own (a copy of the test template). */
async function migratedDir(): Promise<string> {
  const t = await openTestDb('pglite', { onDisk: true });
  await t.db.close();
  const dir = join(tempDir(), 'db');
  cpSync(t.location, dir, { recursive: true });
  await t.cleanup();
  return dir;
}

function runGod(args: string[], env: Record<string, string>, asNobody: boolean): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/god.js', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env, DATABASE_URL: '' },
      ...(asNobody ? { uid: 65534, gid: 65534 } : {}),
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('opening a PGlite data directory', () => {
  it('defaults to $GOD_HOME/db, ./.god/db without GOD_HOME, and Postgres when DATABASE_URL is set', () => {
    expect(resolveDbTarget({ env: { GOD_HOME: '/srv/god' } })).toEqual({
      driver: 'pglite',
      dataDir: '/srv/god/db',
      location: '/srv/god/db',
    });
    expect(resolveDbTarget({ env: {} }).location).toBe(join(process.cwd(), '.god', 'db'));
    const pgTarget = resolveDbTarget({ env: { DATABASE_URL: 'postgres://god:secret@db:5432/god', GOD_HOME: '/x' } });
    expect(pgTarget.driver).toBe('postgres');
    expect(pgTarget.location).toBe('postgres://god:***@db:5432/god');
    expect(resolveDbTarget({ dataDir: '/d', env: { DATABASE_URL: 'postgres://h/db' } }).driver).toBe('pglite');
  });

  it('a regular file where the directory should be is a one-line error naming the path', async () => {
    const file = join(tempDir(), 'plain-file');
    writeFileSync(file, 'x');
    const under = await openDb({ dataDir: join(file, 'db') }).catch((e: unknown) => e as Error);
    expect((under as Error).message).toBe(`database directory ${join(file, 'db')} cannot be created (ENOTDIR)`);
    const itself = await openDb({ dataDir: file }).catch((e: unknown) => e as Error);
    expect((itself as Error).message).toBe(`database directory ${file} is not a directory`);
  });

  it('a directory the process may not write is a one-line error naming the path (checked as an unprivileged user)', async () => {
    const root = tempDir();
    chmodSync(root, 0o755);
    const dir = (name: string, mode: number) => {
      const path = join(root, name);
      mkdirSync(path, { recursive: true });
      chmodSync(path, mode);
      return path;
    };
    // Root ignores permission bits, so as root the command runs as `nobody`, like an operator without access.
    const asNobody = process.getuid?.() === 0;
    const god = (home: string) => runGod(['db', 'migrate'], { GOD_HOME: home }, asNobody);

    const readonlyHome = dir('a', 0o555);
    const missing = await god(readonlyHome);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`god: database directory ${join(readonlyHome, 'db')} cannot be created (EACCES)\n`);

    dir('b', 0o777);
    const readonlyDb = dir('b/db', 0o555);
    const unwritable = await god(join(root, 'b'));
    expect(unwritable.code).toBe(1);
    expect(unwritable.stderr).toBe(`god: database directory ${readonlyDb} is not writable (EACCES)\n`);

    const writableDb = dir('c/db', 0o777);
    chmodSync(join(root, 'c'), 0o555);
    const noLock = await god(join(root, 'c'));
    expect(noLock.code).toBe(1);
    expect(noLock.stderr).toBe(
      `god: database directory ${writableDb} cannot be locked: ${join(root, 'c')} is not writable (EACCES)\n`,
    );
  }, 120_000);

  it('one process per directory: a second open is refused, a lock left by a dead process is taken over', async () => {
    const dir = await migratedDir();
    const db = await openPglite({ dataDir: dir });
    await expect(openPglite({ dataDir: dir })).rejects.toThrow(
      `database directory ${dir} is in use: this process already has it open`,
    );
    await db.close();
    expect(existsSync(`${dir}.lock`)).toBe(false);
    writeFileSync(`${dir}.lock`, '2147483646'); // no such pid
    const again = await openPglite({ dataDir: dir });
    await again.close();
  });
});

describe('kill -9 in the middle of PGlite writes', () => {
  function startWriter(dir: string): { child: ChildProcess; committed: () => number; waitFor: (n: number) => Promise<void> } {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir], { cwd: ROOT });
    let last = 0;
    let stderr = '';
    let buffer = '';
    child.stdout?.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        const m = /^committed (\d+)$/.exec(line);
        if (m) last = Number(m[1]);
      }
    });
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    cleanups.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    return {
      child,
      committed: () => last,
      waitFor: (n) =>
        new Promise((resolve, reject) => {
          const timer = setInterval(() => {
            if (last >= n) {
              clearInterval(timer);
              resolve();
            } else if (child.exitCode !== null) {
              clearInterval(timer);
              reject(new Error(`writer exited early (${child.exitCode}): ${stderr}`));
            }
          }, 20);
        }),
    };
  }

  it('reopens intact with every reported commit present, twice in a row', async () => {
    const dir = await migratedDir();
    let reported = 0;
    for (const round of [1, 2]) {
      const writer = startWriter(dir);
      await writer.waitFor(reported + 15);
      // Kill while it is writing: it commits continuously, so the signal lands mid-transaction or mid-flush.
      writer.child.kill('SIGKILL');
      await new Promise((r) => writer.child.once('exit', r));
      reported = writer.committed();

      const db = await openDb({ dataDir: dir });
      try {
        const { rows } = await db.query<{ tasks: number; subtype: number; created: number; orphans: number }>(
          `SELECT (SELECT count(*) FROM tasks) AS tasks,
                  (SELECT count(*) FROM instruct_text_tasks) + (SELECT count(*) FROM chat_tasks) AS subtype,
                  (SELECT count(*) FROM task_events WHERE event_type = 'created') AS created,
                  (SELECT count(*) FROM tasks t
                     LEFT JOIN instruct_text_tasks i USING (task_id) LEFT JOIN chat_tasks c USING (task_id)
                    WHERE i.task_id IS NULL AND c.task_id IS NULL) AS orphans`,
        );
        const counts = rows[0];
        // Every commit the child reported is there (it may have committed a few more that it had no time
        // to report before the signal).
        expect(counts?.tasks, `round ${round}`).toBeGreaterThanOrEqual(reported);
        // No half transaction: each task has its subtype row and its creation event.
        expect(counts?.subtype).toBe(counts?.tasks);
        expect(counts?.created).toBe(counts?.tasks);
        expect(counts?.orphans).toBe(0);
        // Still writable and readable through the normal queries.
        const t = await insertTask(db, {
          task_type: 'ChatTask',
          is_organic: false,
          status: 'pending',
          model_id: 'm',
          ds: 'd',
          account_id: '00000000-0000-0000-0000-000000000000',
          hours_to_complete: 1,
          created_at: new Date().toISOString(),
        });
        expect((await getTask(db, t.task_id as string))?.task_type).toBe('ChatTask');
        reported = (counts?.tasks ?? 0) + 1;
      } finally {
        await db.close();
      }
    }
  }, 240_000);
});
