/**
 * `ModelHub` over HTTP, against the hub server (`hub/server.ts`): what miners in other processes upload with and
 * what the validator and evaluators read with. The routes and documents are Hugging Face's, so the Hugging Face
 * adapter can reuse the parsing here. Every answer is validated; every failure is a StorageError.
 */
import type { z } from 'zod';
import { bufferedRequest, type BufferedResponse } from '../../net/buffered-request.ts';
import { StorageError, storageErrorFromStatus } from '../errors.ts';
import { sha256Hex } from '../fsutil.ts';
import { parseRepoFilePath, parseRepoId, parseRevision, splitRepoId } from '../names.ts';
import type { DownloadResult, ModelHub, RepoInfo, RevisionOptions, RevisionSummary, UploadFile, UploadOptions } from './types.ts';
import { downloadRevision } from './files.ts';
import { CommitListWire, CommitResponse, CreateRepoResponse, ModelInfoWire, ObjectResponse } from './wire.ts';
import type { CommitLine } from './wire.ts';

export interface HttpModelHubOptions {
  baseUrl: string;
  /** Hub token of the owner namespace; needed for createRepo and upload only. */
  token?: string;
  /** Per-request timeout (default 120 s, the original's timeout for calls to miners and hubs). */
  timeoutMs?: number;
  /** Sends the requests through this `fetch` instead of node:http (every answer is read whole either way). */
  fetch?: typeof fetch;
}

const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/');

