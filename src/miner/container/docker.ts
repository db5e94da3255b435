/**
 * A small Docker Engine API client (https://docs.docker.com/engine/api/, v1.41+): just the calls the container
 * backend makes, over the daemon's unix socket or a TCP base URL (tests point it at a fake engine).
 */
import http from 'node:http';

export interface DockerTarget {
  /** Default `/var/run/docker.sock` when no `baseUrl` is given. */
  readonly socketPath?: string;
  /** e.g. `http://127.0.0.1:2375`; wins over `socketPath`. */
  readonly baseUrl?: string;
  /** API version prefix (default v1.43, supported by Docker 24+). */
  readonly apiVersion?: string;
}

export class DockerApiError extends Error {
  constructor(
    readonly status: number,
    readonly path: string,
    message: string,
  ) {
    super(`Docker ${path}: ${status} ${message}`);
    this.name = 'DockerApiError';
  }
}

interface Raw {
  status: number;
  body: Buffer;
}

/** Splits Docker's multiplexed log stream (8-byte frame headers) into text; a TTY container's stream is raw. */
export function demuxLogs(buffer: Buffer, tty: boolean): string {
  if (tty) return buffer.toString('utf8');
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(at + 4);
    parts.push(buffer.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}

export class DockerClient {
  private readonly version: string;

  constructor(private readonly target: DockerTarget = {}) {
    this.version = target.apiVersion ?? 'v1.43';
  }

  private request(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Raw> {
    const full = `/${this.version}${path}`;
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const url = this.target.baseUrl ? new URL(full, this.target.baseUrl) : null;
    return new Promise<Raw>((resolve, reject) => {
      const req = http.request(
        {
          method,
          ...(url ? { host: url.hostname, port: url.port, path: `${url.pathname}${url.search}` } : { socketPath: this.target.socketPath ?? '/var/run/docker.sock', path: full }),
          headers: { ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}), host: 'docker' },
          ...(signal ? { signal } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  private fail(raw: Raw, path: string): never {
    let message = raw.body.toString('utf8');
    try {
      message = (JSON.parse(message) as { message?: string }).message ?? message;
    } catch {
      // not JSON: keep the text
    }
    throw new DockerApiError(raw.status, path, message);
  }

  /** `POST /containers/create`; returns the container id. */
  async createContainer(body: Record<string, unknown>, name?: string): Promise<string> {
    const path = `/containers/create${name ? `?name=${encodeURIComponent(name)}` : ''}`;
    const raw = await this.request('POST', path, body);
    if (raw.status !== 201) this.fail(raw, path);
    return (JSON.parse(raw.body.toString('utf8')) as { Id: string }).Id;
  }

  async startContainer(id: string): Promise<void> {
    const path = `/containers/${encodeURIComponent(id)}/start`;
    const raw = await this.request('POST', path);
    if (raw.status !== 204 && raw.status !== 304) this.fail(raw, path);
  }

  /** `POST /containers/{id}/wait`: blocks until the container exits; returns its exit code. */
  async waitContainer(id: string, signal?: AbortSignal): Promise<number> {
    const path = `/containers/${encodeURIComponent(id)}/wait`;
    const raw = await this.request('POST', path, undefined, signal);
    if (raw.status !== 200) this.fail(raw, path);
    return (JSON.parse(raw.body.toString('utf8')) as { StatusCode: number }).StatusCode;
  }

  /** The last `tail` lines of stdout and stderr. */
  async logs(id: string, tty: boolean, tail = 100): Promise<string> {
    const path = `/containers/${encodeURIComponent(id)}/logs?stdout=true&stderr=true&tail=${tail}`;
    const raw = await this.request('GET', path);
    if (raw.status !== 200) this.fail(raw, path);
    return demuxLogs(raw.body, tty);
  }

  /** `DELETE /containers/{id}?force=true`; an already removed container is fine. */
  async removeContainer(id: string): Promise<void> {
    const path = `/containers/${encodeURIComponent(id)}?force=true`;
    const raw = await this.request('DELETE', path);
    if (raw.status !== 204 && raw.status !== 404) this.fail(raw, path);
  }

  async volumeExists(name: string): Promise<boolean> {
    const path = `/volumes/${encodeURIComponent(name)}`;
    const raw = await this.request('GET', path);
    if (raw.status === 404) return false;
    if (raw.status !== 200) this.fail(raw, path);
    return true;
  }

  async createVolume(name: string, labels: Record<string, string> = {}): Promise<void> {
    const raw = await this.request('POST', '/volumes/create', { Name: name, Labels: labels });
    if (raw.status !== 201) this.fail(raw, '/volumes/create');
  }

  async removeVolume(name: string): Promise<void> {
    const path = `/volumes/${encodeURIComponent(name)}?force=true`;
    const raw = await this.request('DELETE', path);
    if (raw.status !== 204 && raw.status !== 404) this.fail(raw, path);
  }
}
