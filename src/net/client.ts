/**
 * The validator's signed HTTP client for miner calls: fiber 2.4.0 headers, one deadline per call covering
 * connect, headers and body (3 s for offers, 10 s otherwise), redirects never followed (httpx does not follow
 * them either), a cap on the response size, and every outcome as a value instead of an exception.
 *
 * POST bodies are serialised once and the signed bytes are the bytes sent. By default they are Python's
 * `json.dumps` form, so a request is byte-identical to what a Python validator sends.
 */
import http from 'node:http';
import type { z } from 'zod';
import { systemClock } from '../clock/index.ts';
import type { Clock } from '../clock/index.ts';
import { safeParseWire } from '../core/parse.ts';
import { protocolRules } from '../core/rules/protocol.ts';
import { validatorRules } from '../core/rules/validator.ts';
import type { Sr25519Keypair } from '../keys/keypair.ts';
import { clockNowNs } from './nonce.ts';
import { pythonJsonDumps } from './python-json.ts';
import { signRequest } from './signing.ts';

export type CallResult<T = unknown> =
  | { kind: 'ok'; status: number; body: T }
  | { kind: 'timeout' }
  /** No HTTP answer: connection refused, reset, unreachable host or unresolvable name; `code` says which. */
  | { kind: 'refused'; code: string }
  /** Any non-2xx answer, 3xx included (not followed); `body` is the parsed JSON, or the text when not JSON. */
  | { kind: 'http_error'; status: number; body: unknown }
  /** A 2xx answer whose body is not JSON, fails the schema, or exceeds the size cap. */
  | { kind: 'invalid_body'; status: number; error: string };

export type TimeoutChoice = 'offer' | 'default' | number;

export interface SignedClientOptions {
  keypair: Sr25519Keypair;
  /** Clock for nonce timestamps; must agree with the miners' wall clocks within the nonce window. */
  clock?: Pick<Clock, 'now'>;
  offerTimeoutMs?: number;
  defaultTimeoutMs?: number;
  maxResponseBytes?: number;
  /** `python`: json.dumps spacing (byte-identical to fiber's client); `json`: JSON.stringify. Both verify. */
  bodyEncoding?: 'python' | 'json';
  /** e.g. a keep-alive agent; default is Node's global agent. */
  agent?: http.Agent;
}

interface CallBase<T> {
  /** `http://ip:port` of the miner, no trailing slash. */
  baseUrl: string;
  /** The miner's hotkey from the metagraph; the miner refuses a request signed for another hotkey. */
  minerHotkey: string;
  /** Exact path, trailing slash included (`/task_offer/`). */
  path: string;
  timeout?: TimeoutChoice;
  schema?: z.ZodType<T>;
}

export interface PostCall<T> extends CallBase<T> {
  payload: unknown;
}

export type GetCall<T> = CallBase<T>;

/** The address fiber builds from a node: plain HTTP to the posted IP and port. */
export function minerBaseUrl(ip: string, port: number): string {
  return ip.includes(':') ? `http://[${ip}]:${port}` : `http://${ip}:${port}`;
}

export class SignedClient {
  private readonly keypair: Sr25519Keypair;
  private readonly clock: Pick<Clock, 'now'>;
  private readonly offerTimeoutMs: number;
  private readonly defaultTimeoutMs: number;
  private readonly maxResponseBytes: number;
  private readonly bodyEncoding: 'python' | 'json';
  private readonly agent: http.Agent | undefined;

  constructor(options: SignedClientOptions) {
    this.keypair = options.keypair;
    this.clock = options.clock ?? systemClock;
    this.offerTimeoutMs = options.offerTimeoutMs ?? validatorRules.offerTimeoutSeconds * 1000;
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? protocolRules.callTimeoutSeconds * 1000;
    this.maxResponseBytes = options.maxResponseBytes ?? protocolRules.maxResponseBodyBytes;
    this.bodyEncoding = options.bodyEncoding ?? 'python';
    this.agent = options.agent;
  }

  post<T = unknown>(call: PostCall<T>): Promise<CallResult<T>> {
    const text = this.bodyEncoding === 'python' ? pythonJsonDumps(call.payload) : JSON.stringify(call.payload);
    const body = Buffer.from(text, 'utf8');
    const headers = signRequest({ keypair: this.keypair, minerHotkey: call.minerHotkey, body, nowNs: clockNowNs(this.clock) });
    return this.send('POST', call, headers, body);
  }

  get<T = unknown>(call: GetCall<T>): Promise<CallResult<T>> {
    const headers = signRequest({ keypair: this.keypair, minerHotkey: call.minerHotkey, nowNs: clockNowNs(this.clock) });
    return this.send('GET', call, headers, undefined);
  }

  private timeoutMs(choice: TimeoutChoice | undefined): number {
    if (choice === 'offer') return this.offerTimeoutMs;
    if (choice === undefined || choice === 'default') return this.defaultTimeoutMs;
    return choice;
  }

  private send<T>(
    method: 'GET' | 'POST',
    call: CallBase<T>,
    headers: Record<string, string>,
    body: Buffer | undefined,
  ): Promise<CallResult<T>> {
    const url = new URL(call.path, `${call.baseUrl}/`);
    if (url.protocol !== 'http:') throw new Error(`miner calls are plain HTTP (as fiber's), got ${url.protocol}`);
    // new URL() resolves `..` and would drop the base path; miner paths are absolute, so take them verbatim.
    const requestPath = call.path.startsWith('/') ? call.path : `/${call.path}`;
    const limit = this.maxResponseBytes;
    return new Promise<CallResult<T>>((resolve) => {
      let settled = false;
      // On timeout the request is destroyed; its 'error' then finds the call already settled.
      const timer = setTimeout(() => {
        finish({ kind: 'timeout' });
        req.destroy();
      }, this.timeoutMs(call.timeout));
      const finish = (result: CallResult<T>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
      };
      const req = http.request({
        method,
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port || 80,
        path: requestPath,
        agent: this.agent,
        headers: body === undefined ? headers : { ...headers, 'Content-Length': String(body.length) },
      });
      req.on('error', (err: NodeJS.ErrnoException) => finish({ kind: 'refused', code: err.code ?? err.message }));
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > limit) {
          finish({ kind: 'invalid_body', status, error: `response body of ${declared} bytes exceeds the ${limit}-byte limit` });
          req.destroy();
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > limit) {
            finish({ kind: 'invalid_body', status, error: `response body exceeds the ${limit}-byte limit` });
            req.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (err: NodeJS.ErrnoException) => finish({ kind: 'refused', code: err.code ?? err.message }));
        res.on('end', () => finish(interpret(status, Buffer.concat(chunks).toString('utf8'), call.schema)));
      });
      req.end(body);
    });
  }
}

function interpret<T>(status: number, text: string, schema: z.ZodType<T> | undefined): CallResult<T> {
  let parsed: unknown;
  let isJson = true;
  try {
    parsed = JSON.parse(text);
  } catch {
    isJson = false;
  }
  if (status < 200 || status >= 300) return { kind: 'http_error', status, body: isJson ? parsed : text };
  if (!isJson) return { kind: 'invalid_body', status, error: 'response body is not JSON' };
  if (schema === undefined) return { kind: 'ok', status, body: parsed as T };
  const result = safeParseWire(schema, parsed);
  if (!result.ok) return { kind: 'invalid_body', status, error: result.error.message };
  return { kind: 'ok', status, body: result.value };
}
