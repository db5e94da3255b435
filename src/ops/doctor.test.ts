import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevnetChainService, inProcessChain, serveDevnetChain } from '../chain/devnet/index.ts';
import { connectChain } from '../chain/connect.ts';
import { registerDoctor } from '../cli/commands/doctor.ts';
import { ManualClock } from '../clock/index.ts';
import { migrationStatus, openDb } from '../db/index.ts';
import { openTestDb } from '../db/testing.ts';
import { Sr25519Keypair, initCrypto } from '../keys/keypair.ts';
import { loadHotkey, saveHotkey, walletPaths } from '../keys/wallet.ts';
import { runCheck } from './health.ts';
import { chainCheck, clockCheck, databaseCheck, judgeSkew, keysCheck, sampleClock, storageCheck, type KeySource } from './doctor.ts';

let peer: Server;
let peerUrl: string;
let offsetMs = 0;
let tmp: string;

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`)));
}

beforeAll(async () => {
  await initCrypto();
  tmp = mkdtempSync(join(tmpdir(), 'god-doctor-'));
  peer = createHttpServer((_req, res) => {
    // Node sets Date itself; a peer with a wrong clock is simulated by overriding it.
    res.setHeader('date', new Date(Date.now() + offsetMs).toUTCString());
    res.end('ok');
  });
  peerUrl = await listen(peer);
});

afterAll(async () => {
  await new Promise((r) => peer.close(r));
  rmSync(tmp, { recursive: true, force: true });
});

const load = async (s: KeySource) => ('suri' in s ? Sr25519Keypair.fromUri(s.suri) : loadHotkey(s));

describe('god doctor checks', () => {
  it('measures the clock against a peer and judges it by the ±120 s nonce window', async () => {
    for (const offset of [0, 30_000, -200_000]) {
      offsetMs = offset;
      const s = await sampleClock(peerUrl);
      expect(Math.abs(s.skewSeconds - offset / 1000)).toBeLessThanOrEqual(s.errorSeconds + 0.01);
    }
    offsetMs = 0;
    expect((await runCheck(clockCheck([peerUrl], 120), 5000)).status).toBe('ok');
    offsetMs = 30_000;
    const w = await runCheck(clockCheck([peerUrl], 120), 5000);
    expect(w).toMatchObject({ status: 'warn', detail: expect.stringContaining('behind') });
    expect(w.detail).toContain('±120 s');
    offsetMs = -200_000;
    expect(await runCheck(clockCheck([peerUrl], 120), 5000)).toMatchObject({ status: 'fail', detail: expect.stringMatching(/ahead of .*fix time sync/) });
    offsetMs = 0;
    expect(judgeSkew([], 120).status).toBe('warn');
    expect((await runCheck(clockCheck(['http://127.0.0.1:9'], 120), 5000)).status).toBe('warn');
  });

  it('reads the hotkey and warns about a key file others can read', async () => {
    const root = join(tmp, 'wallets');
    const path = saveHotkey({ root, wallet: 'w', hotkey: 'h' }, Sr25519Keypair.fromUri('//DoctorKey'));
    const address = Sr25519Keypair.fromUri('//DoctorKey').ss58Address;
    expect(await runCheck(keysCheck({ root, wallet: 'w', hotkey: 'h' }, load, path), 5000)).toMatchObject({ status: 'ok', detail: `hotkey ${address} (wallet w/h)` });
    chmodSync(path, 0o644);
    expect(await runCheck(keysCheck({ root, wallet: 'w', hotkey: 'h' }, load, path), 5000)).toMatchObject({ status: 'warn', detail: expect.stringContaining('chmod 600') });
    const missing = await runCheck(keysCheck({ root, wallet: 'w', hotkey: 'nope' }, load, walletPaths(root, 'w').hotkey('nope')), 5000);
    expect(missing.status).toBe('fail');
  });

  it('reaches the chain, finds our uid and warns when commit-reveal is on', async () => {
    const alice = Sr25519Keypair.fromUri('//Alice');
    for (const commitReveal of [false, true]) {
      const service = await DevnetChainService.open({ clock: new ManualClock(), netuids: [56], subnet: { commitRevealWeightsEnabled: commitReveal } });
      await inProcessChain(service, alice).register({ netuid: 56, coldkey: alice.ss58Address });
      const { server, url } = await serveDevnetChain(service);
      const r = await runCheck(chainCheck({ network: 'devnet', url }, 56, (t) => connectChain(t), async () => alice.ss58Address), 5000);
      expect(r.status).toBe(commitReveal ? 'warn' : 'ok');
      expect(r.detail).toContain('block 0, netuid 56 has 1 uid(s); our uid 0');
      if (commitReveal) expect(r.detail).toContain('commit-reveal is not implemented');
      const other = await runCheck(chainCheck({ network: 'devnet', url }, 56, (t) => connectChain(t), async () => Sr25519Keypair.fromUri('//Nobody').ss58Address), 5000);
      expect(other).toMatchObject({ status: 'warn', detail: expect.stringContaining('not registered') });
      await server.close();
      await service.stop();
    }
    expect((await runCheck(chainCheck({ network: 'devnet', url: 'http://127.0.0.1:9' }, 56, (t) => connectChain(t)), 5000)).status).toBe('fail');
  });

  it('opens the database and reports its schema without migrating it', async () => {
    const status = (db: Parameters<typeof migrationStatus>[0]) => migrationStatus(db);
    const absent = join(tmp, 'no-db');
    expect(await runCheck(databaseCheck({ driver: 'pglite', dataDir: absent, location: absent }, () => openDb({ dataDir: absent }), status), 5000)).toMatchObject({ status: 'warn', detail: expect.stringContaining('no database') });

    for (const migrated of [true, false]) {
      const t = await openTestDb('pglite', { migrated, onDisk: true });
      const target = { driver: 'pglite' as const, dataDir: t.location, location: t.location };
      const check = databaseCheck(target, () => openDb({ dataDir: t.location }), status);
      // Open in another role: PGlite serves one process, so the doctor says so instead of failing.
      expect(await runCheck(check, 20_000)).toMatchObject({ status: 'warn', detail: expect.stringContaining('open in a running process') });
      await t.db.close();
      const r = await runCheck(check, 20_000);
      expect(r).toMatchObject(migrated ? { status: 'ok', detail: expect.stringContaining('(latest)') } : { status: 'warn', detail: expect.stringContaining('pending (god db migrate)') });
      rmSync(join(t.location, '..'), { recursive: true, force: true });
    }
  }, 60_000);

  it('probes the blob directory and the configured storage URLs', async () => {
    expect(await runCheck(storageCheck({ blobDir: tmp, urls: [peerUrl] }), 5000)).toMatchObject({ status: 'ok', detail: expect.stringContaining(`${peerUrl} answers (HTTP 200)`) });
    expect((await runCheck(storageCheck({ blobDir: join(tmp, 'absent'), urls: [] }), 5000)).status).toBe('warn');
    expect(await runCheck(storageCheck({ blobDir: tmp, urls: ['http://127.0.0.1:9'] }), 5000)).toMatchObject({ status: 'fail', detail: expect.stringContaining('unreachable') });
  });

  it('god doctor prints one line per check and exits 1 on a failure', async () => {
    const service = await DevnetChainService.open({ clock: new ManualClock(), netuids: [56] });
    const { server, url } = await serveDevnetChain(service);
    const run = async (args: string[]) => {
      let out = '';
      let code: number | undefined;
      const program = new Command().exitOverride();
      registerDoctor(program, { out: (t) => (out += t), setExitCode: (c) => (code = c), env: { GOD_HOME: join(tmp, 'home') } });
      await program.parseAsync(['node', 'god', 'doctor', ...args]);
      return { out, code };
    };
    const good = await run(['--suri', '//Alice', '--chain-url', url, '--peer', peerUrl]);
    const lines = good.out.trim().split('\n');
    expect(lines.map((l) => l.split(/\s+/)[1])).toEqual(['clock', 'keys', 'chain', 'database', 'storage']);
    expect(lines[0]).toMatch(/^ok +clock/);
    expect(lines[2]).toMatch(/^warn +chain .*not registered/);
    expect(good.code).toBe(0);
    const bad = await run(['--no-keys', '--chain-url', 'http://127.0.0.1:9']);
    expect(bad.out).toMatch(/^fail +chain/m);
    expect(bad.code).toBe(1);
    await server.close();
    await service.stop();
  });
});
