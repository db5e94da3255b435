/**
 * The local hub over HTTP, with Hugging Face Hub routes where they exist:
 *
 *   GET  /api/models/{owner}/{name}[/revision/{rev}]   info: sha, lastModified, siblings[{rfilename,size,lfs}]
 *   GET  /api/models/{owner}/{name}/commits/{rev}      history, newest first
 *   GET  /{owner}/{name}/resolve/{rev}/{path…}         file bytes (X-Repo-Commit, ETag = sha256)
 *   POST /api/repos/create                             {name, organization?, type?, private?}
 *   PUT  /api/models/{owner}/{name}/objects/{sha256}   file bytes, streamed and verified (ours)
 *   POST /api/models/{owner}/{name}/commit/main        NDJSON header/file/lfsFile/deletedFile lines
 *
 * Reads are public; writes need `Authorization: Bearer <hub token>` of the repository's owner namespace.
 */
import type { FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { createReadStream } from 'node:fs';
import { z } from 'zod';
import { HttpError, route } from '../../http/index.ts';
import type { GodServer } from '../../http/index.ts';
import { mapStorageErrors, refuseUnreadUploads } from '../http-errors.ts';
import { RepoFilePath, RepoName, RepoOwner, Revision, Sha256Hex } from '../names.ts';
import type { TreeEntry } from './commit.ts';
import type { LocalModelHub } from './local.ts';
import type { HubTokenStore } from './tokens.ts';
import { CommitLine, CommitListWire, CommitResponse, CreateRepoBody, CreateRepoResponse, ModelInfoWire, ObjectResponse } from './wire.ts';
import type { RepoInfo } from './types.ts';

export interface HubRouteOptions {
  tokens: HubTokenStore;
  /** Largest commit request body (NDJSON with inline files); default 16 MiB. */
  maxCommitBytes?: number;
  /** Base URL for links in answers; default: taken from the request's Host. */
  publicUrl?: string;
}

const RepoParams = z.object({ owner: RepoOwner, name: RepoName });
const RevisionParams = RepoParams.extend({ revision: Revision });

function baseUrlOf(request: FastifyRequest, publicUrl: string | undefined): string {
  return (publicUrl ?? `${request.protocol}://${request.headers.host ?? 'localhost'}`).replace(/\/+$/, '');
}

export function toModelInfoWire(info: RepoInfo): ModelInfoWire {
  const [author] = info.id.split('/');
  return {
    _id: info.id,
    id: info.id,
    modelId: info.id,
    author,
    sha: info.sha,
    lastModified: info.lastModified,
    createdAt: info.createdAt,
    private: false,
    disabled: false,
    gated: false,
    downloads: 0,
    likes: 0,
    tags: [],
    siblings: info.files.map((f) => ({
      rfilename: f.path,
      size: f.size,
      ...(f.sha256 !== null ? { blobId: f.sha256, lfs: { sha256: f.sha256, size: f.size } } : {}),
    })),
  };
}

/** The owner a request's hub token grants; 401 without a valid one. */
async function tokenOwner(tokens: HubTokenStore, request: FastifyRequest): Promise<string> {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match) throw new HttpError(401, 'Not authenticated', { 'www-authenticate': 'Bearer' });
  const owner = await tokens.verify(match[1] as string);
  if (owner === null) throw new HttpError(401, 'Invalid hub token', { 'www-authenticate': 'Bearer' });
  return owner;
}

function requireOwner(granted: string, owner: string): void {
  if (granted !== owner) throw new HttpError(403, `This token may write to ${granted}/*, not ${owner}/*`);
}

/** The file path of a resolve URL, from the raw request path (each segment percent-decoded once). */
function resolvePathOf(rawUrl: string): string {
  const segments = (rawUrl.split('?')[0] ?? '').split('/').slice(5);
  let path: string;
  try {
    path = segments.map(decodeURIComponent).join('/');
  } catch {
    throw new HttpError(400, 'Invalid file path encoding');
  }
  if (!RepoFilePath.safeParse(path).success) throw new HttpError(400, 'Invalid file path');
  return path;
}

