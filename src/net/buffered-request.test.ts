import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferedRequest } from './buffered-request.ts';

let server: http.Server;
let base: string;
const seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
      if (req.url === '/slow') return void setTimeout(() => res.end('late'), 2000);
      if (req.url === '/missing') {
        res.writeHead(404, 'Not Found', { 'content-type': 'application/json' });
        return void res.end('{"detail":"no such repo"}');
      }
      res.writeHead(200, { 'content-type': 'application/json', etag: '"abc"', 'set-cookie': ['a=1', 'b=2'] });
      res.end(JSON.stringify({ ok: true, echo: Buffer.concat(chunks).toString() }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('bufferedRequest', () => {
  it('sends method, headers and body with its length, and reads the whole answer like a fetch Response', async () => {
    const res = await bufferedRequest(`${base}/api/x?q=1`, { method: 'POST', headers: { 'content-type': 'text/plain', authorization: 'Bearer t' }, body: 'héllo', timeoutMs: 5000 });
    expect(res.ok).toBe(true);
    expect(res.status).toBe(200);
    expect(res.headers.get('ETag')).toBe('"abc"');
    expect(res.headers.get('set-cookie')).toBe('a=1, b=2');
    expect(res.headers.get('x-none')).toBeNull();
    expect(await res.json()).toEqual({ ok: true, echo: 'héllo' });
    expect(new TextDecoder().decode(await res.arrayBuffer())).toBe('{"ok":true,"echo":"héllo"}');
    const last = seen.at(-1)!;
    expect([last.method, last.url, last.headers['content-length'], last.headers.authorization]).toEqual(['POST', '/api/x?q=1', '6', 'Bearer t']);
  });

  it('resolves any HTTP status, with its text', async () => {
    const res = await bufferedRequest(`${base}/missing`, { method: 'GET', timeoutMs: 5000 });
    expect([res.ok, res.status, res.statusText]).toEqual([false, 404, 'Not Found']);
    expect(await res.text()).toBe('{"detail":"no such repo"}');
  });

  it('rejects on a refused connection, past the timeout, and for other protocols', async () => {
    await expect(bufferedRequest('http://127.0.0.1:1/', { method: 'GET', timeoutMs: 5000 })).rejects.toThrow(/ECONNREFUSED/);
    await expect(bufferedRequest(`${base}/slow`, { method: 'GET', timeoutMs: 100 })).rejects.toThrow('no complete answer within 100 ms');
    await expect(bufferedRequest('ftp://127.0.0.1/x', { method: 'GET', timeoutMs: 100 })).rejects.toThrow('unsupported protocol ftp:');
  });
});
