/**
 * Pyodide memory snapshot taken right after the harness is loaded, so a new sandbox process starts in well under a
 * second instead of booting CPython (4–10 s on a loaded 2-core box; see bench/RESULTS.md).
 *
 * The snapshot is made by a sandbox child under the same isolation as every other (no user code has run in it) and
 * sent to us over its stdout; we store it in a private folder keyed by everything that shapes its content.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childScript, harnessPath, pyodideDir } from './isolation.ts';
import { SandboxProcess, type ProcessOptions } from './process.ts';

export function defaultSnapshotDir(): string {
  return join(tmpdir(), 'god-sandbox-snapshots');
}

/** Content key: Pyodide version, Node version, and the two files that run before the snapshot is taken. */
export function snapshotKey(): string {
  const pyodideVersion = (JSON.parse(readFileSync(join(pyodideDir(), 'package.json'), 'utf8')) as { version: string }).version;
  const hash = createHash('sha256');
  hash.update(`${pyodideVersion}\0${process.version}\0`);
  hash.update(readFileSync(harnessPath));
  hash.update(readFileSync(childScript));
  return hash.digest('hex').slice(0, 32);
}

/**
 * Returns the path of a snapshot for the current code, making it when missing. `options` describes the process that
 * makes it (its `childConfig` is overridden to make a snapshot).
 */
export async function ensureSnapshot(dir: string, options: ProcessOptions): Promise<{ path: string; madeMs: number | null }> {
  const path = join(dir, `pyodide-${snapshotKey()}.snap`);
  if (existsSync(path)) return { path, madeMs: null };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const started = performance.now();
  const { process: maker, snapshot } = await SandboxProcess.start({
    ...options,
    name: `${options.name}-snapshot`,
    maxLineBytes: 256 * 2 ** 20,
    childConfig: { ...options.childConfig, makeSnapshot: true, loadSnapshotPath: null },
  });
  maker.kill();
  if (!snapshot || snapshot.length === 0) throw new Error('the snapshot process sent no snapshot');
  // Write then rename, so concurrent makers (parallel test files) never expose a half-written file.
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(temporary, snapshot, { mode: 0o600 });
  renameSync(temporary, path);
  pruneOldSnapshots(dir, path);
  return { path, madeMs: Math.round(performance.now() - started) };
}

/** Snapshots of other code versions (31 MB each) go once unused for an hour; a running pool has its file open. */
function pruneOldSnapshots(dir: string, keep: string): void {
  const cutoff = Date.now() - 3_600_000;
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    if (file === keep || !/^pyodide-[0-9a-f]+\.snap(\..*\.tmp)?$/.test(name)) continue;
    try {
      if (statSync(file).mtimeMs < cutoff) rmSync(file, { force: true });
    } catch {
      // removed concurrently
    }
  }
}