/** Reads the NDJSON commit body into the tree changes it asks for. */
function parseCommitBody(raw: Buffer | undefined): { header: { summary: string; description?: string; parentCommit?: string }; inline: { path: string; bytes: Buffer }[]; lfs: TreeEntry[]; deleted: string[] } {
  const lines = (raw ?? Buffer.alloc(0)).toString('utf8').split('\n').filter((l) => l.trim() !== '');
  let header: { summary: string; description?: string; parentCommit?: string } | undefined;
  const inline: { path: string; bytes: Buffer }[] = [];
  const lfs: TreeEntry[] = [];
  const deleted: string[] = [];
  lines.forEach((line, i) => {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new HttpError(400, `line ${i + 1}: not JSON`);
    }
    const parsed = CommitLine.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new HttpError(400, `line ${i + 1}: ${issue ? `${issue.path.join('.') || '(line)'}: ${issue.message}` : 'invalid'}`);
    }
    const entry = parsed.data;
    const checkPath = (path: string) => {
      if (!RepoFilePath.safeParse(path).success) throw new HttpError(400, `line ${i + 1}: invalid file path ${JSON.stringify(path)}`);
    };
    switch (entry.key) {
      case 'header':
        if (header) throw new HttpError(400, `line ${i + 1}: a second header`);
        header = entry.value;
        break;
      case 'file':
        checkPath(entry.value.path);
        inline.push({ path: entry.value.path, bytes: Buffer.from(entry.value.content, 'base64') });
        break;
      case 'lfsFile':
        checkPath(entry.value.path);
        if (!Sha256Hex.safeParse(entry.value.oid).success) throw new HttpError(400, `line ${i + 1}: oid is not a sha256`);
        lfs.push({ path: entry.value.path, sha256: entry.value.oid, size: entry.value.size ?? -1 });
        break;
      case 'deletedFile':
        checkPath(entry.value.path);
        deleted.push(entry.value.path);
        break;
    }
  });
  if (!header) throw new HttpError(400, 'the first line must be the header');
  return { header, inline, lfs, deleted };
}

