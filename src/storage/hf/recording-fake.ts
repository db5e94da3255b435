/**
 * FAKE Hugging Face Hub for tests — an HTTP server on loopback that records every request and answers like the
 * Hub's documented HTTP API, so the adapter's request building (paths, methods, headers, NDJSON commit lines,
 * the LFS batch protocol, where the token goes) is checked against real HTTP rather than mocks. It is not a
 * hub: state is in memory, every repository is public, only `main` exists.
 *
 * Routes (models; datasets where noted):
 *   POST /api/repos/create                                    {name, organization?, type?, private?}
 *   GET  /api/{models|datasets}/{id}[/revision/{rev}]         info with siblings (`?blobs=true`: size, blobId, lfs)
 *   GET  /api/models/{id}/commits/{rev}?p=N                   history, newest first, `Link: <…>; rel="next"`
 *   POST /api/models/{id}/preupload/{rev}                     which files go through LFS
 *   POST /{id}.git/info/lfs/objects/batch                     git-lfs batch API; upload href is a "presigned" URL
 *   PUT  /__lfs/upload/{oid}   POST /__lfs/verify/{oid}       the LFS storage (refuses a Hub token, like S3)
 *   POST /api/models/{id}/commit/{rev}                        NDJSON commit; stale parentCommit → 412
 *   GET  /[datasets/]{id}/resolve/{rev}/{path}                regular files directly (ETag = git blob id),
 *                                                             LFS files by 302 to /__cdn/{oid} (X-Linked-Etag)
 *   GET  /api/datasets/{id}/tree/{rev}?recursive=true         file listing, paginated by Link
 *   GET  /api/datasets/{id}/parquet[/{config}/{split}/{n}.parquet]   the parquet export
 *
 * Knobs: `commitIds: 'git'` (default: 40-hex ids, as the Hub) or `'tree'` (the local hub's sha256 revision ids,
 * for running the shared ModelHub contract, which pins that scheme); `lfsThresholdBytes` (files at least this
 * large, or binary, go through LFS; 0 = all, as the contract expects sha256 for every file);
 * `createGitattributes` (the Hub's first commit adds `.gitattributes`). Faults: `faults.rateLimited` answers the
 * next n requests 429 with `Retry-After: faults.retryAfterSeconds`; `faults.serverErrors` answers n with 503.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock } from '../../clock/index.ts';
import type { Clock } from '../../clock/index.ts';
import { revisionSha } from '../hub/commit.ts';
import { CommitLine, CreateRepoBody } from '../hub/wire.ts';
import { parseRange } from '../s3/local-server.ts';

export interface FakeFile {
  content: Buffer;
  lfs: boolean;
}

interface FakeCommit {
  id: string;
  parent: string | null;
  message: string;
  date: string;
  files: Map<string, FakeFile>;
}

interface FakeRepo {
  id: string;
  type: 'model' | 'dataset';
  createdAt: string;
  /** Oldest first. */
  commits: FakeCommit[];
  /** config → split → parquet files (the Hub's refs/convert/parquet export). */
  parquetExport?: Record<string, Record<string, Buffer[]>>;
}

export interface RecordedHfRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Lower-cased request headers. */
  headers: Record<string, string>;
  body: Buffer;
  status: number;
}

export interface FakeHfHubOptions {
  /** token → user (namespace it may write). */
  tokens?: Record<string, string>;
  clock?: Clock;
  commitIds?: 'git' | 'tree';
  lfsThresholdBytes?: number;
  createGitattributes?: boolean;
  /** Entries per page of commit and tree listings (default 50). */
  pageSize?: number;
}

class HubFail extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errorCode?: string,
  ) {
    super(message);
  }
}

const GITATTRIBUTES = Buffer.from('*.safetensors filter=lfs diff=lfs merge=lfs -text\n*.bin filter=lfs diff=lfs merge=lfs -text\n*.parquet filter=lfs diff=lfs merge=lfs -text\n');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** git's object id of a blob, which the Hub reports for files stored without LFS. */
const gitBlobId = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');

