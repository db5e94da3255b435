/**
 * A small Docker Engine API client over the daemon's unix socket (or a TCP base URL in tests), covering the calls
 * the trainer makes: build, create, start, logs, wait, inspect, kill, remove, image removal, build-cache prune.
 * Paths carry the API version (`/v1.43/...`) so the daemon answers with the documented shapes of that version.
 */
import http from 'node:http';
import type { Readable } from 'node:stream';

export class DockerApiError extends Error {
  override name = 'DockerApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface DockerEngineOptions {
  socketPath?: string;
  /** For tests against a fake on loopback: `http://127.0.0.1:PORT`. */
  baseUrl?: string;
  apiVersion: string;
}

type Query = Record<string, string | number | boolean | undefined>;

export interface BuildEvent {
  stream?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
  status?: string;
}

export interface ContainerInspect {
  Id: string;
  State: { Status: string; Running: boolean; ExitCode: number; OOMKilled: boolean };
}

function queryString(query: Query | undefined): string {
  if (!query) return '';
  const parts = Object.entries(query)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(typeof v === 'boolean' ? (v ? '1' : '0') : String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

export class DockerEngine {
  constructor(private readonly options: DockerEngineOptions) {}

  private open(method: string, path: string, query: Query | undefined, headers: Record<string, string>, signal?: AbortSignal): http.ClientRequest {
    const fullPath = `/v${this.options.apiVersion}${path}${queryString(query)}`;
    if (this.options.baseUrl) {
      const url = new URL(fullPath, this.options.baseUrl);
      return http.request({ method, hostname: url.hostname, port: url.port, path: url.pathname + url.search, headers, ...(signal ? { signal } : {}) });
    }
    return http.request({ method, socketPath: this.options.socketPath ?? '/var/run/docker.sock', path: fullPath, headers: { host: 'docker', ...headers }, ...(signal ? { signal } : {}) });
  }

  /** One request with an optional JSON or streamed body; resolves with the response once its headers arrive. */
  private send(method: string, path: string, opts: { query?: Query; json?: unknown; stream?: Readable; contentType?: string; signal?: AbortSignal; timeoutMs?: number } = {}): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = {};
      let payload: Buffer | undefined;
      if (opts.json !== undefined) {
        payload = Buffer.from(JSON.stringify(opts.json));
        headers['content-type'] = 'application/json';
        headers['content-length'] = String(payload.length);
      } else if (opts.stream) headers['content-type'] = opts.contentType ?? 'application/octet-stream';
      const req = this.open(method, path, opts.query, headers, opts.signal);
      if (opts.timeoutMs) req.setTimeout(opts.timeoutMs, () => req.destroy(new DockerApiError(0, `${method} ${path} timed out after ${opts.timeoutMs} ms`)));
      req.once('error', reject);
      req.once('response', resolve);
      if (payload) req.end(payload);
      else if (opts.stream) {
        opts.stream.once('error', (e) => req.destroy(e));
        opts.stream.pipe(req);
      } else req.end();
    });
  }

  private async call(method: string, path: string, opts: Parameters<DockerEngine['send']>[2] & { ok?: number[] } = {}): Promise<unknown> {
    const res = await this.send(method, path, opts);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const status = res.statusCode ?? 0;
    if (!(opts.ok ?? [200, 201, 204]).includes(status)) {
      let message = text;
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {
        // plain text error
      }
      throw new DockerApiError(status, `${method} ${path}: ${status} ${message}`.trim());
    }
    if (!text) return null;
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.call('GET', '/_ping', { timeoutMs: 5000 })) === 'OK';
    } catch {
      return false;
    }
  }

  /**
   * POST /build with a tar context. Errors the daemon reports inside the JSON stream (a failed RUN step) are
   * detected here — the reference misses them (tournament.md §10).
   */
  async build(context: Readable, query: Query, onEvent: (event: BuildEvent) => void, signal: AbortSignal): Promise<{ imageId: string | null }> {
    const res = await this.send('POST', '/build', { query, stream: context, contentType: 'application/x-tar', signal });
    if (res.statusCode !== 200) {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      throw new DockerApiError(res.statusCode ?? 0, `build: ${res.statusCode} ${Buffer.concat(chunks).toString('utf8').slice(0, 500)}`);
    }
    let imageId: string | null = null;
    let failure: string | null = null;
    let rest = '';
    for await (const chunk of res) {
      rest += (chunk as Buffer).toString('utf8');
      let nl: number;
      while ((nl = rest.indexOf('\n')) >= 0) {
        const line = rest.slice(0, nl).trim();
        rest = rest.slice(nl + 1);
        if (!line) continue;
        let event: BuildEvent;
        try {
          event = JSON.parse(line) as BuildEvent;
        } catch {
          continue;
        }
        if (event.error || event.errorDetail) failure ??= event.errorDetail?.message ?? event.error ?? 'build failed';
        if (event.aux?.ID) imageId = event.aux.ID;
        onEvent(event);
      }
    }
    if (failure) throw new DockerApiError(200, `build failed: ${failure}`);
    return { imageId };
  }

  async createContainer(name: string, config: unknown): Promise<string> {
    const body = (await this.call('POST', '/containers/create', { query: { name }, json: config, ok: [201] })) as { Id: string };
    return body.Id;
  }

  async start(id: string, timeoutMs: number): Promise<void> {
    await this.call('POST', `/containers/${encodeURIComponent(id)}/start`, { ok: [204, 304], timeoutMs });
  }

  /** Resolves with the exit code once the container stops (the request stays open until then). */
  async wait(id: string, signal: AbortSignal): Promise<{ StatusCode: number }> {
    return (await this.call('POST', `/containers/${encodeURIComponent(id)}/wait`, { query: { condition: 'not-running' }, signal })) as { StatusCode: number };
  }

  async inspect(id: string): Promise<ContainerInspect> {
    return (await this.call('GET', `/containers/${encodeURIComponent(id)}/json`, { timeoutMs: 30_000 })) as ContainerInspect;
  }

  /**
   * Follows the container's output. Without a TTY the daemon multiplexes stdout and stderr in frames of an 8-byte
   * header (stream type, 3 zero bytes, big-endian length) and the payload.
   */
  async logs(id: string, onData: (stream: 'stdout' | 'stderr', data: Buffer) => void, signal: AbortSignal): Promise<void> {
    const res = await this.send('GET', `/containers/${encodeURIComponent(id)}/logs`, { query: { follow: true, stdout: true, stderr: true }, signal });
    let buf = Buffer.alloc(0);
    for await (const chunk of res) {
      buf = Buffer.concat([buf, chunk as Buffer]);
      while (buf.length >= 8) {
        const size = buf.readUInt32BE(4);
        if (buf.length < 8 + size) break;
        onData(buf[0] === 2 ? 'stderr' : 'stdout', buf.subarray(8, 8 + size));
        buf = buf.subarray(8 + size);
      }
    }
  }

  /**
   * GET /containers/{id}/archive: the tar of one path inside a (stopped) container, as the original reads the
   * evaluation results; null when the path does not exist there.
   */
  async getArchive(id: string, path: string, timeoutMs = 120_000): Promise<Buffer | null> {
    const res = await this.send('GET', `/containers/${encodeURIComponent(id)}/archive`, { query: { path }, timeoutMs });
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    if (res.statusCode === 404) return null;
    if (res.statusCode !== 200) throw new DockerApiError(res.statusCode ?? 0, `GET archive ${path}: ${res.statusCode} ${body.toString('utf8').slice(0, 300)}`);
    return body;
  }

  /** GET /images/{name}/json: whether the image is present on this host. */
  async imageExists(name: string): Promise<boolean> {
    try {
      await this.call('GET', `/images/${encodeURIComponent(name)}/json`, { timeoutMs: 30_000 });
      return true;
    } catch (error) {
      if (error instanceof DockerApiError && error.status === 404) return false;
      throw error;
    }
  }

  /** POST /images/create (docker pull); errors reported inside the progress stream fail the pull. */
  async pullImage(name: string, signal?: AbortSignal): Promise<void> {
    const at = name.lastIndexOf(':');
    const tagged = at > name.lastIndexOf('/');
    const query = { fromImage: tagged ? name.slice(0, at) : name, tag: tagged ? name.slice(at + 1) : 'latest' };
    const res = await this.send('POST', '/images/create', { query, ...(signal ? { signal } : {}) });
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    if (res.statusCode !== 200) throw new DockerApiError(res.statusCode ?? 0, `pull ${name}: ${res.statusCode} ${text.slice(0, 300)}`);
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const event = JSON.parse(line) as BuildEvent;
        if (event.error || event.errorDetail) throw new DockerApiError(200, `pull ${name} failed: ${event.errorDetail?.message ?? event.error}`);
      } catch (error) {
        if (error instanceof DockerApiError) throw error;
      }
    }
  }

  async kill(id: string): Promise<void> {
    await this.call('POST', `/containers/${encodeURIComponent(id)}/kill`, { query: { signal: 'SIGKILL' }, ok: [204, 404, 409], timeoutMs: 30_000 });
  }

  async remove(id: string): Promise<void> {
    await this.call('DELETE', `/containers/${encodeURIComponent(id)}`, { query: { force: true, v: true }, ok: [204, 404], timeoutMs: 60_000 });
  }

  async removeImage(tag: string): Promise<void> {
    await this.call('DELETE', `/images/${encodeURIComponent(tag)}`, { query: { force: true }, ok: [200, 404], timeoutMs: 60_000 });
  }

  async pruneBuildCache(): Promise<void> {
    await this.call('POST', '/build/prune', { ok: [200], timeoutMs: 300_000 });
  }
}
