/**
 * A throwaway PostgreSQL server from Debian's binaries, for benches that compare PGlite with Postgres when
 * no TEST_DATABASE_URL/DATABASE_URL is given. fsync stays on, so Postgres pays for durable commits.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** Starts the server; returns its URL and a stop function, or why there is none. */
export async function temporaryPostgres(label: string): Promise<{ url: string; socketUrl: string; stop: () => void } | string> {
  const base = '/usr/lib/postgresql';
  const version = existsSync(base) ? readdirSync(base).sort((a, b) => Number(b) - Number(a))[0] : undefined;
  const bin = version ? join(base, version, 'bin') : undefined;
  if (!bin || !existsSync(join(bin, 'initdb'))) return 'no PostgreSQL binaries under /usr/lib/postgresql (apt-get install postgresql)';
  const dir = mkdtempSync(join(tmpdir(), `god-bench-${label}-pg-`));
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  // As root, the server must run as the postgres user (initdb refuses root).
  const run = (cmd: string, args: string[]) => {
    const r = asRoot
      ? spawnSync('su', ['postgres', '-c', [cmd, ...args].map((a) => `'${a}'`).join(' ')], { encoding: 'utf8' })
      : spawnSync(cmd, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr || r.stdout}`);
  };
  if (asRoot) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString()), 0);
  run(join(bin, 'initdb'), ['-D', dir, '-A', 'trust', '-U', 'postgres']);
  run(join(bin, 'pg_ctl'), ['-D', dir, '-o', `-c listen_addresses=127.0.0.1 -p ${port} -k /tmp -c fsync=on`, '-l', join(dir, 'log'), '-w', 'start']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    // The same server over its Unix socket (in /tmp), as a validator on the database's host would connect.
    socketUrl: `postgres://postgres@/postgres?host=/tmp&port=${port}`,
    stop: () => {
      run(join(bin, 'pg_ctl'), ['-D', dir, '-m', 'fast', 'stop']);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
