/**
 * `npm run bench -- protocol [--requests N] [--concurrency C] [--seconds S]`
 *
 * 1. sr25519 verifications per second: @polkadot/wasm-crypto vs the pure-JS util-crypto path, same messages.
 * 2. Loopback throughput of one Fastify handler behind two routes, without and with fiber verification.
 *    Signed requests are signed before the clock starts (each needs its own nonce), so the ratio measures what
 *    verification costs the miner, not what signing costs the validator.
 * Ends with one summary line.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import Fastify from 'fastify';
import { Sr25519Keypair, initCrypto } from '../../src/keys/keypair.ts';
import { verifySr25519 } from '../../src/keys/signature.ts';
import type { Sr25519Impl } from '../../src/keys/signature.ts';
import { fiberAuthPreHandler } from '../../src/net/fastify.ts';
import { NonceStore } from '../../src/net/nonce-store.ts';
import { pythonJsonDumps } from '../../src/net/python-json.ts';
import { signRequest } from '../../src/net/signing.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

const REQUESTS = arg('requests', 4000);
const CONCURRENCY = arg('concurrency', 16);
const SECONDS = arg('seconds', 1.5);

await initCrypto();
const alice = Sr25519Keypair.fromUri('//Alice');
const bob = Sr25519Keypair.fromUri('//Bob');
const nowNs = () => BigInt(Date.now()) * 1_000_000n;

// --- 1. verification rate ---------------------------------------------------------------------------------
const messages = Array.from({ length: 64 }, (_, i) => Buffer.from(`${nowNs()}_bench${i}:${bob.ss58Address}:${'ab'.repeat(32)}`));
const signatures = messages.map((m) => alice.sign(m));

function verifyRate(impl: Sr25519Impl): number {
  let n = 0;
  const started = performance.now();
  while (performance.now() - started < SECONDS * 1000) {
    const i = n % messages.length;
    if (!verifySr25519(messages[i] as Buffer, signatures[i] as Uint8Array, alice.publicKey, impl)) throw new Error('bench signature failed to verify');
    n++;
  }
  return n / ((performance.now() - started) / 1000);
}

const signStart = performance.now();
let signs = 0;
while (performance.now() - signStart < SECONDS * 500) {
  alice.sign(messages[signs % messages.length] as Buffer);
  signs++;
}
const signRate = signs / ((performance.now() - signStart) / 1000);
const wasmRate = verifyRate('wasm');
const jsRate = verifyRate('js');
console.log(`sr25519 sign (wasm):   ${signRate.toFixed(0)} /s`);
console.log(`sr25519 verify (wasm): ${wasmRate.toFixed(0)} /s`);
console.log(`sr25519 verify (js):   ${jsRate.toFixed(0)} /s   wasm/js = ${(wasmRate / jsRate).toFixed(1)}x`);

// --- 2. loopback throughput -----------------------------------------------------------------------------
const app = Fastify({ logger: false });
app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
  (request as typeof request & { rawBody?: Buffer }).rawBody = body as Buffer;
  try {
    done(null, JSON.parse((body as Buffer).toString('utf8')));
  } catch (err) {
    done(err as Error, undefined);
  }
});
const handler = async () => ({ message: 'Yes. I will do it', accepted: true });
const auth = fiberAuthPreHandler({
  minerHotkey: bob.ss58Address,
  lookupStake: () => ({ found: true, stake: 10_000 }),
  nonceStore: new NonceStore({ maxEntries: REQUESTS * 4 }),
  nowNs,
});
app.post('/plain/task_offer/', handler);
app.post('/signed/task_offer/', { preHandler: auth }, handler);
await app.listen({ port: 0, host: '127.0.0.1' });
const port = (app.server.address() as AddressInfo).port;

const body = Buffer.from(
  pythonJsonDumps({ ds_size: 12000, model: 'unsloth/Llama-3.2-1B', hours_to_complete: 3, task_id: '0b5c3f6e-2f7e-4bd1-9d51-3a2f1c7b9e10', task_type: 'InstructTextTask', model_params_count: 1235814400 }),
);
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function send(path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path, agent, headers: { ...headers, 'Content-Length': String(body.length) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function run(path: string, headerSets: Record<string, string>[]): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < headerSets.length) {
      const headers = headerSets[next++] as Record<string, string>;
      const status = await send(path, headers);
      if (status !== 200) throw new Error(`${path} answered ${status}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return headerSets.length / ((performance.now() - started) / 1000);
}

const plainHeaders = Array.from({ length: REQUESTS }, () => ({ 'Content-Type': 'application/json' }));
const signedHeaders = () => Array.from({ length: REQUESTS }, () => signRequest({ keypair: alice, minerHotkey: bob.ss58Address, body, nowNs: nowNs() }));

// Warm both paths (JIT, sockets) before measuring; alternate the order to spread drift between them.
await run('/plain/task_offer/', plainHeaders);
await run('/signed/task_offer/', signedHeaders().slice(0, 1000));
const plain1 = await run('/plain/task_offer/', plainHeaders);
const signed1 = await run('/signed/task_offer/', signedHeaders());
const signed2 = await run('/signed/task_offer/', signedHeaders());
const plain2 = await run('/plain/task_offer/', plainHeaders);
const plainRate = (plain1 + plain2) / 2;
const signedRate = (signed1 + signed2) / 2;
agent.destroy();
await app.close();

console.log(`loopback unsigned: ${plainRate.toFixed(0)} req/s  (runs ${plain1.toFixed(0)}, ${plain2.toFixed(0)})`);
console.log(`loopback signed:   ${signedRate.toFixed(0)} req/s  (runs ${signed1.toFixed(0)}, ${signed2.toFixed(0)})`);
console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown cpu'} x${os.cpus().length}, node ${process.version}; ${REQUESTS} requests x2 per route, concurrency ${CONCURRENCY}`);
console.log(
  `SUMMARY protocol: verify wasm ${wasmRate.toFixed(0)}/s, js ${jsRate.toFixed(0)}/s (${(wasmRate / jsRate).toFixed(1)}x); ` +
    `loopback unsigned ${plainRate.toFixed(0)} req/s, signed ${signedRate.toFixed(0)} req/s (signed/unsigned ${(signedRate / plainRate).toFixed(2)})`,
);