export function registerHubRoutes(server: GodServer, hub: LocalModelHub, options: HubRouteOptions): void {
  const { tokens } = options;
  const maxCommitBytes = options.maxCommitBytes ?? 16 * 1024 * 1024;

  const info = async (owner: string, name: string, revision?: string) =>
    toModelInfoWire(await mapStorageErrors(() => hub.repoInfo(`${owner}/${name}`, revision === undefined ? {} : { revision })));

  server.routes([
    route({
      method: 'GET',
      url: '/api/models/{owner}/{name}',
      params: RepoParams,
      response: ModelInfoWire,
      summary: 'Model repository info (head of main)',
      tags: ['hub'],
      handler: ({ params }) => info(params.owner, params.name),
    }),
    route({
      method: 'GET',
      url: '/api/models/{owner}/{name}/revision/{revision}',
      params: RevisionParams,
      response: ModelInfoWire,
      summary: 'Model repository info at a revision',
      tags: ['hub'],
      handler: ({ params }) => info(params.owner, params.name, params.revision),
    }),
    route({
      method: 'GET',
      url: '/api/models/{owner}/{name}/commits/{revision}',
      params: RevisionParams,
      response: CommitListWire,
      summary: 'Revision history of main, newest first',
      tags: ['hub'],
      handler: async ({ params }) => {
        const repoId = `${params.owner}/${params.name}`;
        const all = await mapStorageErrors(() => hub.listRevisions(repoId));
        const from = params.revision === 'main' ? 0 : all.findIndex((r) => r.sha === params.revision);
        if (from < 0) throw new HttpError(404, `revision ${params.revision} not found in ${repoId}`);
        return all.slice(from).map((r) => ({ id: r.sha, title: r.message.split('\n')[0] ?? '', message: r.message, date: r.date, authors: [{ user: params.owner }], parents: r.parent ? [r.parent] : [] }));
      },
    }),
    route({
      method: 'GET',
      url: '/{owner}/{name}/resolve/{revision}/*',
      summary: 'Download one file of a revision',
      tags: ['hub'],
      responseContentType: 'application/octet-stream',
      handler: async ({ request, reply }) => {
        const params = RevisionParams.safeParse(request.params);
        if (!params.success) throw new HttpError(400, 'Invalid repository or revision');
        const path = resolvePathOf(request.raw.url ?? '');
        const repoId = `${params.data.owner}/${params.data.name}`;
        const { revision, entry } = await mapStorageErrors(() => hub.fileEntry(repoId, path, { revision: params.data.revision }));
        reply
          .header('content-type', 'application/octet-stream')
          .header('content-length', String(entry.size))
          .header('etag', `"${entry.sha256}"`)
          .header('x-repo-commit', revision)
          .header('x-linked-size', String(entry.size));
        return reply.send(createReadStream(hub.objectPath(entry.sha256)));
      },
    }),
    route({
      method: 'POST',
      url: '/api/repos/create',
      body: CreateRepoBody,
      response: CreateRepoResponse,
      auth: (request) => tokenOwner(tokens, request),
      summary: 'Create a model repository in the token\'s namespace',
      tags: ['hub'],
      handler: async ({ body, auth, request }) => {
        if (body.private) throw new HttpError(400, 'The local hub has public repositories only');
        const [first, second] = body.name.split('/');
        const owner = second !== undefined ? (first as string) : (body.organization ?? auth);
        const name = second ?? body.name;
        requireOwner(auth, owner);
        const repoId = `${owner}/${name}`;
        await mapStorageErrors(() => hub.createRepo(repoId));
        return { url: `${baseUrlOf(request, options.publicUrl)}/${repoId}`, name: repoId };
      },
    }),
    route({
      method: 'POST',
      url: '/api/models/{owner}/{name}/commit/{revision}',
      params: RevisionParams,
      response: CommitResponse,
      auth: (request) => tokenOwner(tokens, request),
      bodyLimit: maxCommitBytes,
      summary: 'Add a revision to main (NDJSON lines: header, file, lfsFile, deletedFile)',
      tags: ['hub'],
      handler: async ({ params, auth, rawBody, request }) => {
        requireOwner(auth, params.owner);
        if (params.revision !== 'main') throw new HttpError(400, 'Only main can be committed to');
        const repoId = `${params.owner}/${params.name}`;
        const { header, inline, lfs, deleted } = parseCommitBody(rawBody);
        const message = header.description ? `${header.summary}\n\n${header.description}` : header.summary;
        const rev = await mapStorageErrors(async () => {
          if (!(await hub.exists(repoId))) throw new HttpError(404, `repository ${repoId} not found`);
          const added: TreeEntry[] = [];
          for (const f of inline) added.push({ path: f.path, ...(await hub.putObject(f.bytes)) });
          for (const f of lfs) {
            if (!(await hub.hasObject(f.sha256))) throw new HttpError(400, `${f.path}: object ${f.sha256} was not uploaded`);
            const size = await hub.objectSize(f.sha256);
            if (f.size !== -1 && f.size !== size) throw new HttpError(400, `${f.path}: size ${f.size} does not match the uploaded ${size}`);
            added.push({ path: f.path, sha256: f.sha256, size });
          }
          return hub.commit(repoId, added, {
            message,
            deletePaths: deleted,
            ...(header.parentCommit !== undefined ? { parentRevision: header.parentCommit } : {}),
          });
        });
        return {
          success: true,
          commitOid: rev.sha,
          commitUrl: `${baseUrlOf(request, options.publicUrl)}/${repoId}/commit/${rev.sha}`,
          commitMessage: rev.message,
          hookOutput: '',
          pullRequestUrl: null,
          parentCommit: rev.parent,
          date: rev.date,
        };
      },
    }),
  ]);

  // Object uploads stream to disk: their own plugin context reads the body as a stream, not a buffer.
  void server.app.register(async (child) => {
    child.removeAllContentTypeParsers();
    child.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    child.put('/api/models/:owner/:name/objects/:sha256', (request, reply) =>
      refuseUnreadUploads(request, async () => {
        const params = RepoParams.extend({ sha256: Sha256Hex }).safeParse(request.params);
        if (!params.success) throw new HttpError(400, 'Invalid repository or sha256');
        requireOwner(await tokenOwner(tokens, request), params.data.owner);
        const declared = Number(request.headers['content-length'] ?? NaN);
        if (Number.isFinite(declared) && declared > hub.maxFileBytes) throw new HttpError(413, `Request body too large (limit ${hub.maxFileBytes} bytes)`);
        const repoId = `${params.data.owner}/${params.data.name}`;
        if (!(await hub.exists(repoId))) throw new HttpError(404, `repository ${repoId} not found`);
        const body = (request.body as Readable | undefined) ?? new Uint8Array(0);
        return reply.send(ObjectResponse.parse(await hub.putObject(body, params.data.sha256)));
      }),
    );
  });
}
