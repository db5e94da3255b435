import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock/index.ts';
import { DevnetChainService, httpChain, inProcessChain, serveDevnetChain } from '../chain/devnet/index.ts';
import { ChainError } from '../chain/errors.ts';
import type { Node } from '../chain/types.ts';
import { openTestDb, type TestDb } from '../db/testing.ts';
import { Sr25519Keypair, initCrypto } from '../keys/keypair.ts';
import { isServing, nodeToRow, rowUrl } from './convert.ts';
import { MemoryNodeStore, SqlNodeStore } from './store.ts';
import { MetagraphSync } from './sync.ts';

const NETUID = 56;

function node(uid: number, over: Partial<Node> = {}): Node {
  return {
    hotkey: `hk${uid}`,
    coldkey: `ck${uid}`,
    node_id: uid,
    incentive: 100 * uid,
    netuid: NETUID,
    alpha_stake: 10 * uid,
    tao_stake: uid,
    stake: 10 * uid + 0.18 * uid,
    trust: 0,
    vtrust: 7,
    last_updated: 1000 + uid,
    ip: '0',
    ip_type: 0,
    port: 0,
    protocol: 4,
    ...over,
  };
}

describe('node → row conversion', () => {
  it('converts integer IPs to text and keeps unserved nodes as not serving', () => {
    const v4 = nodeToRow(node(1, { ip: '3232235777', ip_type: 4, port: 7999 }));
    expect(v4).toMatchObject({ ip: '192.168.1.1', ip_type: 4, port: 7999 });
    expect(rowUrl(v4)).toBe('http://192.168.1.1:7999');
    const v6 = nodeToRow(node(2, { ip: ((0x20010db8n << 96n) | 0x42n).toString(), ip_type: 6, port: 8000 }));
    expect(v6).toMatchObject({ ip: '2001:db8::42', ip_type: 6 });
    expect(rowUrl(v6)).toBe('http://[2001:db8::42]:8000');
    const none = nodeToRow(node(3));
    expect(none).toMatchObject({ ip: '0.0.0.0', ip_type: 0, port: 0 });
    expect(isServing(none)).toBe(false);
    // An IPv4 type with a value that does not fit 32 bits is no address either.
    expect(isServing(nodeToRow(node(4, { ip: String(2 ** 33), ip_type: 4, port: 1 })))).toBe(false);
    expect(nodeToRow(node(5), 'hk5').our_validator).toBe(true);
  });
});

/** A chain whose next answers the test scripts: nodes, an error, or no answer at all. */
function scriptedChain() {
  const script: (Node[] | Error | 'hang')[] = [];
  let calls = 0;
  return {
    script,
    get calls() {
      return calls;
    },
    getNodes: (): Promise<Node[]> => {
      calls++;
      const next = script.shift() ?? new Error('script exhausted');
      if (next === 'hang') return new Promise<Node[]>(() => {});
      return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
    },
  };
}

describe('metagraph sync loop', () => {
  it('keeps the last good snapshot through errors, timeouts, empty and inconsistent answers', async () => {
    const clock = new ManualClock();
    const chain = scriptedChain();
    const store = new MemoryNodeStore();
    const sync = new MetagraphSync({ chain, store, netuid: NETUID, clock, intervalMs: 900_000, timeoutMs: 300_000, retryMs: 60_000 });
    const good = [node(0), node(1, { ip: '16909060', ip_type: 4, port: 7999 })];
    chain.script.push(good, new ChainError('unreachable', 'down'), 'hang', [], [node(0), node(0)], [node(2)]);

    expect(await sync.syncOnce()).toMatchObject({ ok: true, nodes: 2, serving: 1 });
    const first = await store.listNodes(NETUID);
    expect(first.rows.map((r) => r.ip)).toEqual(['0.0.0.0', '1.2.3.4']);

    expect(await sync.syncOnce()).toMatchObject({ ok: false, reason: 'chain_error', message: 'down' });
    const hanging = sync.syncOnce();
    await clock.advance(300_000);
    expect(await hanging).toMatchObject({ ok: false, reason: 'timeout' });
    expect(await sync.syncOnce()).toMatchObject({ ok: false, reason: 'empty' });
    expect(await sync.syncOnce()).toMatchObject({ ok: false, reason: 'inconsistent' });
    expect(await store.listNodes(NETUID)).toEqual(first);

    expect(await sync.syncOnce()).toMatchObject({ ok: true, nodes: 1 });
    expect((await store.listNodes(NETUID)).rows.map((r) => r.hotkey)).toEqual(['hk2']);
  });

  it('refreshes every interval and retries sooner after a failure, on the injected clock', async () => {
    const clock = new ManualClock();
    const chain = scriptedChain();
    const store = new MemoryNodeStore();
    const sync = new MetagraphSync({ chain, store, netuid: NETUID, clock, intervalMs: 900_000, timeoutMs: 300_000, retryMs: 60_000 });
    chain.script.push([node(0)], new Error('boom'), [node(1)], [node(2)]);
    sync.start();
    await clock.advance(0);
    expect(chain.calls).toBe(1);
    await clock.advance(899_999);
    expect(chain.calls).toBe(1);
    await clock.advance(1);
    expect(chain.calls).toBe(2); // failed → retry after 60 s, not 15 min
    await clock.advance(60_000);
    expect(chain.calls).toBe(3);
    expect((await store.listNodes(NETUID)).rows.map((r) => r.hotkey)).toEqual(['hk1']);
    await sync.stop();
    await clock.advance(10_000_000);
    expect(chain.calls).toBe(3);
  });
});

