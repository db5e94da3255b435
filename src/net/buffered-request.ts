/**
 * One HTTP(S) request over node:http with the process's keep-alive agents, the answer buffered whole: for small
 * JSON exchanges with our own services (the model hub's metadata routes), where `fetch` costs several times the
 * CPU of the request itself (streams, AbortSignal timers, Response objects). The result has the few members of a
 * fetch `Response` that such callers read, so a caller can take either.
 */
import http from 'node:http';
import https from 'node:https';

export interface BufferedResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
  json(): Promise<unknown>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface BufferedRequestInit {
  method: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** The whole exchange, connection to last byte. */
  timeoutMs: number;
}

class Buffered implements BufferedResponse {
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };

  constructor(
    readonly status: number,
    readonly statusText: string,
    raw: http.IncomingHttpHeaders,
    private readonly body: Buffer,
  ) {
    this.ok = status >= 200 && status < 300;
    this.headers = {
      get: (name) => {
        const v = raw[name.toLowerCase()];
        return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
      },
    };
  }

  text(): Promise<string> {
    return Promise.resolve(this.body.toString('utf8'));
  }

  async json(): Promise<unknown> {
    return JSON.parse(this.body.toString('utf8')) as unknown;
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    const copy = new Uint8Array(this.body.length);
    copy.set(this.body);
    return Promise.resolve(copy.buffer);
  }
}

/** Rejects with an Error naming the failure (refused, reset, timed out); any HTTP status resolves. */
export function bufferedRequest(url: string, init: BufferedRequestInit): Promise<BufferedResponse> {
  const target = new URL(url);
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return Promise.reject(new Error(`unsupported protocol ${target.protocol}`));
  const body = typeof init.body === 'string' ? Buffer.from(init.body, 'utf8') : init.body;
  const headers = body === undefined ? (init.headers ?? {}) : { ...init.headers, 'content-length': String(body.length) };
  const send = target.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    let done = false;
    const fail = (err: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(err);
    };
    const req = send(target, { method: init.method, headers });
    const timer = setTimeout(() => {
      fail(new Error(`no complete answer within ${init.timeoutMs} ms`));
      req.destroy();
    }, init.timeoutMs);
    req.on('error', fail);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', fail);
      res.on('end', () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(new Buffered(res.statusCode ?? 0, res.statusMessage ?? '', res.headers, Buffer.concat(chunks)));
      });
    });
    req.end(body);
  });
}
