/**
 * A fake Docker Engine (API v1.43) on a unix socket for tests: no daemon runs on this machine. It records every
 * request, checks the create body against the documented ContainerConfig/HostConfig field names and types, and
 * answers with the documented shapes (201 {Id, Warnings}, 204, multiplexed log frames, {StatusCode}, a tar from
 * the archive endpoint, a JSON progress stream from /images/create). What a container "does" is a test-supplied
 * program over its Env, Cmd and bind mounts (host folders are real), which can print, write files into the
 * container's filesystem, exit with a code, or hang until killed.
 */
import http from 'node:http';
import { z } from 'zod';
import { writeTar } from '../tar.ts';

export interface ContainerView {
  image: string;
  cmd: string[];
  env: Record<string, string>;
  /** Container path → host path of each bind. */
  binds: Map<string, string>;
  networkMode: string | undefined;
}

export interface ProgramResult {
  lines?: string[];
  exitCode?: number;
  /** Container path → content written into the container's filesystem. */
  files?: Record<string, string>;
  hang?: boolean;
  afterMs?: number;
}

export type Program = (view: ContainerView) => ProgramResult | Promise<ProgramResult>;

export interface Recorded {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
}

const deviceRequestSchema = z.strictObject({
  Driver: z.string(),
  Count: z.number().int(),
  DeviceIDs: z.array(z.string()),
  Capabilities: z.array(z.array(z.string())),
  Options: z.record(z.string(), z.string()),
});

export const hostConfigSchema = z.strictObject({
  Binds: z.array(z.string().regex(/^\/[^:]+:\/[^:]+(:(ro|rw))?$/, 'host-src:container-dest[:ro|rw]')),
  NetworkMode: z.string(),
  Memory: z.number().int().min(0).optional(),
  MemorySwap: z.number().int().optional(),
  NanoCpus: z.number().int().min(0).optional(),
  PidsLimit: z.number().int().nullable().optional(),
  SecurityOpt: z.array(z.string()).optional(),
  CapDrop: z.array(z.string()).optional(),
  CapAdd: z.array(z.string()).optional(),
  ReadonlyRootfs: z.boolean().optional(),
  AutoRemove: z.boolean().optional(),
  Runtime: z.string().optional(),
  DeviceRequests: z.array(deviceRequestSchema).optional(),
});

export const containerCreateSchema = z.strictObject({
  Image: z.string().min(1),
  Cmd: z.array(z.string()).min(1),
  Env: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*=/)),
  Labels: z.record(z.string(), z.string()),
  NetworkDisabled: z.boolean(),
  HostConfig: hostConfigSchema,
});

interface Container {
  id: string;
  name: string;
  body: z.infer<typeof containerCreateSchema>;
  state: 'created' | 'running' | 'exited';
  exitCode: number;
  output: Buffer[];
  files: Map<string, string>;
  waiters: (() => void)[];
  timer?: NodeJS.Timeout;
}

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

export class FakeDockerEngine {
  readonly requests: Recorded[] = [];
  readonly containers = new Map<string, Container>();
  /** Images present on the fake host. */
  readonly images = new Set<string>();
  /** Images the fake registry can pull. */
  readonly registry = new Set<string>();
  program: Program = () => ({ exitCode: 0 });
  private readonly server: http.Server;
  private nextId = 1;

  constructor(readonly socketPath: string) {
    this.server = http.createServer((req, res) => void this.handle(req, res));
  }