export class FakeHfHub {
  readonly repos = new Map<string, FakeRepo>();
  readonly lfsObjects = new Map<string, Buffer>();
  readonly requests: RecordedHfRequest[] = [];
  readonly faults = { rateLimited: 0, retryAfterSeconds: 0, serverErrors: 0 };
  readonly tokens: Map<string, string>;
  private readonly clock: Clock;
  private readonly commitIds: 'git' | 'tree';
  private readonly lfsThreshold: number;
  private readonly createGitattributes: boolean;
  private readonly pageSize: number;
  private servers: Server[] = [];
  url = '';
  /** A second origin standing for the Hub's LFS storage and CDN (other host, so the token must not go there). */
  storageUrl = '';

  private constructor(options: FakeHfHubOptions) {
    this.tokens = new Map(Object.entries(options.tokens ?? { hf_fake_alice: 'alice' }));
    this.clock = options.clock ?? systemClock;
    this.commitIds = options.commitIds ?? 'git';
    this.lfsThreshold = options.lfsThresholdBytes ?? 10 * 1024 * 1024;
    this.createGitattributes = options.createGitattributes ?? true;
    this.pageSize = options.pageSize ?? 50;
  }

  static async start(options: FakeHfHubOptions = {}): Promise<FakeHfHub> {
    const hub = new FakeHfHub(options);
    const [main, storage] = await Promise.all([0, 1].map(async () => {
      const server = createServer((req, res) => void hub.handle(req, res));
      server.keepAliveTimeout = 1000;
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      hub.servers.push(server);
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    })) as [string, string];
    hub.url = main;
    hub.storageUrl = storage;
    return hub;
  }

