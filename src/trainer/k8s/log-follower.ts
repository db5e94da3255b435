/**
 * Streams a container's log into lines while it runs (`follow=true&timestamps=true`). API servers and kubelets drop
 * long-lived log streams, so a stream that ends while the container may still run is reopened from the second of
 * the last line seen (`sinceTime` has second precision) and lines not newer than that line are skipped.
 *
 * The request is made with node:http(s) and the kubeconfig's own agent and headers rather than the library's `Log`
 * helper, whose fetch body emits an unhandled 'error' (a process crash) when the stream is aborted or cut.
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { LineSplitter } from '../executor.ts';

const TRUNCATED = '…[truncated]';

/** `2024-05-01T10:00:00.5Z` → `2024-05-01T10:00:00.500000000Z` (comparable as strings); null when not RFC 3339 UTC. */
export function normalizeTimestamp(ts: string): { full: string; second: string } | null {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(ts);
  if (!m) return null;
  return { full: `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}Z`, second: `${m[1]}Z` };
}

/** Opens `GET …/pods/<pod>/log` as a stream; rejects on a non-200 answer with the API's message. */
export async function openPodLog(kc: KubeConfig, namespace: string, pod: string, query: Record<string, string>, signal: AbortSignal): Promise<IncomingMessage> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('no current cluster in the kubeconfig');
  const url = new URL(`${cluster.server.replace(/\/+$/, '')}/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log`);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  const opts: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  const request = url.protocol === 'https:' ? https.request : http.request;
  return new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(url, { ...opts, method: 'GET', signal }, (res) => {
      if (res.statusCode === 200) return resolve(res);
      let body = '';
      res.on('data', (c: Buffer) => void (body.length < 4096 && (body += c.toString())));
      res.on('error', () => undefined);
      res.on('end', () => {
        let message = body;
        try {
          message = (JSON.parse(body) as { message?: string }).message ?? body;
        } catch {
          // plain text
        }
        reject(new Error(`HTTP ${res.statusCode}: ${message.trim()}`));
      });
    });
    req.on('error', reject);
    req.end();
  });
}

export interface LogFollowerOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  pod: string;
  container: string;
  maxLineChars: number;
  reconnectMs: number;
  onLine: (line: string) => void;
}

export class LogFollower {
  private last: { full: string; second: string } | null = null;
  private finishing = false;
  private stopped = false;
  private readonly abort = new AbortController();
  private current: (() => void) | null = null;
  /** Settles when no stream is open and none will be opened again. */
  readonly done: Promise<void>;

  constructor(private readonly options: LogFollowerOptions) {
    this.done = this.loop();
  }

  /** The container has ended: read what is left, then stop instead of reopening. */
  finish(): void {
    this.finishing = true;
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
    this.current?.();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      await this.once();
      if (this.finishing || this.stopped) return;
      await new Promise((r) => setTimeout(r, this.options.reconnectMs));
    }
  }

  private once(): Promise<void> {
    const o = this.options;
    return new Promise<void>((resolve) => {
      let ended = false;
      const lines = new LineSplitter(o.maxLineChars + 64, (raw) => this.line(raw));
      const end = () => {
        if (ended) return;
        ended = true;
        lines.end();
        if (this.current === end) this.current = null;
        resolve();
      };
      this.current = end;
      const query = { container: o.container, follow: 'true', timestamps: 'true', ...(this.last ? { sinceTime: this.last.second } : {}) };
      openPodLog(o.kubeConfig, o.namespace, o.pod, query, this.abort.signal).then((res) => {
        res.on('data', (chunk: Buffer) => lines.push(chunk));
        res.once('end', end);
        res.once('close', end);
        res.once('error', end);
      }, end);
    });
  }

  private line(raw: string): void {
    const space = raw.indexOf(' ');
    const ts = space > 0 ? normalizeTimestamp(raw.slice(0, space)) : null;
    let text = raw;
    if (ts) {
      if (this.last && ts.full <= this.last.full) return; // already delivered before the stream was reopened
      this.last = ts;
      text = raw.slice(space + 1);
    }
    if (text.length > this.options.maxLineChars && !text.endsWith(TRUNCATED)) text = `${text.slice(0, this.options.maxLineChars)}${TRUNCATED}`;
    this.options.onLine(text);
  }
}
