/**
 * The embedded model hub: repositories with a revision history and content-addressed files.
 *
 *   <root>/objects/<ab>/<sha256>                   file contents, immutable, shared by every repo (dedupe)
 *   <root>/repos/<owner>/<name>/repo.json          {id, created_at}
 *   <root>/repos/<owner>/<name>/revisions/<sha>.json  {sha, parent, message, date, files[{path,size,sha256}]}
 *   <root>/repos/<owner>/<name>/main.json          {sha}: the head of main
 *   <root>/repos/<owner>/<name>/.lock              held while a revision is added
 *   <root>/tmp/                                    partial writes
 *
 * An upload writes its objects, then the revision record, then replaces `main.json` (atomic rename): that
 * rename is the commit. A crash before it leaves `main` where it was, plus unreferenced objects and an
 * unreachable revision record, neither of which is ever shown (revisions are found by walking from `main`).
 * Metadata lives in files rather than the database because miners, which have no validator database, own
 * their repositories, and because the Hugging Face adapter that replaces this has no database either.
 */
import { createReadStream } from 'node:fs';
import { access, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { systemClock } from '../../clock/index.ts';
import type { Clock } from '../../clock/index.ts';
import { silentLogger } from '../../log/index.ts';
import type { Logger } from '../../log/index.ts';
import { StorageError } from '../errors.ts';
import { readJsonFile, sha256Hex, spoolToTemp, sweepDeadTemps, writeFileAtomic, writeJsonAtomic } from '../fsutil.ts';
import type { ByteSource } from '../fsutil.ts';
import { withLockFile } from '../lock.ts';
import { KeyedMutex } from '../mutex.ts';
import { parseRepoFilePath, parseRepoId, parseRevision, resolveInside, splitRepoId } from '../names.ts';
import { byPath, nextTree, revisionSha, toRepoFiles } from './commit.ts';
import type { TreeEntry } from './commit.ts';
import { RESERVED_OWNERS } from './wire.ts';
import type { DownloadResult, ModelHub, RepoInfo, RevisionOptions, RevisionSummary, UploadFile, UploadOptions } from './types.ts';

export const DEFAULT_HUB_MAX_FILE_BYTES = 2_147_483_646;
export const INITIAL_COMMIT_MESSAGE = 'initial commit';
const MAX_MESSAGE_CHARS = 10_000;

const Sha = z.string().regex(/^[0-9a-f]{64}$/);
const RepoRecord = z.object({ id: z.string(), created_at: z.string() });
const MainRecord = z.object({ sha: Sha });
const RevisionRecord = z.object({
  sha: Sha,
  parent: Sha.nullable(),
  message: z.string(),
  date: z.string(),
  files: z.array(z.object({ path: z.string(), size: z.number().int().nonnegative(), sha256: Sha })),
});
type RevisionRecord = z.infer<typeof RevisionRecord>;

/** Points an upload can be stopped at by the crash tests. */
export type CommitPhase = 'objects-written' | 'revision-written';

export interface LocalModelHubOptions {
  root: string;
  clock?: Clock;
  logger?: Logger;
  maxFileBytes?: number;
  /** How long to wait for another process's lock on a repository (default 30 s). */
  lockTimeoutMs?: number;
  /** Called between the steps of an upload; only the crash tests use it. */
  onCommitPhase?: (phase: CommitPhase, repoId: string) => void | Promise<void>;
}

async function fileExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

export class LocalModelHub implements ModelHub {
  readonly root: string;
  readonly maxFileBytes: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly lockTimeoutMs: number;
  private readonly onCommitPhase: LocalModelHubOptions['onCommitPhase'];
  private readonly mutex = new KeyedMutex();

  private constructor(options: LocalModelHubOptions) {
    this.root = resolve(options.root);
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? silentLogger();
    this.maxFileBytes = options.maxFileBytes ?? DEFAULT_HUB_MAX_FILE_BYTES;
    this.lockTimeoutMs = options.lockTimeoutMs ?? 30_000;
    this.onCommitPhase = options.onCommitPhase;
  }

  /** Opens (creating) the hub directory and removes temporary files of writers that died. */
  static async open(options: LocalModelHubOptions): Promise<LocalModelHub> {
    const hub = new LocalModelHub(options);
    await Promise.all(['objects', 'repos', 'tmp'].map((d) => mkdir(join(hub.root, d), { recursive: true })));
    const removed = await sweepDeadTemps(join(hub.root, 'tmp'));
    if (removed > 0) hub.log.info({ removed }, 'removed partial files of interrupted hub uploads');
    return hub;
  }

  private get tmpDir(): string {
    return join(this.root, 'tmp');
  }

  private repoDir(repoId: string): string {
    const { owner, name } = splitRepoId(repoId);
    return resolveInside(join(this.root, 'repos'), `${owner}/${name}`);
  }

  objectPath(sha256: string): string {
    Sha.parse(sha256);
    return resolveInside(join(this.root, 'objects'), `${sha256.slice(0, 2)}/${sha256}`);
  }

  async hasObject(sha256: string): Promise<boolean> {
    return fileExists(this.objectPath(sha256));
  }

  async objectSize(sha256: string): Promise<number> {
    try {
      return (await stat(this.objectPath(sha256))).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new StorageError('not_found', `object ${sha256} not found`);
      throw err;
    }
  }

  /** Stores file contents under their sha256 (a no-op when already present). Returns the entry. */
  async putObject(body: ByteSource, expectedSha256?: string): Promise<{ sha256: string; size: number }> {
    const spooled = await spoolToTemp(body, this.tmpDir, this.maxFileBytes).catch((err: unknown) => {
      if (err instanceof StorageError && err.code === 'too_large') throw new StorageError('too_large', `file larger than ${this.maxFileBytes} bytes`);
      throw err;
    });
    try {
      if (expectedSha256 !== undefined && spooled.sha256 !== expectedSha256) {
        throw new StorageError('invalid', `content hashes to ${spooled.sha256}, not ${expectedSha256}`);
      }
      const target = this.objectPath(spooled.sha256);
      if (!(await fileExists(target))) {
        await mkdir(dirname(target), { recursive: true });
        await rename(spooled.path, target);
      }
      return { sha256: spooled.sha256, size: spooled.size };
    } finally {
      await rm(spooled.path, { force: true });
    }
  }

  private async putBytes(bytes: Uint8Array): Promise<TreeEntry & { path: '' }> {
    if (bytes.length > this.maxFileBytes) throw new StorageError('too_large', `file larger than ${this.maxFileBytes} bytes`);
    const sha256 = sha256Hex(bytes);
    const target = this.objectPath(sha256);
    if (!(await fileExists(target))) await writeFileAtomic(target, bytes, this.tmpDir);
    return { path: '', size: bytes.length, sha256 };
  }

  async exists(repoId: string): Promise<boolean> {
    return fileExists(join(this.repoDir(repoId), 'repo.json'));
  }

  private withRepoLock<T>(repoId: string, fn: () => Promise<T>): Promise<T> {
    return this.mutex.run(repoId, async () => {
      const dir = this.repoDir(repoId);
      await mkdir(dir, { recursive: true });
      return withLockFile(join(dir, '.lock'), fn, { timeoutMs: this.lockTimeoutMs });
    });
  }

  async createRepo(repoId: string, options: { existOk?: boolean } = {}): Promise<{ repoId: string; created: boolean }> {
    const { owner } = splitRepoId(repoId);
    // These owners would shadow the server's own routes (`/api/…`, `/blobs/…`).
    if (RESERVED_OWNERS.includes(owner)) throw new StorageError('invalid', `owner ${owner} is reserved`);
    return this.withRepoLock(repoId, async () => {
      const dir = this.repoDir(repoId);
      if (await fileExists(join(dir, 'repo.json'))) {
        if (options.existOk) return { repoId, created: false };
        throw new StorageError('conflict', `repository ${repoId} already exists`);
      }
      // Every repository starts with an empty revision, as a Hugging Face repo starts with its first commit,
      // so `sha` and `lastModified` always exist. repo.json is written last: it is what makes the repo exist.
      const date = this.clock.date().toISOString();
      const initial: RevisionRecord = { sha: revisionSha(null, []), parent: null, message: INITIAL_COMMIT_MESSAGE, date, files: [] };
      await writeJsonAtomic(join(dir, 'revisions', `${initial.sha}.json`), initial, this.tmpDir);
      await writeJsonAtomic(join(dir, 'main.json'), { sha: initial.sha }, this.tmpDir);
      await writeJsonAtomic(join(dir, 'repo.json'), { id: repoId, created_at: date }, this.tmpDir);
      this.log.info({ repo: repoId }, 'repository created');
      return { repoId, created: true };
    });
  }

  async upload(repoId: string, files: readonly UploadFile[], options: UploadOptions): Promise<RevisionSummary> {
    parseRepoId(repoId);
    for (const f of files) parseRepoFilePath(f.path);
    // Objects first, outside the lock: they are content-addressed, so writing them twice is harmless.
    const added: TreeEntry[] = [];
    for (const f of files) added.push({ ...(await this.putBytes(f.bytes)), path: f.path });
    return this.commit(repoId, added, options);
  }

  /**
   * Adds a revision whose new files are already stored as objects (the HTTP upload path stores them first).
   * Fails with `invalid` if an object is missing.
   */
  async commit(repoId: string, added: readonly TreeEntry[], options: UploadOptions): Promise<RevisionSummary> {
    parseRepoId(repoId);
    if (typeof options.message !== 'string' || options.message.length > MAX_MESSAGE_CHARS) {
      throw new StorageError('invalid', `a commit message is a string of at most ${MAX_MESSAGE_CHARS} characters`);
    }
    if (options.parentRevision !== undefined) parseRevision(options.parentRevision);
    const entries: TreeEntry[] = [];
    for (const f of added) {
      parseRepoFilePath(f.path);
      if (!(await this.hasObject(f.sha256))) throw new StorageError('invalid', `content ${f.sha256} of ${f.path} was not uploaded`);
      // The size recorded is the stored object's, whatever the caller claimed.
      entries.push({ path: f.path, sha256: f.sha256, size: await this.objectSize(f.sha256) });
    }
    await this.onCommitPhase?.('objects-written', repoId);
    return this.withRepoLock(repoId, async () => {
      const dir = this.repoDir(repoId);
      if (!(await fileExists(join(dir, 'repo.json')))) throw new StorageError('not_found', `repository ${repoId} not found`);
      const parent = await this.readRevision(repoId, await this.headSha(repoId));
      if (options.parentRevision !== undefined && options.parentRevision !== 'main' && options.parentRevision !== parent.sha) {
        throw new StorageError('conflict', `main of ${repoId} moved to ${parent.sha} since ${options.parentRevision}`);
      }
      const tree = nextTree(parent.files, entries, options);
      // Upload times strictly increase along a repository's history, even if the clock stands still.
      const date = new Date(Math.max(this.clock.now(), Date.parse(parent.date) + 1)).toISOString();
      const record: RevisionRecord = { sha: revisionSha(parent.sha, tree), parent: parent.sha, message: options.message, date, files: tree };
      await writeJsonAtomic(join(dir, 'revisions', `${record.sha}.json`), record, this.tmpDir);
      await this.onCommitPhase?.('revision-written', repoId);
      await writeJsonAtomic(join(dir, 'main.json'), { sha: record.sha }, this.tmpDir);
      this.log.info({ repo: repoId, sha: record.sha, files: tree.length }, 'revision uploaded');
      return { sha: record.sha, parent: record.parent, message: record.message, date: record.date };
    });
  }

  private async headSha(repoId: string): Promise<string> {
    const raw = await readJsonFile(join(this.repoDir(repoId), 'main.json'));
    if (raw === undefined) throw new StorageError('not_found', `repository ${repoId} not found`);
    const parsed = MainRecord.safeParse(raw);
    if (!parsed.success) throw new StorageError('corrupt', `main of ${repoId} is damaged`);
    return parsed.data.sha;
  }

  private async readRevision(repoId: string, sha: string): Promise<RevisionRecord> {
    const raw = await readJsonFile(join(this.repoDir(repoId), 'revisions', `${sha}.json`));
    if (raw === undefined) throw new StorageError('corrupt', `revision ${sha} of ${repoId} is missing`);
    const parsed = RevisionRecord.safeParse(raw);
    if (!parsed.success || parsed.data.sha !== sha) throw new StorageError('corrupt', `revision ${sha} of ${repoId} is damaged`);
    return parsed.data;
  }

  private async requireRepo(repoId: string): Promise<{ createdAt: string }> {
    parseRepoId(repoId);
    const raw = await readJsonFile(join(this.repoDir(repoId), 'repo.json'));
    if (raw === undefined) throw new StorageError('not_found', `repository ${repoId} not found`);
    const parsed = RepoRecord.safeParse(raw);
    if (!parsed.success) throw new StorageError('corrupt', `repo.json of ${repoId} is damaged`);
    return { createdAt: parsed.data.created_at };
  }

  /** The revisions of main, newest first. */
  private async history(repoId: string): Promise<RevisionRecord[]> {
    const out: RevisionRecord[] = [];
    let sha: string | null = await this.headSha(repoId);
    while (sha !== null) {
      const rev: RevisionRecord = await this.readRevision(repoId, sha);
      out.push(rev);
      sha = rev.parent;
    }
    return out;
  }

  /** `main`, or a sha that is part of main's history (a revision left behind by a crash is not). */
  private async resolveRevision(repoId: string, revision = 'main'): Promise<RevisionRecord> {
    parseRevision(revision);
    if (revision === 'main') return this.readRevision(repoId, await this.headSha(repoId));
    const found = (await this.history(repoId)).find((r) => r.sha === revision);
    if (!found) throw new StorageError('not_found', `revision ${revision} not found in ${repoId}`);
    return found;
  }

  async repoInfo(repoId: string, options: RevisionOptions = {}): Promise<RepoInfo> {
    const { createdAt } = await this.requireRepo(repoId);
    const rev = await this.resolveRevision(repoId, options.revision);
    return { id: repoId, sha: rev.sha, lastModified: rev.date, createdAt, files: toRepoFiles([...rev.files].sort(byPath)) };
  }

  async listRevisions(repoId: string): Promise<RevisionSummary[]> {
    await this.requireRepo(repoId);
    return (await this.history(repoId)).map((r) => ({ sha: r.sha, parent: r.parent, message: r.message, date: r.date }));
  }

  /** The stored entry of one file (for the HTTP layer, which streams it). */
  async fileEntry(repoId: string, path: string, options: RevisionOptions = {}): Promise<{ revision: string; entry: TreeEntry }> {
    await this.requireRepo(repoId);
    parseRepoFilePath(path);
    const rev = await this.resolveRevision(repoId, options.revision);
    const entry = rev.files.find((f) => f.path === path);
    if (!entry) throw new StorageError('not_found', `${path} not found in ${repoId}@${rev.sha}`);
    return { revision: rev.sha, entry };
  }

  async getFile(repoId: string, path: string, options: RevisionOptions = {}): Promise<Uint8Array> {
    const { entry } = await this.fileEntry(repoId, path, options);
    const bytes = await readFile(this.objectPath(entry.sha256));
    if (sha256Hex(bytes) !== entry.sha256) throw new StorageError('corrupt', `stored content of ${repoId}/${path} does not match its sha256`);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  async download(repoId: string, options: RevisionOptions, destDir: string): Promise<DownloadResult> {
    const info = await this.repoInfo(repoId, options);
    const written: string[] = [];
    for (const file of info.files) {
      const target = resolveInside(destDir, file.path);
      await mkdir(dirname(target), { recursive: true });
      const spooled = await spoolToTemp(createReadStream(this.objectPath(file.sha256 as string)), dirname(target), Number.MAX_SAFE_INTEGER);
      if (spooled.sha256 !== file.sha256) {
        await rm(spooled.path, { force: true });
        throw new StorageError('corrupt', `stored content of ${repoId}/${file.path} does not match its sha256`);
      }
      await rename(spooled.path, target);
      written.push(target);
    }
    return { sha: info.sha, files: written };
  }
}
