/**
 * `ModelHub` on the Hugging Face Hub, as the original's miners and validator use it (`create_repo`,
 * `upload_folder`, `model_info`, `snapshot_download`), over the Hub's documented HTTP API:
 *
 *   repo info       GET  /api/models/{id}[/revision/{rev}]?blobs=true   (lastModified = upload time of that revision)
 *   history         GET  /api/models/{id}/commits/{rev}                 (newest first, paginated by Link)
 *   download        GET  /{id}/resolve/{rev}/{path}                     (LFS files redirect to a CDN)
 *   create          POST /api/repos/create
 *   upload          POST /api/models/{id}/preupload/main                (which files go through LFS)
 *                   POST /{id}.git/info/lfs/objects/batch               (+ PUT to the upload href, POST verify)
 *                   POST /api/models/{id}/commit/main                   (NDJSON: header, file, lfsFile, deletedFile)
 *
 * Revision ids are the Hub's 40-hex git commit ids (64-hex ids are passed through for hubs that use them). The
 * sha256 of a file is known for LFS files only (`lfs.sha256`); downloads of the others are checked against their
 * git blob id instead, so every byte that arrives is verified against something the Hub announced.
 */
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { StorageError } from '../errors.ts';
import { sha256Hex } from '../fsutil.ts';
import { fromModelInfoWire } from '../hub/client.ts';
import { nextTree } from '../hub/commit.ts';
import { downloadRevision } from '../hub/files.ts';
import type { DownloadResult, ModelHub, RepoInfo, RevisionOptions, RevisionSummary, UploadFile, UploadOptions } from '../hub/types.ts';
import { CommitListWire, CommitResponse, ModelInfoWire } from '../hub/wire.ts';
import type { CommitLine } from '../hub/wire.ts';
import { parseRepoFilePath, parseRepoId, splitRepoId } from '../names.ts';
import { HfHttp } from './http.ts';
import type { HfHttpOptions } from './http.ts';
import { HfCreateRepoResponse, LfsBatchResponse, nextLink, PreuploadResponse } from './wire.ts';
import type { LfsBatchRequest, PreuploadRequest } from './wire.ts';

export type HuggingFaceHubOptions = Omit<HfHttpOptions, 'endpoint'> & {
  /** Default `https://huggingface.co`. */
  endpoint?: string;
};

/** `main`, a 40-hex git commit id, or a 64-hex id (hubs that name revisions by sha256). */
export function parseHfRevision(revision: unknown): string {
  if (typeof revision === 'string' && (revision === 'main' || /^[0-9a-f]{40}$/.test(revision) || /^[0-9a-f]{64}$/.test(revision))) return revision;
  throw new StorageError('invalid', `revision ${JSON.stringify(revision)}: a revision is "main" or a full commit id (40 or 64 lowercase hex)`);
}

/** The git blob id of `bytes` (what the Hub reports as `blobId`/`ETag` for files stored without LFS). */
export function gitBlobId(bytes: Uint8Array): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/');
const LFS_JSON = 'application/vnd.git-lfs+json';
/** huggingface_hub sends at most this many files per preupload call. */
const PREUPLOAD_CHUNK = 256;

export class HuggingFaceHub implements ModelHub {
  readonly http: HfHttp;

  constructor(options: HuggingFaceHubOptions = {}) {
    this.http = new HfHttp({ ...options, endpoint: options.endpoint ?? 'https://huggingface.co' });
  }

  private async json<S extends z.ZodType>(schema: S, res: Response, what: string): Promise<z.output<S>> {
    const parsed = schema.safeParse(await res.json().catch(() => undefined));
    if (!parsed.success) throw new StorageError('unavailable', `hugging face answered ${what} with an unexpected document: ${parsed.error.issues[0]?.message ?? ''}`);
    return parsed.data;
  }

