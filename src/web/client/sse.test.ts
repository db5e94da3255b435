import { describe, expect, it } from 'vitest';
import { followStream, SseParser } from './sse.ts';

describe('SSE parser', () => {
  it('frames messages across chunk boundaries, skips comments and keeps the last id', () => {
    const p = new SseParser();
    expect(p.push('retry: 2000\n\n: keep-alive\n\nid: 4\nevent: status_changed\nda')).toEqual([]);
    expect(p.push('ta: {"a":1}\n\nid: 5\r\ndata: x\r\ndata: y\r\n\r\n')).toEqual([
      { id: '4', event: 'status_changed', data: '{"a":1}' },
      { id: '5', event: 'message', data: 'x\ny' },
    ]);
    expect(p.lastId).toBe('5');
    expect(p.push('event: end\ndata: {}\n\n')).toEqual([{ id: null, event: 'end', data: '{}' }]);
  });
});

describe('followStream', () => {
  it('reconnects after the last id and stops at event: end', async () => {
    const opened: (string | null)[] = [];
    const bodies = ['id: 1\nevent: created\ndata: {}\n\n', 'id: 2\nevent: status_changed\ndata: {}\n\nevent: end\ndata: {}\n\n'];
    const seen: string[] = [];
    const ended = await followStream({
      signal: new AbortController().signal,
      retryMs: 1,
      open: async (after) => {
        opened.push(after);
        return new Response(bodies[opened.length - 1] ?? '', { headers: { 'content-type': 'text/event-stream' } });
      },
      onMessage: (m) => seen.push(`${m.id}:${m.event}`),
    });
    expect(ended).toBe(true);
    expect(opened).toEqual([null, '1']);
    expect(seen).toEqual(['1:created', '2:status_changed']);
  });

  it('reports errors and stops when aborted', async () => {
    const abort = new AbortController();
    const errors: string[] = [];
    const ended = await followStream({
      signal: abort.signal,
      retryMs: 1,
      open: async () => new Response('nope', { status: 401 }),
      onMessage: () => {},
      onError: (err) => {
        errors.push((err as Error).message);
        abort.abort();
      },
    });
    expect(ended).toBe(false);
    expect(errors).toEqual(['event stream: HTTP 401']);
  });
});
