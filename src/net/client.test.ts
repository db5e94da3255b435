import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ManualClock } from '../clock/index.ts';
import { Sr25519Keypair, initCrypto } from '../keys/keypair.ts';
import { SignedClient, minerBaseUrl } from './client.ts';
import { NonceStore } from './nonce-store.ts';
import { pythonJsonDumps } from './python-json.ts';
import { verifyRequest } from './verify.ts';

let alice: Sr25519Keypair;
let bob: Sr25519Keypair;
const servers: http.Server[] = [];

beforeAll(async () => {
  await initCrypto();
  alice = Sr25519Keypair.fromUri('//Alice');
  bob = Sr25519Keypair.fromUri('//Bob');
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()); })));
});

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

async function serve(handler: (seen: Seen, res: http.ServerResponse) => void): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      seen.push(s);
      handler(s, res);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: minerBaseUrl('127.0.0.1', (server.address() as AddressInfo).port), seen };
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const Offer = z.object({ message: z.string(), accepted: z.boolean() });
const payload = { ds_size: 10, model: 'm', hours_to_complete: 2.5, task_id: 'é', task_type: 'DpoTask' };

describe('SignedClient', () => {
  it('sends fiber-signed requests a miner verifies, with the Python json.dumps body bytes', async () => {
    const { url, seen } = await serve((_s, res) => json(res, 200, { message: 'ok', accepted: true }));
    const client = new SignedClient({ keypair: alice });
    const result = await client.post({ baseUrl: url, minerHotkey: bob.ss58Address, path: '/task_offer/', payload, timeout: 'offer', schema: Offer });
    expect(result).toEqual({ kind: 'ok', status: 200, body: { message: 'ok', accepted: true } });
    const req = seen[0] as Seen;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/task_offer/');
    expect(req.body.toString('utf8')).toBe(pythonJsonDumps(payload));
    expect(req.headers['content-type']).toBe('application/json');
    const verdict = await verifyRequest(
      { headers: req.headers, rawBody: req.body, method: req.method, path: req.url },
      { minerHotkey: bob.ss58Address, lookupStake: () => ({ found: true, stake: 1e6 }), nonceStore: new NonceStore(), nowNs: () => BigInt(Date.now()) * 1_000_000n },
    );
    expect(verdict.ok).toBe(true);
  });

  it('signs GETs without a body and takes nonce time from its clock', async () => {
    const { url, seen } = await serve((_s, res) => json(res, 200, { github_repo: 'r', commit_hash: 'c' }));
    const clock = new ManualClock(Date.UTC(2025, 7, 1));
    const client = new SignedClient({ keypair: alice, clock });
    const result = await client.get({ baseUrl: url, minerHotkey: bob.ss58Address, path: '/training_repo/text' });
    expect(result.kind).toBe('ok');
    const req = seen[0] as Seen;
    expect(req.body).toHaveLength(0);
    expect(req.headers.nonce).toMatch(new RegExp(`^${BigInt(Date.UTC(2025, 7, 1)) * 1_000_000n}_[A-Za-z0-9]{10}$`));
    const verdict = await verifyRequest(
      { headers: req.headers, rawBody: null, method: 'GET', path: req.url },
      { minerHotkey: bob.ss58Address, lookupStake: () => ({ found: true, stake: 1e6 }), nonceStore: new NonceStore(), nowNs: () => BigInt(clock.now()) * 1_000_000n },
    );
    expect(verdict.ok).toBe(true);
  });

  it('reports a non-2xx answer as http_error with its detail', async () => {
    const { url } = await serve((_s, res) => json(res, 403, { detail: 'Hotkey not found in metagraph' }));
    const result = await new SignedClient({ keypair: alice }).post({ baseUrl: url, minerHotkey: bob.ss58Address, path: '/task_offer/', payload });
    expect(result).toEqual({ kind: 'http_error', status: 403, body: { detail: 'Hotkey not found in metagraph' } });
  });

  it('does not follow redirects', async () => {
    const { url, seen } = await serve((s, res) => {
      if (s.url === '/task_offer') {
        res.writeHead(307, { location: '/task_offer/' });
        res.end();
      } else json(res, 200, { message: 'followed', accepted: true });
    });
    const result = await new SignedClient({ keypair: alice }).post({ baseUrl: url, minerHotkey: bob.ss58Address, path: '/task_offer', payload });
    expect(result).toMatchObject({ kind: 'http_error', status: 307 });
    expect(seen.map((s) => s.url)).toEqual(['/task_offer']);
  });

  it('times out a miner that never answers, with the offer timeout for offers', async () => {
    const { url } = await serve(() => undefined);
    const client = new SignedClient({ keypair: alice, offerTimeoutMs: 150, defaultTimeoutMs: 60_000 });
    const started = performance.now();
    const result = await client.post({ baseUrl: url, minerHotkey: bob.ss58Address, path: '/task_offer/', payload, timeout: 'offer' });
    expect(result).toEqual({ kind: 'timeout' });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(await client.get({ baseUrl: url, minerHotkey: bob.ss58Address, path: '/x', timeout: 100 })).toEqual({ kind: 'timeout' });
  });

  it('times out a body that trickles past the deadline', async () => {
    const { url } = await serve((_s, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"message": ');
    });
    const result = await new SignedClient({ keypair: alice, defaultTimeoutMs: 200 }).get({ baseUrl: url, minerHotkey: bob.ss58Address, path: '/x' });
    expect(result).toEqual({ kind: 'timeout' });
  });

  it('reports a closed port as refused', async () => {
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const result = await new SignedClient({ keypair: alice }).get({ baseUrl: minerBaseUrl('127.0.0.1', port), minerHotkey: bob.ss58Address, path: '/x' });
    expect(result).toEqual({ kind: 'refused', code: 'ECONNREFUSED' });
  });

  it('caps the response size, declared or streamed', async () => {
    const big = JSON.stringify({ blob: 'x'.repeat(10_000) });
    const declared = await serve((_s, res) => json(res, 200, JSON.parse(big)));
    const client = new SignedClient({ keypair: alice, maxResponseBytes: 4096 });
    const a = await client.get({ baseUrl: declared.url, minerHotkey: bob.ss58Address, path: '/x' });
    expect(a).toMatchObject({ kind: 'invalid_body', status: 200 });
    const streamed = await serve((_s, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      for (let i = 0; i < 10; i++) res.write('x'.repeat(1000));
      res.end();
    });
    const b = await client.get({ baseUrl: streamed.url, minerHotkey: bob.ss58Address, path: '/x' });
    expect(b).toMatchObject({ kind: 'invalid_body', status: 200 });
    if (b.kind === 'invalid_body') expect(b.error).toMatch(/exceeds the 4096-byte limit/);
  });

  it('reports a body that is not JSON or fails the schema as invalid_body naming the field', async () => {
    const { url } = await serve((s, res) => {
      if (s.url === '/text') {
        res.writeHead(200);
        res.end('<html>');
      } else json(res, 200, { message: 'x', accepted: 'yes' });
    });
    const client = new SignedClient({ keypair: alice });
    expect(await client.get({ baseUrl: url, minerHotkey: bob.ss58Address, path: '/text' })).toEqual({ kind: 'invalid_body', status: 200, error: 'response body is not JSON' });
    const bad = await client.get({ baseUrl: url, minerHotkey: bob.ss58Address, path: '/schema', schema: Offer });
    expect(bad.kind).toBe('invalid_body');
    if (bad.kind === 'invalid_body') expect(bad.error).toMatch(/^accepted: expected boolean/);
  });

  it('builds IPv4 and IPv6 base URLs as fiber does (plain http)', () => {
    expect(minerBaseUrl('1.2.3.4', 7999)).toBe('http://1.2.3.4:7999');
    expect(minerBaseUrl('::1', 7999)).toBe('http://[::1]:7999');
  });
});