  async close(): Promise<void> {
    const servers = this.servers;
    this.servers = [];
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    })));
  }

  /** Puts a repository in place without going through the API (datasets for the reader's tests). */
  seed(type: 'model' | 'dataset', id: string, files: Record<string, Buffer | { content: Buffer; lfs: boolean }>, parquetExport?: FakeRepo['parquetExport']): FakeRepo {
    const repo: FakeRepo = { id, type, createdAt: this.clock.date().toISOString(), commits: [], ...(parquetExport ? { parquetExport } : {}) };
    this.repos.set(`${type}:${id}`, repo);
    const map = new Map<string, FakeFile>();
    for (const [path, f] of Object.entries(files)) {
      const file = Buffer.isBuffer(f) ? { content: f, lfs: f.length >= this.lfsThreshold } : f;
      if (file.lfs) this.lfsObjects.set(sha256(file.content), file.content);
      map.set(path, file);
    }
    this.addCommit(repo, 'initial commit', map);
    for (const splits of Object.values(parquetExport ?? {})) for (const bufs of Object.values(splits)) for (const b of bufs) this.lfsObjects.set(sha256(b), b);
    return repo;
  }

  /** Requests to paths matching `pattern`, for assertions on what the adapter sent. */
  sent(method: string, pattern: RegExp): RecordedHfRequest[] {
    return this.requests.filter((r) => r.method === method && pattern.test(r.path));
  }

  private addCommit(repo: FakeRepo, message: string, files: Map<string, FakeFile>): FakeCommit {
    const parent = repo.commits[repo.commits.length - 1] ?? null;
    const last = parent ? Date.parse(parent.date) : 0;
    const date = new Date(Math.max(this.clock.now(), last + 1)).toISOString();
    const entries = [...files].map(([path, f]) => ({ path, size: f.content.length, sha256: sha256(f.content) }));
    const id =
      this.commitIds === 'tree'
        ? revisionSha(parent?.id ?? null, entries)
        : createHash('sha1').update(`${parent?.id ?? ''}\n${message}\n${date}\n${JSON.stringify(entries.sort((a, b) => (a.path < b.path ? -1 : 1)))}\n${randomBytes(4).toString('hex')}`).digest('hex');
    const commit: FakeCommit = { id, parent: parent?.id ?? null, message, date, files };
    repo.commits.push(commit);
    return commit;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    const url = new URL(req.url ?? '/', 'http://fake');
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]));
    const record: RecordedHfRequest = { method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), headers, body: Buffer.alloc(0), status: 0 };
    try {
      for await (const c of req) chunks.push(c as Buffer);
      record.body = Buffer.concat(chunks);
      if (this.faults.rateLimited > 0) {
        this.faults.rateLimited--;
        throw Object.assign(new HubFail(429, 'You have been rate-limited; you can retry this action later.'), { retryAfter: this.faults.retryAfterSeconds });
      }
      if (this.faults.serverErrors > 0) {
        this.faults.serverErrors--;
        throw new HubFail(503, 'Service Unavailable');
      }
      const out = this.route(record, url);
      record.status = out.status;
      res.writeHead(out.status, out.headers ?? {});
      res.end(record.method === 'HEAD' ? undefined : out.body);
    } catch (err) {
      const fail = err instanceof HubFail ? err : new HubFail(500, (err as Error).message);
      record.status = fail.status;
      const retryAfter = (err as { retryAfter?: number }).retryAfter;
      res.writeHead(fail.status, {
        'content-type': 'application/json',
        ...(fail.errorCode ? { 'x-error-code': fail.errorCode } : {}),
        'x-error-message': fail.message,
        ...(retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : {}),
      });
      res.end(record.method === 'HEAD' ? undefined : JSON.stringify({ error: fail.message }));
    } finally {
      this.requests.push(record);
    }
  }

  private user(r: RecordedHfRequest): string | undefined {
    const m = /^Bearer (.+)$/.exec(r.headers.authorization ?? '');
    return m ? this.tokens.get(m[1] as string) : undefined;
  }

  private requireWrite(r: RecordedHfRequest, namespace: string): void {
    if (!r.headers.authorization) throw new HubFail(401, 'Invalid username or password.');
    const user = this.user(r);
    if (user === undefined) throw new HubFail(401, 'Invalid credentials in Authorization header');
    if (user !== namespace) throw new HubFail(403, `You don't have the rights to write to ${namespace}`);
  }

  private repo(r: RecordedHfRequest, type: 'model' | 'dataset', id: string): FakeRepo {
    const repo = this.repos.get(`${type}:${id}`);
    // Like the Hub: an anonymous caller is told 401, so it cannot tell a private repository from a missing one.
    if (!repo) throw new HubFail(r.headers.authorization ? 404 : 401, 'Repository not found', 'RepoNotFound');
    return repo;
  }

  private commit(repo: FakeRepo, rev: string): FakeCommit {
    const c = rev === 'main' ? repo.commits[repo.commits.length - 1] : repo.commits.find((x) => x.id === rev);
    if (!c) throw new HubFail(404, `Invalid rev id: ${rev}`, 'RevisionNotFound');
    return c;
  }

  private json(status: number, value: unknown, headers: Record<string, string> = {}) {
    return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(value) };
  }

  private route(r: RecordedHfRequest, url: URL): { status: number; headers?: Record<string, string>; body?: string | Buffer } {
    const p = url.pathname.split('/').map(decodeURIComponent);
    const m = r.method;
    // /api/repos/create
    if (m === 'POST' && url.pathname === '/api/repos/create') {
      const parsed = CreateRepoBody.safeParse(JSON.parse(r.body.toString() || '{}'));
      if (!parsed.success) throw new HubFail(400, 'Invalid create request');
      const { name, organization } = parsed.data;
      const namespace = organization ?? (name.includes('/') ? (name.split('/')[0] as string) : (this.user(r) ?? ''));
      const id = name.includes('/') ? name : `${namespace}/${name}`;
      this.requireWrite(r, namespace);
      if (this.repos.has(`model:${id}`)) throw new HubFail(409, 'You already created this model repo');
      const repo: FakeRepo = { id, type: 'model', createdAt: this.clock.date().toISOString(), commits: [] };
      this.repos.set(`model:${id}`, repo);
      this.addCommit(repo, 'initial commit', new Map(this.createGitattributes ? [['.gitattributes', { content: GITATTRIBUTES, lfs: false }]] : []));
      return this.json(200, { url: `${this.url}/${id}`, name: id, id: randomBytes(12).toString('hex') });
    }
    // /api/{models|datasets}/{owner}/{name}/...
    if (p[1] === 'api' && (p[2] === 'models' || p[2] === 'datasets') && p.length >= 5) {
      const type = p[2] === 'models' ? 'model' : 'dataset';
      const id = `${p[3]}/${p[4]}`;
      const rest = p.slice(5);
      if (m === 'GET' && (rest.length === 0 || (rest[0] === 'revision' && rest.length === 2))) {
        const repo = this.repo(r, type, id);
        return this.json(200, this.info(repo, this.commit(repo, rest[1] ?? 'main'), url.searchParams.get('blobs') === 'true'));
      }
      if (m === 'GET' && rest[0] === 'commits' && rest.length === 2) {
        const repo = this.repo(r, type, id);
        const head = this.commit(repo, rest[1] as string);
        const history: FakeCommit[] = [];
        for (let c: FakeCommit | undefined = head; c; c = repo.commits.find((x) => x.id === c?.parent)) history.push(c);
        const page = Number(url.searchParams.get('p') ?? 0);
        const slice = history.slice(page * this.pageSize, (page + 1) * this.pageSize);
        const more = history.length > (page + 1) * this.pageSize;
        const link: Record<string, string> = more ? { link: `<${this.url}${url.pathname}?p=${page + 1}>; rel="next"` } : {};
        return this.json(200, slice.map((c) => ({ id: c.id, title: c.message, message: c.message, date: c.date, authors: [{ user: p[3], avatar: '' }] })), link);
      }
      if (m === 'POST' && rest[0] === 'preupload') {
        this.repo(r, type, id);
        this.requireWrite(r, p[3] as string);
        const body = JSON.parse(r.body.toString()) as { files: { path: string; sample: string; size: number }[] };
        return this.json(200, {
          files: body.files.map((f) => {
            const binary = Buffer.from(f.sample, 'base64').includes(0);
            return { path: f.path, uploadMode: f.size >= this.lfsThreshold || binary ? 'lfs' : 'regular', shouldIgnore: false };
          }),
        });
      }
      if (m === 'POST' && rest[0] === 'commit' && rest.length === 2) return this.commitRoute(r, this.repo(r, type, id), rest[1] as string);
      if (m === 'GET' && rest[0] === 'tree' && rest.length >= 2) {
        const repo = this.repo(r, type, id);
        const c = this.commit(repo, rest[1] as string);
        const under = rest.slice(2).join('/');
        const all = [...c.files.entries()]
          .filter(([path]) => under === '' || path.startsWith(`${under}/`))
          .filter(([path]) => url.searchParams.get('recursive') === 'true' || !path.slice(under === '' ? 0 : under.length + 1).includes('/'))
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([path, f]) => ({ type: 'file', path, oid: gitBlobId(f.content), size: f.content.length, ...(f.lfs ? { lfs: { oid: sha256(f.content), size: f.content.length, pointerSize: 134 } } : {}) }));
        const cursor = Number(url.searchParams.get('cursor') ?? 0);
        const slice = all.slice(cursor, cursor + this.pageSize);
        const more = all.length > cursor + this.pageSize;
        const q = new URLSearchParams(url.searchParams);
        q.set('cursor', String(cursor + this.pageSize));
        return this.json(200, slice, more ? { link: `<${this.url}${url.pathname}?${q}>; rel="next"` } : {});
      }
      if ((m === 'GET' || m === 'HEAD') && type === 'dataset' && rest[0] === 'parquet') {
        const repo = this.repo(r, type, id);
        const exp = repo.parquetExport ?? {};
        if (rest.length === 1) {
          return this.json(200, Object.fromEntries(Object.entries(exp).map(([config, splits]) => [config, Object.fromEntries(Object.entries(splits).map(([split, files]) => [split, files.map((_, i) => `${this.url}/api/datasets/${id}/parquet/${config}/${split}/${i}.parquet`)]))])));
        }
        const file = exp[rest[1] as string]?.[rest[2] as string]?.[Number(/^(\d+)\.parquet$/.exec(rest[3] ?? '')?.[1] ?? -1)];
        if (!file) throw new HubFail(404, 'Parquet file not found', 'EntryNotFound');
        return { status: 302, headers: { location: `${this.storageUrl}/__cdn/${sha256(file)}`, 'x-linked-etag': `"${sha256(file)}"`, 'x-linked-size': String(file.length) } };
      }
    }
    // git-LFS batch: /{owner}/{name}.git/info/lfs/objects/batch (datasets: /datasets/{owner}/{name}.git/…)
    const lfs = /^\/(?:(datasets)\/)?([^/]+)\/([^/]+)\.git\/info\/lfs\/objects\/batch$/.exec(url.pathname);
    if (m === 'POST' && lfs) {
      const id = `${lfs[2]}/${lfs[3]}`;
      this.repo(r, lfs[1] ? 'dataset' : 'model', id);
      this.requireWrite(r, lfs[2] as string);
      if (!(r.headers['content-type'] ?? '').startsWith('application/vnd.git-lfs+json')) throw new HubFail(415, 'LFS batch requests are application/vnd.git-lfs+json');
      const body = JSON.parse(r.body.toString()) as { operation: string; transfers?: string[]; objects: { oid: string; size: number }[]; hash_algo?: string };
      if (body.operation !== 'upload' || !(body.transfers ?? ['basic']).includes('basic')) throw new HubFail(422, 'only basic uploads are supported');
      return {
        status: 200,
        headers: { 'content-type': 'application/vnd.git-lfs+json' },
        body: JSON.stringify({
          transfer: 'basic',
          objects: body.objects.map((o) =>
            this.lfsObjects.has(o.oid)
              ? { oid: o.oid, size: o.size }
              : {
                  oid: o.oid,
                  size: o.size,
                  authenticated: true,
                  actions: {
                    upload: { href: `${this.storageUrl}/__lfs/upload/${o.oid}?X-Fake-Signature=${randomBytes(8).toString('hex')}`, header: { 'x-fake-upload': o.oid } },
                    verify: { href: `${this.url}/__lfs/verify/${o.oid}`, header: {} },
                  },
                },
          ),
        }),
      };
    }
    if (m === 'PUT' && p[1] === '__lfs' && p[2] === 'upload') {
      // Presigned storage refuses a second credential, as S3 does.
      if (r.headers.authorization) throw new HubFail(400, 'Only one auth mechanism allowed');
      const oid = p[3] as string;
      if (r.headers['x-fake-upload'] !== oid) throw new HubFail(403, 'missing the header of the upload action');
      if (sha256(r.body) !== oid) throw new HubFail(400, 'content does not match its oid');
      this.lfsObjects.set(oid, r.body);
      return { status: 200 };
    }
    if (m === 'POST' && p[1] === '__lfs' && p[2] === 'verify') {
      const body = JSON.parse(r.body.toString()) as { oid: string; size: number };
      const stored = this.lfsObjects.get(body.oid);
      if (!stored || stored.length !== body.size || body.oid !== p[3]) throw new HubFail(404, 'object not uploaded');
      return this.json(200, { success: true });
    }
    if ((m === 'GET' || m === 'HEAD') && p[1] === '__cdn') {
      const content = this.lfsObjects.get(p[2] as string);
      if (!content) throw new HubFail(404, 'no such object');
      return this.bytes(r, content, { etag: `"${p[2]}"` });
    }
    // resolve: /{owner}/{name}/resolve/{rev}/{path…} or /datasets/{owner}/{name}/resolve/…
    const off = p[1] === 'datasets' ? 1 : 0;
    if ((m === 'GET' || m === 'HEAD') && p[3 + off] === 'resolve' && p.length >= 6 + off) {
      const type = off ? 'dataset' : 'model';
      const repo = this.repo(r, type, `${p[1 + off]}/${p[2 + off]}`);
      const c = this.commit(repo, p[4 + off] as string);
      const path = p.slice(5 + off).join('/');
      const file = c.files.get(path);
      if (!file) throw new HubFail(404, 'Entry not found', 'EntryNotFound');
      if (file.lfs) {
        const oid = sha256(file.content);
        return { status: 302, headers: { location: `${this.storageUrl}/__cdn/${oid}`, 'x-linked-etag': `"${oid}"`, 'x-linked-size': String(file.content.length), 'x-repo-commit': c.id, etag: `"${gitBlobId(file.content)}"` } };
      }
      return this.bytes(r, file.content, { etag: `"${gitBlobId(file.content)}"`, 'x-repo-commit': c.id });
    }
    throw new HubFail(404, `no route ${m} ${url.pathname}`);
  }

  private bytes(r: RecordedHfRequest, content: Buffer, extra: Record<string, string>) {
    const range = r.headers.range ? parseRange(r.headers.range, content.length) : null;
    if (range === 'unsatisfiable') throw new HubFail(416, 'Range Not Satisfiable');
    const base = { 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes', ...extra };
    if (range) return { status: 206, headers: { ...base, 'content-length': String(range.end - range.start + 1), 'content-range': `bytes ${range.start}-${range.end}/${content.length}` }, body: content.subarray(range.start, range.end + 1) };
    return { status: 200, headers: { ...base, 'content-length': String(content.length) }, body: content };
  }

  private info(repo: FakeRepo, c: FakeCommit, blobs: boolean) {
    const siblings = [...c.files.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([path, f]) => ({
        rfilename: path,
        ...(blobs ? { size: f.content.length, blobId: gitBlobId(f.content), ...(f.lfs ? { lfs: { sha256: sha256(f.content), size: f.content.length, pointerSize: 134 } } : {}) } : {}),
      }));
    const [owner] = repo.id.split('/');
    return { _id: sha256(Buffer.from(repo.id)).slice(0, 24), id: repo.id, ...(repo.type === 'model' ? { modelId: repo.id } : {}), author: owner, sha: c.id, lastModified: c.date, createdAt: repo.createdAt, private: false, disabled: false, gated: false, downloads: 0, likes: 0, tags: [], siblings };
  }

  private commitRoute(r: RecordedHfRequest, repo: FakeRepo, rev: string) {
    this.requireWrite(r, repo.id.split('/')[0] as string);
    if (rev !== 'main') throw new HubFail(400, 'only main can be committed to');
    if (!(r.headers['content-type'] ?? '').startsWith('application/x-ndjson')) throw new HubFail(400, 'commits are application/x-ndjson');
    const lines = r.body
      .toString('utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l, i) => {
        const parsed = CommitLine.safeParse(JSON.parse(l));
        if (!parsed.success) throw new HubFail(400, `line ${i + 1}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
        return parsed.data;
      });
    const header = lines[0];
    if (header?.key !== 'header') throw new HubFail(400, 'the first line must be the header');
    const head = this.commit(repo, 'main');
    if (header.value.parentCommit !== undefined && header.value.parentCommit !== head.id) throw new HubFail(412, 'A commit has happened since. Please refresh and try again.');
    const files = new Map(head.files);
    for (const line of lines.slice(1)) {
      if (line.key === 'header') throw new HubFail(400, 'only one header');
      if (line.key === 'file') files.set(line.value.path, { content: Buffer.from(line.value.content, 'base64'), lfs: false });
      if (line.key === 'lfsFile') {
        const content = this.lfsObjects.get(line.value.oid);
        if (!content) throw new HubFail(422, `LFS object ${line.value.oid} of ${line.value.path} was not uploaded`);
        files.set(line.value.path, { content, lfs: true });
      }
      if (line.key === 'deletedFile' && !files.delete(line.value.path)) throw new HubFail(404, `cannot delete ${line.value.path}: not in the repository`, 'EntryNotFound');
    }
    const c = this.addCommit(repo, header.value.summary, files);
    return this.json(200, { success: true, commitOid: c.id, commitUrl: `${this.url}/${repo.id}/commit/${c.id}`, hookOutput: '', pullRequestUrl: null });
  }
}
