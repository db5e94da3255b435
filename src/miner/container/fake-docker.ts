/**
 * A fake Docker Engine for the miner's container backend (no Docker engine runs here), on the shared skeleton
 * (src/testing/fake-docker-engine.ts: recording, container lifecycle, documented answer shapes). It runs nothing:
 * each container "exits" as soon as it starts, with the code `exitCode(name, body)` chooses and the log text
 * `logs(name)` gives. It adds what the miner needs besides: named volumes, AutoRemove, every image present (the
 * miner pulls none), short ids (`c1`, `c2`, …) and a loopback port as well as a unix socket.
 */
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { dockerFrame, FakeDockerEngineBase, type FakeContainer, type FakeRequest, type Recorded } from '../../testing/fake-docker-engine.ts';

export interface FakeDockerOptions {
  /** Exit code of a container, by its create name and body (default 0). */
  readonly exitCode?: (name: string, body: Record<string, unknown>) => number;
  /** Log text a container returns (default `done`). */
  readonly logs?: (name: string) => string;
}

/** Loose on purpose: backend.test.ts checks the bodies strictly against the documented format. */
const createSchema = z.looseObject({
  Image: z.string(),
  Tty: z.boolean().optional(),
  HostConfig: z.looseObject({ AutoRemove: z.boolean().optional() }).optional(),
});
type CreateBody = z.infer<typeof createSchema>;
type Container = FakeContainer<CreateBody>;

/**
 * The fake the tests use. A wrapper rather than a subclass because its `listen` picks the address and returns how
 * to reach it, where the skeleton's listens on the socket given at construction.
 */
export class FakeDockerEngine {
  private readonly engine: MinerEngine;

  constructor(options: FakeDockerOptions = {}) {
    this.engine = new MinerEngine(options);
  }

  /** Every request so far; `path` is without the API version prefix and with the query string. */
  get requests(): readonly Recorded[] {
    return this.engine.requests;
  }

  /** Listens on a unix socket path, or on a loopback port when none is given; returns how to reach it. */
  listen(socketPath?: string): Promise<{ socketPath?: string; baseUrl?: string }> {
    return this.engine.listenAt(socketPath);
  }

  close(): Promise<void> {
    return this.engine.close();
  }

  /** Names of containers that still exist (created and not removed). */
  get liveContainers(): string[] {
    return [...this.engine.containers.values()].map((c) => c.name ?? c.id);
  }

  get liveVolumes(): string[] {
    return [...this.engine.volumes];
  }
}

class MinerEngine extends FakeDockerEngineBase<CreateBody> {
  protected readonly createSchema = createSchema;
  protected readonly idPrefix = 'c';
  readonly volumes = new Set<string>();

  constructor(private readonly options: FakeDockerOptions) {
    // The address is chosen at listenAt(), so the skeleton's socketPath stays unused.
    super('');
  }

  async listenAt(socketPath?: string): Promise<{ socketPath?: string; baseUrl?: string }> {
    if (socketPath) {
      await new Promise<void>((r) => this.server.listen(socketPath, r));
      return { socketPath };
    }
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return { baseUrl: `http://127.0.0.1:${(this.server.address() as AddressInfo).port}` };
  }

  protected override containerId(n: number): string {
    return `${this.idPrefix}${n}`;
  }

  protected override hasImage(): boolean {
    return true;
  }

  protected newContainer(base: Container): Container {
    return base;
  }

  protected run(c: Container): void {
    const name = c.name ?? c.id;
    const text = this.options.logs?.(name) ?? 'done\n';
    // A TTY container's log stream is raw; otherwise it is multiplexed (DockerClient.logs demuxes by `tty`).
    c.output.push(c.body.Tty ? Buffer.from(text) : dockerFrame(1, text));
    this.finish(c, this.options.exitCode?.(name, c.body) ?? 0);
  }

  /** Docker removes an AutoRemove container once it exited; here once its wait is answered, so the wait finds it. */
  protected override waited(c: Container): void {
    if (c.body.HostConfig?.AutoRemove) this.containers.delete(c.id);
  }

  protected override route(r: FakeRequest): boolean {
    // The miner's tests compare `METHOD path?query` and read the JSON body of any call, so record both.
    r.record.path = `${r.path}${new URL(r.req.url ?? '/', 'http://docker').search}`;
    r.record.body = parseJson(r.raw);
    if (r.method === 'POST' && r.path === '/volumes/create') {
      const name = (r.record.body as { Name?: unknown } | null)?.Name;
      if (typeof name !== 'string') r.json(400, { message: 'Name: expected a string' });
      else {
        this.volumes.add(name);
        r.json(201, { Name: name });
      }
      return true;
    }
    const m = /^\/volumes\/([^/]+)$/.exec(r.path);
    if (!m || (r.method !== 'GET' && r.method !== 'DELETE')) return false;
    const name = m[1]!;
    if (!this.volumes.has(name)) r.json(404, { message: 'no such volume' });
    else if (r.method === 'GET') r.json(200, { Name: name });
    else {
      this.volumes.delete(name);
      r.res.writeHead(204).end();
    }
    return true;
  }
}

/** The JSON body of a request; null when there is none or it is not JSON (the create route answers that 400). */
function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) return null;
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    return null;
  }
}