describe('metagraph sync into the nodes table (real devnet chain, PGlite)', () => {
  let t: TestDb;
  beforeAll(async () => {
    await initCrypto();
    t = await openTestDb('pglite');
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it('writes the devnet metagraph, moves the old snapshot to nodes_history, and survives the chain going away', async () => {
    const clock = new ManualClock();
    const service = await DevnetChainService.open({ clock, netuids: [NETUID] });
    const alice = Sr25519Keypair.fromUri('//Alice');
    const bob = Sr25519Keypair.fromUri('//Bob');
    const coldkey = Sr25519Keypair.fromUri('//Ferdie').ss58Address;
    await inProcessChain(service, alice).register({ netuid: NETUID, coldkey, alphaStake: 1500 });
    const bobChain = inProcessChain(service, bob);
    await bobChain.register({ netuid: NETUID, coldkey });
    await bobChain.serveAxon({ netuid: NETUID, ip: '127.0.0.1', port: 7999 });
    const { server, url } = await serveDevnetChain(service);

    const store = new SqlNodeStore(t.db);
    const sync = new MetagraphSync({ chain: httpChain(url), store, netuid: NETUID, clock, ourHotkey: alice.ss58Address });
    expect(await sync.syncOnce()).toMatchObject({ ok: true, nodes: 2, serving: 1 });
    const { rows } = await t.db.query<Record<string, unknown>>('SELECT hotkey, node_id, coldkey, ip, ip_type, port, stake, alpha_stake, our_validator, protocol FROM nodes WHERE netuid = $1 ORDER BY node_id', [NETUID]);
    expect(rows).toEqual([
      { hotkey: alice.ss58Address, node_id: 0, coldkey, ip: '0.0.0.0', ip_type: 0, port: 0, stake: 1500, alpha_stake: 1500, our_validator: true, protocol: 0 },
      { hotkey: bob.ss58Address, node_id: 1, coldkey, ip: '127.0.0.1', ip_type: 4, port: 7999, stake: 0, alpha_stake: 0, our_validator: false, protocol: 4 },
    ]);

    await bobChain.serveAxon({ netuid: NETUID, ip: '10.1.2.3', port: 8000 });
    expect(await sync.syncOnce()).toMatchObject({ ok: true });
    const history = await t.db.query<{ ip: string }>('SELECT ip FROM nodes_history WHERE netuid = $1 ORDER BY id', [NETUID]);
    expect(history.rows.map((r) => r.ip)).toEqual(['0.0.0.0', '127.0.0.1']);
    const listed = await store.listNodes(NETUID);
    expect(listed.rows.map((r) => r.ip)).toEqual(['0.0.0.0', '10.1.2.3']);
    expect(listed.refreshedAt).toBeInstanceOf(Date);

    await server.close();
    expect(await sync.syncOnce()).toMatchObject({ ok: false, reason: 'chain_error' });
    expect((await store.listNodes(NETUID)).rows).toEqual(listed.rows);
    await service.stop();
  });

  it('rolls back a snapshot the table refuses, leaving the previous one', async () => {
    const store = new SqlNodeStore(t.db);
    const before = await store.listNodes(NETUID);
    const bad = nodeToRow(node(9, { hotkey: 'x'.repeat(10) }));
    await expect(store.replaceNodes(NETUID, [bad, { ...bad, stake: Number.NaN, node_id: 10, hotkey: null as unknown as string }], new Date())).rejects.toThrow();
    expect((await store.listNodes(NETUID)).rows).toEqual(before.rows);
  });
});
