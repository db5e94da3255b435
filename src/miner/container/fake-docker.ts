/**
 * A fake Docker Engine for tests: an HTTP server (on a unix socket or loopback port) that answers the calls
 * DockerClient makes the way the Engine API documents them, and records every request. It runs nothing —
 * each container "exits" at once with the code `exitCode(name, body)` chooses. No Docker engine runs here;
 * this is how the backend's requests are checked.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  /** Path without the API version prefix, with the query string. */
  readonly path: string;
  readonly body: unknown;
}

export interface FakeDockerOptions {
  /** Exit code of a container, by its create name and body (default 0). */
  readonly exitCode?: (name: string, body: Record<string, unknown>) => number;
  /** Log text a container returns (default `done`). */
  readonly logs?: (name: string) => string;
}

export class FakeDockerEngine {
  readonly requests: RecordedRequest[] = [];
  private readonly containers = new Map<string, { name: string; body: Record<string, unknown>; started: boolean }>();
  private readonly volumes = new Set<string>();
  private server: http.Server | null = null;
  private next = 1;

  constructor(private readonly options: FakeDockerOptions = {}) {}

  /** Listens on a unix socket path, or on a loopback port when none is given; returns how to reach it. */
  async listen(socketPath?: string): Promise<{ socketPath?: string; baseUrl?: string }> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, Buffer.concat(chunks), res));
    });
    if (socketPath) {
      await new Promise<void>((r) => this.server?.listen(socketPath, r));
      return { socketPath };
    }
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    return { baseUrl: `http://127.0.0.1:${(this.server.address() as AddressInfo).port}` };
  }

  async close(): Promise<void> {
    await new Promise((r) => this.server?.close(r));
  }

  /** Names of containers that still exist (created and not removed). */
  get liveContainers(): string[] {
    return [...this.containers.values()].map((c) => c.name);
  }

  get liveVolumes(): string[] {
    return [...this.volumes];
  }

  private handle(req: http.IncomingMessage, raw: Buffer, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://docker');
    const path = url.pathname.replace(/^\/v\d+\.\d+/, '');
    const body = raw.length > 0 ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : undefined;
    this.requests.push({ method: req.method ?? '', path: `${path}${url.search}`, body });
    const send = (status: number, payload?: unknown): void => {
      res.statusCode = status;
      if (payload === undefined) {
        res.end();
        return;
      }
      res.setHeader('content-type', typeof payload === 'string' ? 'text/plain' : 'application/json');
      res.end(typeof payload === 'string' ? payload : JSON.stringify(payload));
    };
    const missing = (): void => send(404, { message: 'No such container' });
    let m: RegExpExecArray | null;
    if (req.method === 'POST' && path === '/containers/create') {
      if (typeof body?.Image !== 'string') return send(400, { message: 'config cannot be empty in order to create a container' });
      const id = `c${this.next++}`;
      this.containers.set(id, { name: url.searchParams.get('name') ?? id, body, started: false });
      return send(201, { Id: id, Warnings: [] });
    }
    if ((m = /^\/containers\/([^/]+)\/start$/.exec(path)) && req.method === 'POST') {
      const c = this.containers.get(m[1] as string);
      if (!c) return missing();
      c.started = true;
      return send(204);
    }
    if ((m = /^\/containers\/([^/]+)\/wait$/.exec(path)) && req.method === 'POST') {
      const id = m[1] as string;
      const c = this.containers.get(id);
      if (!c) return missing();
      const code = this.options.exitCode?.(c.name, c.body) ?? 0;
      if ((c.body.HostConfig as { AutoRemove?: boolean } | undefined)?.AutoRemove) this.containers.delete(id);
      return send(200, { StatusCode: code });
    }
    if ((m = /^\/containers\/([^/]+)\/logs$/.exec(path)) && req.method === 'GET') {
      const c = this.containers.get(m[1] as string);
      if (!c) return missing();
      return send(200, this.options.logs?.(c.name) ?? 'done\n');
    }
    if ((m = /^\/containers\/([^/]+)$/.exec(path)) && req.method === 'DELETE') {
      return this.containers.delete(m[1] as string) ? send(204) : missing();
    }
    if (req.method === 'POST' && path === '/volumes/create') {
      this.volumes.add(String(body?.Name));
      return send(201, { Name: body?.Name });
    }
    if ((m = /^\/volumes\/([^/]+)$/.exec(path))) {
      const name = decodeURIComponent(m[1] as string);
      if (req.method === 'GET') return this.volumes.has(name) ? send(200, { Name: name }) : send(404, { message: 'no such volume' });
      if (req.method === 'DELETE') return this.volumes.delete(name) ? send(204) : send(404, { message: 'no such volume' });
    }
    return send(404, { message: `page not found: ${req.method} ${path}` });
  }
}
