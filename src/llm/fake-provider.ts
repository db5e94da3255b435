/**
 * A fake HTTP provider on loopback for tests of the remote-service clients: it records every request (method,
 * path, query, headers, parsed JSON body) and answers from a script, one entry per request, then from a default.
 * A scripted answer can delay (to provoke client timeouts), drop the connection, or send any status, headers and
 * body, garbage included. It is a real server: the clients under test go through real sockets.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
  rawBody: string;
}

export interface FakeReply {
  status?: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string as it is. */
  body?: unknown;
  /** Wait this long before answering (the client may time out first). */
  delayMs?: number;
  /** Close the socket without an answer. */
  drop?: boolean;
}

export type FakeHandler = (request: RecordedRequest) => FakeReply | Promise<FakeReply>;

export class FakeHttpProvider {
  readonly requests: RecordedRequest[] = [];
  private readonly script: (FakeReply | FakeHandler)[] = [];
  private server: Server | null = null;
  private readonly sockets = new Set<import('node:net').Socket>();
  baseUrl = '';

  constructor(private fallback: FakeHandler = () => ({ status: 404, body: { detail: 'not scripted' } })) {}

  /** Answers for the next requests, in order. */
  reply(...replies: (FakeReply | FakeHandler)[]): this {
    this.script.push(...replies);
    return this;
  }

  setDefault(handler: FakeHandler): this {
    this.fallback = handler;
    return this;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    let body: unknown = null;
    try {
      body = rawBody === '' ? null : JSON.parse(rawBody);
    } catch {
      body = rawBody;
    }
    const url = new URL(req.url ?? '/', 'http://fake');
    const recorded: RecordedRequest = { method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers, body, rawBody };
    this.requests.push(recorded);
    const next = this.script.shift() ?? this.fallback;
    const reply = typeof next === 'function' ? await next(recorded) : next;
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    if (reply.drop) {
      req.socket.destroy();
      return;
    }
    const isText = typeof reply.body === 'string';
    const payload = reply.body === undefined ? '' : isText ? (reply.body as string) : JSON.stringify(reply.body);
    if (res.destroyed) return;
    res.writeHead(reply.status ?? 200, { 'content-type': isText ? 'text/plain' : 'application/json', ...(reply.headers ?? {}) });
    res.end(payload);
  }
}

/** A minimal chat-completions answer. */
export function chatAnswer(content: string | null, usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null = null): FakeReply {
  return {
    body: {
      id: 'chatcmpl-fake',
      object: 'chat.completion',
      created: 1,
      model: 'fake',
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: content === null ? 'content_filter' : 'stop' }],
      ...(usage ? { usage } : {}),
    },
  };
}