  async createRepo(repoId: string, options: { existOk?: boolean } = {}): Promise<{ repoId: string; created: boolean }> {
    const { owner, name } = splitRepoId(repoId);
    try {
      const { res } = await this.http.request('POST', '/api/repos/create', {
        auth: 'required',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name, organization: owner, type: 'model', private: false }),
      });
      await this.json(HfCreateRepoResponse, res, 'create');
      return { repoId, created: true };
    } catch (err) {
      if (options.existOk && err instanceof StorageError && err.code === 'conflict') return { repoId, created: false };
      throw err;
    }
  }

  async exists(repoId: string): Promise<boolean> {
    try {
      await this.repoInfo(repoId);
      return true;
    } catch (err) {
      if (err instanceof StorageError && err.code === 'not_found') return false;
      throw err;
    }
  }

  async repoInfo(repoId: string, options: RevisionOptions = {}): Promise<RepoInfo> {
    parseRepoId(repoId);
    const path = options.revision === undefined ? `/api/models/${repoId}` : `/api/models/${repoId}/revision/${encodeURIComponent(parseHfRevision(options.revision))}`;
    const { res } = await this.http.request('GET', `${path}?blobs=true`);
    return fromModelInfoWire(await this.json(ModelInfoWire, res, 'repo info'));
  }

  /** Newest first. The Hub's list has no parent ids; along `main`'s first-parent history each entry's parent is the next. */
  async listRevisions(repoId: string): Promise<RevisionSummary[]> {
    parseRepoId(repoId);
    const commits = await this.commits(repoId, 'main', Number.POSITIVE_INFINITY);
    return commits.map((c, i) => ({ sha: c.id, parent: commits[i + 1]?.id ?? null, message: c.message, date: c.date }));
  }

  private async commits(repoId: string, revision: string, max: number): Promise<z.output<typeof CommitListWire>> {
    const out: z.output<typeof CommitListWire> = [];
    let next: string | undefined = `/api/models/${repoId}/commits/${encodeURIComponent(revision)}`;
    while (next !== undefined && out.length < max) {
      const { res } = await this.http.request('GET', next);
      const link = res.headers.get('link');
      out.push(...(await this.json(CommitListWire, res, 'commits')));
      next = nextLink(link);
    }
    return out;
  }

  async upload(repoId: string, files: readonly UploadFile[], options: UploadOptions): Promise<RevisionSummary> {
    parseRepoId(repoId);
    // Paths, duplicates and file-versus-directory clashes among the new files, before anything is sent.
    nextTree([], files.map((f) => ({ path: f.path, size: f.bytes.length, sha256: '' })));
    const deletes = new Set(options.deletePaths ?? []);
    for (const p of deletes) parseRepoFilePath(p);
    let parentCommit = options.parentRevision !== undefined ? parseHfRevision(options.parentRevision) : undefined;
    if (options.mode === 'replace') {
      // The Hub merges; a replacement is a merge that deletes the rest, pinned to the tree it was computed from.
      const current = await this.repoInfo(repoId);
      if (parentCommit !== undefined && parentCommit !== 'main' && parentCommit !== current.sha) {
        throw new StorageError('conflict', `main of ${repoId} moved to ${current.sha} since ${parentCommit}`);
      }
      const keep = new Set(files.map((f) => f.path));
      for (const f of current.files) if (!keep.has(f.path)) deletes.add(f.path);
      parentCommit = current.sha;
    }
    if (parentCommit === 'main') parentCommit = undefined;

    const modes = await this.uploadModes(repoId, files);
    const lfs = files.filter((f) => modes.get(f.path) === 'lfs');
    await this.uploadLfs(repoId, lfs);

    const lines: CommitLine[] = [{ key: 'header', value: { summary: options.message, description: '', ...(parentCommit !== undefined ? { parentCommit } : {}) } }];
    for (const f of files) {
      const mode = modes.get(f.path);
      if (mode === 'ignore') continue;
      if (mode === 'lfs') lines.push({ key: 'lfsFile', value: { path: f.path, algo: 'sha256', oid: sha256Hex(f.bytes), size: f.bytes.length } });
      else lines.push({ key: 'file', value: { path: f.path, content: Buffer.from(f.bytes).toString('base64'), encoding: 'base64' } });
    }
    for (const path of deletes) lines.push({ key: 'deletedFile', value: { path } });
    const { res } = await this.http.request('POST', `/api/models/${repoId}/commit/main`, {
      auth: 'required',
      headers: { 'content-type': 'application/x-ndjson' },
      body: lines.map((l) => JSON.stringify(l)).join('\n'),
    });
    const commit = await this.json(CommitResponse, res, 'a commit');
    // The commit answer names the new revision only; its date and parent come from the history at it.
    const [self, parent] = await this.commits(repoId, commit.commitOid, 2);
    if (!self || self.id !== commit.commitOid) throw new StorageError('unavailable', `hugging face does not list commit ${commit.commitOid} of ${repoId} yet`);
    return { sha: self.id, parent: parent?.id ?? null, message: self.message, date: self.date };
  }

  /** Asks the Hub which files go through LFS (`preupload`); files it says to ignore are marked `ignore`. */
  private async uploadModes(repoId: string, files: readonly UploadFile[]): Promise<Map<string, 'lfs' | 'regular' | 'ignore'>> {
    const modes = new Map<string, 'lfs' | 'regular' | 'ignore'>();
    for (let i = 0; i < files.length; i += PREUPLOAD_CHUNK) {
      const chunk = files.slice(i, i + PREUPLOAD_CHUNK);
      const body: PreuploadRequest = { files: chunk.map((f) => ({ path: f.path, sample: Buffer.from(f.bytes.subarray(0, 512)).toString('base64'), size: f.bytes.length })) };
      const { res } = await this.http.request('POST', `/api/models/${repoId}/preupload/main`, { auth: 'required', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      for (const f of (await this.json(PreuploadResponse, res, 'preupload')).files) modes.set(f.path, f.shouldIgnore ? 'ignore' : f.uploadMode);
    }
    for (const f of files) if (!modes.has(f.path)) throw new StorageError('unavailable', `hugging face preupload did not answer for ${f.path}`);
    return modes;
  }

  /** git-LFS batch API: the Hub answers an upload (and verify) action for each object it does not have yet. */
  private async uploadLfs(repoId: string, files: readonly UploadFile[]): Promise<void> {
    if (files.length === 0) return;
    const byOid = new Map(files.map((f) => [sha256Hex(f.bytes), f.bytes]));
    const batch: LfsBatchRequest = { operation: 'upload', transfers: ['basic'], objects: [...byOid].map(([oid, bytes]) => ({ oid, size: bytes.length })), hash_algo: 'sha256', ref: { name: 'main' } };
    const { res } = await this.http.request('POST', `/${repoId}.git/info/lfs/objects/batch`, {
      auth: 'required',
      headers: { accept: LFS_JSON, 'content-type': LFS_JSON },
      body: JSON.stringify(batch),
    });
    const answer = await this.json(LfsBatchResponse, res, 'an LFS batch');
    for (const obj of answer.objects) {
      const bytes = byOid.get(obj.oid);
      if (!bytes) throw new StorageError('unavailable', `hugging face LFS batch answered for an object not asked for (${obj.oid})`);
      if (obj.error) throw new StorageError(obj.error.code === 422 || obj.error.code === 400 ? 'invalid' : obj.error.code === 403 ? 'forbidden' : 'unavailable', `LFS upload of ${obj.oid}: ${obj.error.code} ${obj.error.message}`);
      const upload = obj.actions?.upload;
      if (!upload) continue; // already stored
      // The href is a presigned storage URL: its own headers, never the Hub token.
      await this.http.request('PUT', upload.href, { auth: false, headers: { ...(upload.header ?? {}), 'content-type': 'application/octet-stream' }, body: bytes });
      const verify = obj.actions?.verify;
      if (verify) {
        await this.http.request('POST', verify.href, { headers: { ...(verify.header ?? {}), accept: LFS_JSON, 'content-type': LFS_JSON }, body: JSON.stringify({ oid: obj.oid, size: obj.size }) });
      }
    }
  }

  /** The file's bytes, verified against the sha256 (LFS) or git blob id (regular file) the Hub announced. */
  async getFile(repoId: string, path: string, options: RevisionOptions = {}): Promise<Uint8Array> {
    parseRepoId(repoId);
    parseRepoFilePath(path);
    const revision = parseHfRevision(options.revision ?? 'main');
    const { res, redirectHeaders } = await this.http.request('GET', `/${repoId}/resolve/${encodeURIComponent(revision)}/${encodePath(path)}`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    const announced = ((redirectHeaders ?? res.headers).get('x-linked-etag') ?? (redirectHeaders ?? res.headers).get('etag') ?? '').replace(/^W\//, '').replaceAll('"', '');
    if (/^[0-9a-f]{64}$/.test(announced) && sha256Hex(bytes) !== announced) throw new StorageError('corrupt', `${repoId}/${path}: received bytes do not match the sha256 the Hub announced`);
    if (/^[0-9a-f]{40}$/.test(announced) && gitBlobId(bytes) !== announced) throw new StorageError('corrupt', `${repoId}/${path}: received bytes do not match the git blob id the Hub announced`);
    return bytes;
  }

  download(repoId: string, options: RevisionOptions, destDir: string): Promise<DownloadResult> {
    return downloadRevision(this, repoId, options, destDir);
  }
}
