import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sr25519Keypair, initCrypto } from '../keys/keypair.ts';
import { SignedClient, minerBaseUrl } from './client.ts';
import { fiberAuthOf, fiberAuthPreHandler } from './fastify.ts';
import { NonceStore } from './nonce-store.ts';
import { signRequest } from './signing.ts';

let alice: Sr25519Keypair;
let bob: Sr25519Keypair;
let app: FastifyInstance;
let baseUrl: string;
let port: number;
let handled = 0;

beforeAll(async () => {
  await initCrypto();
  alice = Sr25519Keypair.fromUri('//Alice');
  bob = Sr25519Keypair.fromUri('//Bob');
  app = Fastify({ bodyLimit: 64 * 1024 });
  // What the server factory does: keep the exact bytes for the signature, parse JSON after.
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    (request as typeof request & { rawBody?: Buffer }).rawBody = body as Buffer;
    if ((body as Buffer).length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse((body as Buffer).toString('utf8')));
    } catch (err) {
      (err as Error & { statusCode?: number }).statusCode = 400;
      done(err as Error, undefined);
    }
  });
  const auth = fiberAuthPreHandler(
    {
      minerHotkey: bob.ss58Address,
      lookupStake: (hotkey) => (hotkey === alice.ss58Address ? { found: true, stake: 4000 } : { found: false }),
      nonceStore: new NonceStore(),
      nowNs: () => BigInt(Date.now()) * 1_000_000n,
      maxBodyBytes: 8 * 1024,
    },
  );
  app.post('/task_offer/', { preHandler: auth }, async (request) => {
    handled++;
    return { message: `hello ${fiberAuthOf(request)?.validatorHotkey}`, accepted: true };
  });
  app.get('/training_repo/:type', { preHandler: auth }, async (request) => {
    handled++;
    return { github_repo: `for ${fiberAuthOf(request)?.validatorHotkey}`, commit_hash: 'abc' };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as AddressInfo).port;
  baseUrl = minerBaseUrl('127.0.0.1', port);
});

afterAll(async () => {
  await app.close();
});

function raw(method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers: body ? { ...headers, 'content-length': String(body.length) } : headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('fiberAuthPreHandler on a real Fastify server', () => {
  it('lets our signed client through, for POST and GET, in both body encodings', async () => {
    for (const bodyEncoding of ['python', 'json'] as const) {
      const client = new SignedClient({ keypair: alice, bodyEncoding });
      const post = await client.post({ baseUrl, minerHotkey: bob.ss58Address, path: '/task_offer/', payload: { model: 'm', hours_to_complete: 1.5, task_id: 'ü' } });
      expect(post).toEqual({ kind: 'ok', status: 200, body: { message: `hello ${alice.ss58Address}`, accepted: true } });
    }
    const get = await new SignedClient({ keypair: alice }).get({ baseUrl, minerHotkey: bob.ss58Address, path: '/training_repo/text' });
    expect(get).toMatchObject({ kind: 'ok', body: { github_repo: `for ${alice.ss58Address}` } });
  });

  it('answers refusals with the original status and {"detail"} body, and never runs the handler', async () => {
    const before = handled;
    const body = Buffer.from('{"a": 1}');
    const headers = signRequest({ keypair: alice, minerHotkey: bob.ss58Address, body, nowNs: BigInt(Date.now()) * 1_000_000n });
    expect(await raw('POST', '/task_offer/', headers, Buffer.from('{"a": 2}'))).toEqual({ status: 401, body: JSON.stringify({ detail: "Oi, invalid signature, you're not who you said you were!" }) });
    expect((await raw('POST', '/task_offer/', headers, body)).status).toBe(200);
    expect(await raw('POST', '/task_offer/', headers, body)).toEqual({ status: 401, body: JSON.stringify({ detail: 'Oi, that nonce is not valid!' }) });
    const stranger = signRequest({ keypair: Sr25519Keypair.fromUri('//Eve'), minerHotkey: bob.ss58Address, body, nowNs: BigInt(Date.now()) * 1_000_000n });
    expect(await raw('POST', '/task_offer/', stranger, body)).toEqual({ status: 403, body: JSON.stringify({ detail: 'Hotkey not found in metagraph' }) });
    const big = Buffer.from(JSON.stringify({ x: 'y'.repeat(10_000) }));
    const bigHeaders = signRequest({ keypair: alice, minerHotkey: bob.ss58Address, body: big, nowNs: BigInt(Date.now()) * 1_000_000n });
    expect(await raw('POST', '/task_offer/', bigHeaders, big)).toEqual({ status: 413, body: JSON.stringify({ detail: 'Request body too large' }) });
    expect((await raw('GET', '/training_repo/text', { 'content-type': 'application/json' })).status).toBe(422);
    expect(handled - before).toBe(1);
  });

  it('survives 300 randomly mutated requests and still serves the control', async () => {
    const before = handled;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('validator-hotkey', 'miner-hotkey', 'nonce', 'signature', 'body'),
        fc.string({ unit: 'grapheme-ascii', maxLength: 200 }),
        async (target, junk) => {
          const body = Buffer.from('{"model": "m", "task_id": "t"}');
          const headers = signRequest({ keypair: alice, minerHotkey: bob.ss58Address, body, nowNs: BigInt(Date.now()) * 1_000_000n });
          let sent = body;
          if (target === 'body') sent = Buffer.from(junk);
          else headers[target] = junk;
          fc.pre(!(target === 'body' && junk === body.toString()));
          const res = await raw('POST', '/task_offer/', headers, sent);
          expect(res.status).toBeGreaterThanOrEqual(400);
          expect(res.status).toBeLessThan(500);
        },
      ),
      { numRuns: 300, seed: 56 },
    );
    expect(handled).toBe(before);
    const control = await new SignedClient({ keypair: alice }).post({ baseUrl, minerHotkey: bob.ss58Address, path: '/task_offer/', payload: { model: 'm' } });
    expect(control.kind).toBe('ok');
  });
});
