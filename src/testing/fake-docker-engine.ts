/**
 * The skeleton shared by the fake Docker Engines of the tests (no Docker daemon runs on this machine): an HTTP
 * server on a unix socket that speaks the Engine API's container lifecycle as v1.43 documents it, and records
 * every request. It checks `POST /containers/create` against the subclass's schema of the documented
 * ContainerConfig/HostConfig and answers with the documented shapes (201 {Id, Warnings}, 204, 304, multiplexed log
 * frames, {StatusCode}, State with OOMKilled). What a started container "does", which other endpoints exist (image
 * pulls, builds, archives) and what the create call must carry besides the schema are the subclass's.
 *
 * Fakes built on it: src/evaluation-exec/testing/fake-docker.ts (evaluation containers),
 * test/trainer/fake-docker.ts (training builds and runs) and src/miner/container/fake-docker.ts (the miner's
 * axolotl/kohya containers and volumes, optionally on a loopback port).
 */
import http from 'node:http';
import type { z } from 'zod';

export interface Recorded {
  method: string;
  /** Path without the `/v1.43` prefix, URL-decoded, without the query string. */
  path: string;
  query: Record<string, string>;
  /** The parsed JSON body of a create call; null for the others. */
  body: unknown;
  /** Entry names of a tar request body (`POST /build`), where the fake reads one. */
  tarEntries?: string[];
}

export interface FakeContainer<B> {
  id: string;
  /** The `name` query parameter of the create call, when one was given. */
  name?: string;
  body: B;
  state: 'created' | 'running' | 'exited';
  exitCode: number;
  oom: boolean;
  /** Multiplexed log frames written so far. */
  output: Buffer[];
  /** Answers (wait, logs) held until the container exits. */
  waiters: (() => void)[];
  timer?: NodeJS.Timeout;
}

/** What a route handler of a subclass gets: the parsed request and helpers to answer it. */
export interface FakeRequest {
  readonly req: http.IncomingMessage;
  readonly res: http.ServerResponse;
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly raw: Buffer;
  readonly record: Recorded;
  json(status: number, body: unknown): void;
}

/** One frame of Docker's multiplexed stream: 8-byte header (stream id, big-endian length), then the payload. */
export function dockerFrame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

export function issuesText(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
}

export abstract class FakeDockerEngineBase<B extends { Image: string }, C extends FakeContainer<B> = FakeContainer<B>> {
  readonly requests: Recorded[] = [];
  readonly containers = new Map<string, C>();
  /** Images present on the fake host. */
  readonly images = new Set<string>();
  /** Protected so that a subclass may listen elsewhere than `socketPath` (e.g. a loopback port). */
  protected readonly server: http.Server;
  private nextId = 1;

  /** Schema of the create body; a body it refuses gets 400 naming the field paths. */
  protected abstract readonly createSchema: z.ZodType<B>;
  /** First character of container ids, so ids of different fakes are told apart in failures. */
  protected abstract readonly idPrefix: string;

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

  /** `METHOD /path` of every request so far, in order. */
  calls(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path}`);
  }

  /** Id of the n-th created container (from 1): 64 characters starting with `idPrefix`, as the Engine's are. */
  protected containerId(n: number): string {
    return `${this.idPrefix}${String(n).padStart(63, '0')}`;
  }

  /** Whether a create call's image is on the fake host. */
  protected hasImage(image: string): boolean {
    return this.images.has(image);
  }

  /** Called once a wait call has been answered, e.g. to remove an AutoRemove container. */
  protected waited(_c: C): void {}

  /** The container record for an accepted create call; subclasses add their own state. */
  protected abstract newContainer(base: FakeContainer<B>): C;

  /** Starts a created container: writes its output and exits it (or not) through `emit` and `finish`. */
  protected abstract run(c: C): void | Promise<void>;

  /** Further checks of a create call that passed the schema and whose image exists: an error message, or null. */
  protected admit(_body: B, _query: Record<string, string>): string | null {
    return null;
  }

  /** Endpoints besides the container lifecycle; true when the request was answered. */
  protected route(_r: FakeRequest): boolean | Promise<boolean> {
    return false;
  }

  /** Appends log lines; a line starting with `ERR ` goes to stderr. */
  protected emit(c: C, lines: readonly string[]): void {
    for (const line of lines) c.output.push(dockerFrame(line.startsWith('ERR ') ? 2 : 1, `${line}\n`));
  }

  protected finish(c: C, code: number, oom = false): void {
    if (c.state === 'exited') return;
    clearTimeout(c.timer);
    c.state = 'exited';
    c.exitCode = code;
    c.oom = oom;
    for (const w of c.waiters.splice(0)) w();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://docker');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const m = /^\/v(\d+\.\d+)(\/.*)$/.exec(url.pathname);
    const path = decodeURIComponent(m?.[2] ?? url.pathname);
    const query = Object.fromEntries(url.searchParams);
    const method = req.method ?? '';
    const record: Recorded = { method, path, query, body: null };
    this.requests.push(record);
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (!m) return json(400, { message: 'missing API version prefix' });
    if (await this.route({ req, res, method, path, query, raw, record, json })) return;

    if (method === 'POST' && path === '/containers/create') {
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return json(400, { message: 'invalid JSON' });
      }
      record.body = body;
      const parsed = this.createSchema.safeParse(body);
      if (!parsed.success) return json(400, { message: issuesText(parsed.error) });
      if (!this.hasImage(parsed.data.Image)) return json(404, { message: `No such image: ${parsed.data.Image}` });
      const refusal = this.admit(parsed.data, query);
      if (refusal) return json(400, { message: refusal });
      const id = this.containerId(this.nextId++);
      const base: FakeContainer<B> = { id, body: parsed.data, state: 'created', exitCode: 0, oom: false, output: [], waiters: [] };
      if (query.name !== undefined) base.name = query.name;
      this.containers.set(id, this.newContainer(base));
      return json(201, { Id: id, Warnings: [] });
    }
    const cm = /^\/containers\/([^/]+)(?:\/(start|wait|logs|kill|json))?$/.exec(path);
    if (cm) {
      const c = this.containers.get(cm[1]!);
      if (!c) return json(404, { message: `No such container: ${cm[1]}` });
      const action = cm[2];
      if (method === 'POST' && action === 'start') {
        if (c.state !== 'created') return void res.writeHead(304).end();
        c.state = 'running';
        await this.run(c);
        return void res.writeHead(204).end();
      }
      if (method === 'POST' && action === 'wait') {
        const answer = () => {
          json(200, { StatusCode: c.exitCode, Error: null });
          this.waited(c);
        };
        if (c.state === 'exited') return answer();
        c.waiters.push(answer);
        return;
      }
      if (method === 'GET' && action === 'logs') {
        res.writeHead(200, { 'content-type': 'application/vnd.docker.multiplexed-stream' });
        for (const f of c.output) res.write(f);
        if (c.state === 'exited') return void res.end();
        c.waiters.push(() => res.end());
        return;
      }
      if (method === 'POST' && action === 'kill') {
        if (c.state !== 'running') return json(409, { message: `Container ${c.id} is not running` });
        this.finish(c, 137);
        return void res.writeHead(204).end();
      }
      if (method === 'GET' && action === 'json') {
        return json(200, { Id: c.id, State: { Status: c.state, Running: c.state === 'running', ExitCode: c.exitCode, OOMKilled: c.oom } });
      }
      if (method === 'DELETE' && !action) {
        this.finish(c, 137);
        this.containers.delete(c.id);
        return void res.writeHead(204).end();
      }
    }
    json(404, { message: `page not found: ${method} ${path}` });
  }
}
