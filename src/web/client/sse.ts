/**
 * Server-sent events over fetch: the task event stream needs the API key in a header, which EventSource cannot
 * send. `SseParser` is the text/event-stream framing (pure, fed chunks as they arrive); `followStream` reconnects
 * with `after=<last id>` until the server sends `event: end` or the caller aborts.
 */

export interface SseMessage {
  id: string | null;
  event: string;
  data: string;
}

export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private event = '';
  private id: string | null = null;
  /** The last `id:` seen, kept across messages (the reconnect cursor). */
  lastId: string | null = null;

  /** Feeds a chunk of text; returns the messages it completed. */
  push(chunk: string): SseMessage[] {
    this.buffer += chunk;
    const out: SseMessage[] = [];
    for (;;) {
      const nl = this.buffer.search(/\r\n|\r|\n/);
      if (nl < 0) break;
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + (this.buffer.startsWith('\r\n', nl) ? 2 : 1));
      if (line === '') {
        if (this.data.length > 0 || this.event) out.push({ id: this.id, event: this.event || 'message', data: this.data.join('\n') });
        this.data = [];
        this.event = '';
        this.id = null;
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') this.data.push(value);
      else if (field === 'event') this.event = value;
      else if (field === 'id') {
        this.id = value;
        this.lastId = value;
      }
    }
    return out;
  }
}

export interface StreamOptions {
  open(after: string | null, signal: AbortSignal): Promise<Response>;
  onMessage(m: SseMessage): void;
  /** Called with each connection error before the retry. */
  onError?(err: unknown): void;
  signal: AbortSignal;
  retryMs?: number;
}

/** Reads the stream until `event: end` (resolves true) or abort (false); reconnects after errors. */
export async function followStream(o: StreamOptions): Promise<boolean> {
  const parser = new SseParser();
  while (!o.signal.aborted) {
    try {
      const res = await o.open(parser.lastId, o.signal);
      if (!res.ok || !res.body) throw new Error(`event stream: HTTP ${res.status}`);
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (const m of parser.push(decoder.decode(value, { stream: true }))) {
          if (m.event === 'end') return true;
          o.onMessage(m);
        }
      }
    } catch (err) {
      if (o.signal.aborted) return false;
      o.onError?.(err);
    }
    await new Promise((r) => setTimeout(r, o.retryMs ?? 2000));
  }
  return false;
}