export function fromModelInfoWire(wire: ModelInfoWire): RepoInfo {
  return {
    id: wire.id,
    sha: wire.sha,
    lastModified: wire.lastModified,
    createdAt: wire.createdAt ?? wire.lastModified,
    files: (wire.siblings ?? [])
      .map((s) => ({ path: s.rfilename, size: s.size ?? s.lfs?.size ?? 0, sha256: s.lfs?.sha256 ?? null }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
  };
}

export class HttpModelHub implements ModelHub {
  private readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch | undefined;

  constructor(options: HttpModelHubOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.fetchImpl = options.fetch;
  }

  private async request(method: string, path: string, init: { body?: string | Uint8Array; contentType?: string; auth?: boolean } = {}): Promise<BufferedResponse> {
    const headers: Record<string, string> = {};
    if (init.contentType) headers['content-type'] = init.contentType;
    if (init.auth) {
      if (!this.token) throw new StorageError('forbidden', 'this hub client has no token (set storage.hubToken)');
      headers.authorization = `Bearer ${this.token}`;
    }
    let res: BufferedResponse;
    try {
      const body = init.body !== undefined ? { body: init.body } : {};
      res = this.fetchImpl
        ? await this.fetchImpl(this.baseUrl + path, { method, headers, ...body, signal: AbortSignal.timeout(this.timeoutMs) })
        : await bufferedRequest(this.baseUrl + path, { method, headers, ...body, timeoutMs: this.timeoutMs });
    } catch (err) {
      throw new StorageError('unavailable', `hub ${method} ${path}: ${(err as Error).message}`, { cause: err });
    }
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      let detail = text || res.statusText;
      try {
        const body = JSON.parse(text) as { detail?: unknown; error?: unknown };
        const d = body.detail ?? body.error;
        if (typeof d === 'string') detail = d;
      } catch {
        // not JSON: keep the text
      }
      throw storageErrorFromStatus(res.status, `hub ${method} ${path}: ${res.status} ${detail}`);
    }
    return res;
  }

  private async json<S extends z.ZodType>(schema: S, res: BufferedResponse, what: string): Promise<z.output<S>> {
    const parsed = schema.safeParse(await res.json().catch(() => undefined));
    if (!parsed.success) throw new StorageError('unavailable', `hub answered ${what} with an unexpected document: ${parsed.error.issues[0]?.message ?? ''}`);
    return parsed.data;
  }

  async createRepo(repoId: string, options: { existOk?: boolean } = {}): Promise<{ repoId: string; created: boolean }> {
    const { owner, name } = splitRepoId(repoId);
    try {
      const res = await this.request('POST', '/api/repos/create', {
        auth: true,
        contentType: 'application/json',
        body: JSON.stringify({ name, organization: owner, type: 'model', private: false }),
      });
      await this.json(CreateRepoResponse, res, 'create');
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

  async upload(repoId: string, files: readonly UploadFile[], options: UploadOptions): Promise<RevisionSummary> {
    parseRepoId(repoId);
    for (const f of files) parseRepoFilePath(f.path);
    const deletes = new Set(options.deletePaths ?? []);
    let parentCommit = options.parentRevision;
    if (options.mode === 'replace') {
      // The server merges like Hugging Face; a replacement is a merge that deletes the rest, pinned to the tree it saw.
      const current = await this.repoInfo(repoId);
      const keep = new Set(files.map((f) => f.path));
      for (const f of current.files) if (!keep.has(f.path)) deletes.add(f.path);
      if (parentCommit !== undefined && parentCommit !== 'main' && parentCommit !== current.sha) {
        throw new StorageError('conflict', `main of ${repoId} moved to ${current.sha} since ${parentCommit}`);
      }
      parentCommit = current.sha;
    }
    const lines: CommitLine[] = [{ key: 'header', value: { summary: options.message, ...(parentCommit !== undefined ? { parentCommit } : {}) } }];
    for (const f of files) {
      const oid = sha256Hex(f.bytes);
      const res = await this.request('PUT', `/api/models/${repoId}/objects/${oid}`, { auth: true, contentType: 'application/octet-stream', body: f.bytes });
      await this.json(ObjectResponse, res, 'an object upload');
      lines.push({ key: 'lfsFile', value: { path: f.path, algo: 'sha256', oid, size: f.bytes.length } });
    }
    for (const path of deletes) lines.push({ key: 'deletedFile', value: { path } });
    const res = await this.request('POST', `/api/models/${repoId}/commit/main`, {
      auth: true,
      contentType: 'application/x-ndjson',
      body: lines.map((l) => JSON.stringify(l)).join('\n'),
    });
    const commit = await this.json(CommitResponse, res, 'a commit');
    return { sha: commit.commitOid, parent: commit.parentCommit ?? null, message: commit.commitMessage ?? options.message, date: commit.date ?? new Date().toISOString() };
  }

  async repoInfo(repoId: string, options: RevisionOptions = {}): Promise<RepoInfo> {
    parseRepoId(repoId);
    const path = options.revision === undefined ? `/api/models/${repoId}` : `/api/models/${repoId}/revision/${parseRevision(options.revision)}`;
    return fromModelInfoWire(await this.json(ModelInfoWire, await this.request('GET', path), 'repo info'));
  }

  async listRevisions(repoId: string): Promise<RevisionSummary[]> {
    parseRepoId(repoId);
    const commits = await this.json(CommitListWire, await this.request('GET', `/api/models/${repoId}/commits/main`), 'commits');
    return commits.map((c) => ({ sha: c.id, parent: c.parents?.[0] ?? null, message: c.message, date: c.date }));
  }

  async getFile(repoId: string, path: string, options: RevisionOptions = {}): Promise<Uint8Array> {
    parseRepoId(repoId);
    parseRepoFilePath(path);
    const revision = parseRevision(options.revision ?? 'main');
    const res = await this.request('GET', `/${repoId}/resolve/${revision}/${encodePath(path)}`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    const etag = (res.headers.get('etag') ?? '').replaceAll('"', '');
    if (/^[0-9a-f]{64}$/.test(etag) && sha256Hex(bytes) !== etag) throw new StorageError('corrupt', `${repoId}/${path}: received bytes do not match the sha256 the hub announced`);
    return bytes;
  }

  download(repoId: string, options: RevisionOptions, destDir: string): Promise<DownloadResult> {
    return downloadRevision(this, repoId, options, destDir);
  }
}
