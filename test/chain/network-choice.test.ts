/**
 * `god validator` and `god miner run` reach subtensor when told `--network finney|test`: the choice is resolved by
 * `chainTarget` (pure, tested below) and an unreachable endpoint stops start-up with the adapter's error instead of
 * running without a chain. (A real subtensor cannot be reached from here; the adapter itself is tested offline in
 * src/chain/subtensor.)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainTarget } from '../../src/chain/connect.ts';
import { initCrypto, Sr25519Keypair } from '../../src/keys/keypair.ts';
import { saveHotkey } from '../../src/keys/wallet.ts';

const GOD = join(import.meta.dirname, '../../bin/god.js');
const config = (network: 'devnet' | 'finney' | 'test', endpoint: string | null = null) => ({
  general: { network },
  chain: { endpoint, finneyEndpoint: 'wss://finney.example', testEndpoint: 'wss://test.example' },
});

describe('chainTarget', () => {
  it('prefers a devnet URL, then the flag, then general.network; endpoint from the flag, chain.endpoint, the network', () => {
    expect(chainTarget({ chainUrl: 'http://127.0.0.1:9940', network: 'finney' }, config('finney'))).toEqual({ network: 'devnet', url: 'http://127.0.0.1:9940' });
    expect(chainTarget({}, config('devnet'))).toBeNull();
    expect(chainTarget({}, config('finney'))).toEqual({ network: 'finney', endpoint: 'wss://finney.example' });
    expect(chainTarget({ network: 'test' }, config('devnet'))).toEqual({ network: 'test', endpoint: 'wss://test.example' });
    expect(chainTarget({}, config('test', 'ws://own-node:9944'))).toEqual({ network: 'test', endpoint: 'ws://own-node:9944' });
    expect(chainTarget({ endpoint: 'ws://flag:9944' }, config('finney', 'ws://own-node:9944'))).toEqual({ network: 'finney', endpoint: 'ws://flag:9944' });
  });
});

let home: string;
let closedPort: number;
beforeAll(async () => {
  await initCrypto();
  home = mkdtempSync(join(tmpdir(), 'god-network-choice-'));
  saveHotkey({ root: join(home, 'wallets'), wallet: 'v', hotkey: 'h' }, Sr25519Keypair.fromUri('//NetworkChoice'));
  // A port nothing listens on: bind, read it, close.
  closedPort = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

function god(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [GOD, ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', GOD_HOME: home, GOD_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('roles on subtensor', () => {
  it('god validator --network test connects to the endpoint and stops with a clear error when it is unreachable', async () => {
    const r = await god(['validator', '--network', 'test', '--endpoint', `ws://127.0.0.1:${closedPort}`, '--port', '0', '--no-synthetic', '--no-tournaments', '--wallet-path', join(home, 'wallets'), '--wallet', 'v', '--hotkey', 'h']);
    expect(r.code, r.out).not.toBe(0);
    expect(r.out).toContain('could not connect to subtensor');
  }, 90_000);

  it('god miner run --network test reads validator stakes from subtensor and stops likewise when it is unreachable', async () => {
    const r = await god(['miner', 'run', '--network', 'test', '--endpoint', `ws://127.0.0.1:${closedPort}`, '--port', '0', '--suri', '//Miner', '--data-dir', join(home, 'miner')]);
    expect(r.code, r.out).not.toBe(0);
    expect(r.out).toContain('could not connect to subtensor');
  }, 90_000);
});
