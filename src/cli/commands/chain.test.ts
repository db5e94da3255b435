import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpChain } from '../../chain/devnet/index.ts';
import { readStateFile } from '../../chain/devnet/persist.ts';
import { Sr25519Keypair, initCrypto } from '../../keys/keypair.ts';
import { formatNodes } from './chain.ts';

const GOD = resolve(import.meta.dirname, '../../../bin/god.js');
const run = promisify(execFile);

/** Starts `god chain` in its own process and waits for the line that names its URL. */
async function startChain(args: string[]): Promise<{ child: ChildProcessWithoutNullStreams; url: string; output: () => string }> {
  const child = spawn(process.execPath, [GOD, 'chain', ...args], { env: { ...process.env, GOD_LOG_LEVEL: 'warn' } });
  let output = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`god chain did not start:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = output.match(/listening on (http:\/\/\S+)/);
      if (match?.[1]) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => void (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`god chain exited with ${code}:\n${output}`)));
  });
  return { child, url, output: () => output };
}

async function stop(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  return exited;
}

describe('god chain', () => {
  let dir: string;
  beforeAll(async () => {
    await initCrypto();
    dir = await mkdtemp(join(tmpdir(), 'god-chain-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('serves one chain to separate processes, advances blocks at the scaled rate and keeps its state', async () => {
    const state = join(dir, 'chain.json');
    const first = await startChain(['--port', '0', '--state', state, '--scale', '200', '--rate-limit', '0', '--tempo', '5']);
    const alice = Sr25519Keypair.fromUri('//Alice');
    const bob = Sr25519Keypair.fromUri('//Bob');
    try {
      // This test process and the `god chain register` / `god chain nodes` processes all share the chain.
      await httpChain(first.url, alice).register({ netuid: 56, coldkey: alice.ss58Address, alphaStake: 1000 });
      const reg = await run(process.execPath, [GOD, 'chain', 'register', '--url', first.url, '--suri', '//Bob', '--netuid', '56'], { env: { ...process.env, GOD_LOG_LEVEL: 'warn' } });
      expect(reg.stdout).toMatch(new RegExp(`registered ${bob.ss58Address} on netuid 56 as uid 1`));
      await httpChain(first.url, bob).serveAxon({ netuid: 56, ip: '127.0.0.1', port: 7999 });
      await httpChain(first.url, alice).setWeights({ netuid: 56, uids: [1], weights: [65535], versionKey: 61_000 });

      // 12 s blocks at 200× are 60 ms; 0.6 s later at least a few blocks (and an epoch, tempo 5) have passed.
      const before = await httpChain(first.url).getBlock();
      await new Promise((r) => setTimeout(r, 600));
      const after = await httpChain(first.url).getBlock();
      expect(after - before).toBeGreaterThanOrEqual(5);

      const nodes = await run(process.execPath, [GOD, 'chain', 'nodes', '--url', first.url, '--json'], { env: { ...process.env, GOD_LOG_LEVEL: 'warn' } });
      const parsed = JSON.parse(nodes.stdout) as { hotkey: string; ip: string; incentive: number }[];
      expect(parsed.map((n) => n.hotkey)).toEqual([alice.ss58Address, bob.ss58Address]);
      expect(parsed[1]).toMatchObject({ ip: String(0x7f000001), incentive: 65535 });
    } finally {
      expect(await stop(first.child)).toBe(0);
    }
    expect(first.output()).toMatch(/devnet chain stopped \(SIGTERM\) at block \d+/);
    const saved = await readStateFile(state);
    expect(saved?.subnets['56']?.neurons.map((n) => n.hotkey)).toEqual([alice.ss58Address, bob.ss58Address]);

    const second = await startChain(['--port', '0', '--state', state]);
    try {
      const chain = httpChain(second.url);
      expect(await chain.getBlock()).toBeGreaterThanOrEqual(saved?.block ?? Infinity);
      expect((await chain.getNodes(56)).map((n) => n.hotkey)).toEqual([alice.ss58Address, bob.ss58Address]);
    } finally {
      await stop(second.child);
    }
  });

  it('prints a readable metagraph', () => {
    const text = formatNodes(
      [
        { hotkey: 'hk', coldkey: 'ck', node_id: 0, incentive: 65535, netuid: 56, alpha_stake: 1, tao_stake: 0, stake: 1, trust: 0, vtrust: 3, last_updated: 9, ip: '16909060', ip_type: 4, port: 7999, protocol: 4 },
        { hotkey: 'hk2', coldkey: 'ck', node_id: 1, incentive: 0, netuid: 56, alpha_stake: 0, tao_stake: 0, stake: 0, trust: 0, vtrust: 0, last_updated: 0, ip: '0', ip_type: 0, port: 0, protocol: 0 },
      ],
      12,
      56,
    );
    expect(text).toContain('netuid 56 at block 12: 2 node(s)');
    expect(text).toMatch(/^0 +hk +ck +1\.0000 .* 1\.2\.3\.4:7999$/m);
    expect(text).toMatch(/^1 +hk2 .* -$/m);
  });

  it('refuses bad flags', async () => {
    await expect(run(process.execPath, [GOD, 'chain', '--scale', '0', '--memory'])).rejects.toMatchObject({ stderr: expect.stringMatching(/--scale must be a positive number/) });
  });
});
