/**
 * The devnet chain's state file: one JSON document, replaced atomically (write a temporary file beside it,
 * fsync, rename over the old one), so a crash leaves either the old state or the new one, never a torn file.
 * Saves are serialised: at most one write in flight, and a save requested meanwhile writes the newest state once
 * the current write ends.
 */
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DevnetStateSchema, type DevnetState } from './state.ts';

export class StateFileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StateFileError';
  }
}

/** The state in the file, null when there is no file; a file that does not parse is an error (never overwritten silently). */
export async function readStateFile(path: string): Promise<DevnetState | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new StateFileError(`devnet chain state ${path} is not JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = DevnetStateSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new StateFileError(`devnet chain state ${path} is invalid at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'unknown'}`);
  }
  return parsed.data;
}

async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const handle = await open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

export class StateFile {
  readonly path: string;
  private writing: Promise<void> | undefined;
  private pending: string | undefined;

  constructor(path: string) {
    this.path = path;
  }

  /** Resolves once a state at least as new as `state` is on disk. */
  save(state: DevnetState): Promise<void> {
    this.pending = JSON.stringify(state);
    if (!this.writing) this.writing = this.drain().finally(() => (this.writing = undefined));
    return this.writing;
  }

  private async drain(): Promise<void> {
    while (this.pending !== undefined) {
      const text = this.pending;
      this.pending = undefined;
      await writeAtomically(this.path, text);
    }
  }
}