  async listen(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(this.socketPath, r));
  }

  async close(): Promise<void> {
    for (const c of this.containers.values()) clearTimeout(c.timer);
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  calls(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path}`);
  }

  creates(): z.infer<typeof containerCreateSchema>[] {
    return this.requests.filter((r) => r.path === '/containers/create').map((r) => r.body as z.infer<typeof containerCreateSchema>);
  }

  private finish(c: Container, code: number): void {
    if (c.state === 'exited') return;
    clearTimeout(c.timer);
    c.state = 'exited';
    c.exitCode = code;
    for (const w of c.waiters.splice(0)) w();
  }

  private async start(c: Container): Promise<void> {
    c.state = 'running';
    const env = Object.fromEntries(c.body.Env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
    const binds = new Map(c.body.HostConfig.Binds.map((b) => [b.split(':')[1]!, b.split(':')[0]!]));
    let result: ProgramResult;
    try {
      result = await this.program({ image: c.body.Image, cmd: c.body.Cmd, env, binds, networkMode: c.body.HostConfig.NetworkMode });
    } catch (err) {
      result = { lines: [`ERR ${(err as Error).message}`], exitCode: 1 };
    }
    for (const line of result.lines ?? []) c.output.push(frame(line.startsWith('ERR ') ? 2 : 1, `${line}\n`));
    for (const [path, content] of Object.entries(result.files ?? {})) c.files.set(path, content);
    if (result.hang) return;
    c.timer = setTimeout(() => this.finish(c, result.exitCode ?? 0), result.afterMs ?? 20);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://docker');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const m = /^\/v(\d+\.\d+)(\/.*)$/.exec(url.pathname);
    const path = decodeURIComponent(m?.[2] ?? url.pathname);
    const query = Object.fromEntries(url.searchParams);
    const record: Recorded = { method: req.method ?? '', path, query, body: null };
    this.requests.push(record);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (!m) return json(400, { message: 'missing API version prefix' });

    const image = /^\/images\/(.+)\/json$/.exec(path);
    if (req.method === 'GET' && image) {
      return this.images.has(image[1]!) ? json(200, { Id: 'sha256:1', RepoTags: [image[1]] }) : json(404, { message: `No such image: ${image[1]}` });
    }
    if (req.method === 'POST' && path === '/images/create') {
      const name = `${query.fromImage}:${query.tag}`;
      res.writeHead(200, { 'content-type': 'application/json' });
      if (!this.registry.has(name)) return void res.end(`${JSON.stringify({ errorDetail: { message: `pull access denied for ${query.fromImage}` }, error: `pull access denied for ${query.fromImage}` })}\r\n`);
      this.images.add(name);
      return void res.end(`${JSON.stringify({ status: `Pulling from ${query.fromImage}` })}\r\n${JSON.stringify({ status: `Status: Downloaded newer image for ${name}` })}\r\n`);
    }
    if (req.method === 'POST' && path === '/containers/create') {
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return json(400, { message: 'invalid JSON' });
      }
      record.body = body;
      const parsed = containerCreateSchema.safeParse(body);
      if (!parsed.success) return json(400, { message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
      if (!this.images.has(parsed.data.Image)) return json(404, { message: `No such image: ${parsed.data.Image}` });
      if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(query.name ?? '')) return json(400, { message: `invalid container name ${query.name}` });
      const id = `e${String(this.nextId++).padStart(63, '0')}`;
      this.containers.set(id, { id, name: query.name!, body: parsed.data, state: 'created', exitCode: 0, output: [], files: new Map(), waiters: [] });
      return json(201, { Id: id, Warnings: [] });
    }
    const cm = /^\/containers\/([^/]+)(?:\/(start|wait|logs|kill|json|archive))?$/.exec(path);
    if (cm) {
      const c = this.containers.get(cm[1]!);
      if (!c) return json(404, { message: `No such container: ${cm[1]}` });
      const action = cm[2];
      if (req.method === 'POST' && action === 'start') {
        if (c.state !== 'created') return void res.writeHead(304).end();
        await this.start(c);
        return void res.writeHead(204).end();
      }
      if (req.method === 'POST' && action === 'wait') {
        const answer = () => json(200, { StatusCode: c.exitCode, Error: null });
        if (c.state === 'exited') return answer();
        c.waiters.push(answer);
        return;
      }
      if (req.method === 'GET' && action === 'logs') {
        res.writeHead(200, { 'content-type': 'application/vnd.docker.multiplexed-stream' });
        for (const f of c.output) res.write(f);
        if (c.state === 'exited') return void res.end();
        c.waiters.push(() => res.end());
        return;
      }
      if (req.method === 'POST' && action === 'kill') {
        if (c.state !== 'running') return json(409, { message: `Container ${c.id} is not running` });
        this.finish(c, 137);
        return void res.writeHead(204).end();
      }
      if (req.method === 'GET' && action === 'json') {
        return json(200, { Id: c.id, State: { Status: c.state, Running: c.state === 'running', ExitCode: c.exitCode, OOMKilled: false } });
      }
      if (req.method === 'GET' && action === 'archive') {
        const content = query.path ? c.files.get(query.path) : undefined;
        if (content === undefined) return json(404, { message: `Could not find the file ${query.path} in container ${c.id}` });
        res.writeHead(200, { 'content-type': 'application/x-tar' });
        return void res.end(writeTar([{ name: query.path!.split('/').pop()!, data: content }]));
      }
      if (req.method === 'DELETE' && !action) {
        this.finish(c, 137);
        this.containers.delete(c.id);
        return void res.writeHead(204).end();
      }
    }
    json(404, { message: `page not found: ${req.method} ${path}` });
  }
}
