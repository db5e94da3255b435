import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock/index.ts';
import { Sr25519Keypair, initCrypto } from '../../keys/keypair.ts';
import { ChainError, CommitRevealNotSupportedError, WeightsRateLimitedError } from '../errors.ts';
import { signEnvelope } from './auth.ts';
import { DevnetChainService, httpChain, inProcessChain, readStateFile, serveDevnetChain, StateFileError } from './index.ts';

let alice: Sr25519Keypair;
let bob: Sr25519Keypair;
let charlie: Sr25519Keypair;
let coldkey: Sr25519Keypair;
let dir: string;

beforeAll(async () => {
  await initCrypto();
  alice = Sr25519Keypair.fromUri('//Alice');
  bob = Sr25519Keypair.fromUri('//Bob');
  charlie = Sr25519Keypair.fromUri('//Charlie');
  coldkey = Sr25519Keypair.fromUri('//Dave');
  dir = await mkdtemp(join(tmpdir(), 'god-chain-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const NETUID = 56;
const BLOCK_MS = 12_000;

async function subnet(opts: { tempo?: number; rateLimit?: number; commitReveal?: boolean; versionKey?: number; statePath?: string } = {}) {
  const clock = new ManualClock();
  const service = await DevnetChainService.open({
    clock,
    netuids: [NETUID],
    ...(opts.statePath ? { statePath: opts.statePath } : {}),
    subnet: {
      tempo: opts.tempo ?? 10,
      weightsSetRateLimit: opts.rateLimit ?? 5,
      commitRevealWeightsEnabled: opts.commitReveal ?? false,
      weightsVersionKey: opts.versionKey ?? 0,
    },
  });
  service.start();
  const chains = { alice: inProcessChain(service, alice), bob: inProcessChain(service, bob), charlie: inProcessChain(service, charlie) };
  return { clock, service, ...chains, blocks: (n: number) => clock.advance(n * BLOCK_MS) };
}

describe('devnet chain (in-process)', () => {
  it('produces blocks on the clock and registers hotkeys with stake', async () => {
    const t = await subnet();
    expect(await t.alice.getBlock()).toBe(0);
    await t.blocks(3);
    expect(await t.alice.getBlock()).toBe(3);

    expect((await t.alice.register({ netuid: NETUID, coldkey: coldkey.ss58Address, alphaStake: 1000, taoStake: 100 })).uid).toBe(0);
    expect((await t.bob.register({ netuid: NETUID, coldkey: coldkey.ss58Address })).uid).toBe(1);
    await expect(t.bob.register({ netuid: NETUID, coldkey: coldkey.ss58Address })).rejects.toMatchObject({ code: 'already_registered' });

    const nodes = await t.alice.getNodes(NETUID);
    expect(nodes.map((n) => [n.node_id, n.hotkey, n.coldkey])).toEqual([
      [0, alice.ss58Address, coldkey.ss58Address],
      [1, bob.ss58Address, coldkey.ss58Address],
    ]);
    // fiber's `rao * 1e-9` in Python: 1000000000000 * 1e-9 == 1000.0000000000001 (float rounding kept on purpose).
    // Total stake = alpha + 0.18 × TAO.
    expect(nodes[0]).toMatchObject({ alpha_stake: 1000.0000000000001, tao_stake: 100, stake: 1018.0000000000001, ip: '0', ip_type: 0, last_updated: 3, netuid: NETUID });
    expect(await t.alice.getStake(NETUID, alice.ss58Address)).toEqual({ hotkey: alice.ss58Address, netuid: NETUID, alpha_stake: 1000.0000000000001, tao_stake: 100, stake: 1018.0000000000001 });
    expect(await t.alice.getStake(NETUID, charlie.ss58Address)).toBeNull();
    expect(await t.charlie.getUid(NETUID, bob.ss58Address)).toBe(1);
    await expect(t.alice.getNodes(99)).rejects.toMatchObject({ code: 'not_found' });
    await t.service.stop();
  });

  it('serves axons and refuses bad ones', async () => {
    const t = await subnet();
    await t.bob.register({ netuid: NETUID, coldkey: coldkey.ss58Address });
    await t.bob.serveAxon({ netuid: NETUID, ip: '127.0.0.1', port: 7999 });
    const [node] = await t.bob.getNodes(NETUID);
    expect(node).toMatchObject({ ip: String(0x7f000001), ip_type: 4, port: 7999, protocol: 4 });
    await t.bob.serveAxon({ netuid: NETUID, ip: '2001:db8::1', port: 8000 });
    expect((await t.bob.getNodes(NETUID))[0]).toMatchObject({ ip: ((0x20010db8n << 96n) | 1n).toString(), ip_type: 6, port: 8000 });
    await expect(t.bob.serveAxon({ netuid: NETUID, ip: '1.2.3.4', port: 0 })).rejects.toMatchObject({ code: 'invalid_axon', chainError: 'InvalidPort' });
    await expect(t.bob.serveAxon({ netuid: NETUID, ip: 'not-an-ip', port: 1 })).rejects.toMatchObject({ code: 'invalid_axon' });
    await expect(t.alice.serveAxon({ netuid: NETUID, ip: '1.2.3.4', port: 1 })).rejects.toMatchObject({ code: 'not_registered' });
    await t.service.stop();
  });

  it('enforces the weights rate limit against LastUpdate and derives incentive each tempo', async () => {
    const t = await subnet({ tempo: 10, rateLimit: 5 });
    await t.blocks(1);
    await t.alice.register({ netuid: NETUID, coldkey: coldkey.ss58Address, alphaStake: 700 });
    await t.bob.register({ netuid: NETUID, coldkey: coldkey.ss58Address, alphaStake: 300 });
    await t.charlie.register({ netuid: NETUID, coldkey: coldkey.ss58Address });
    // Registered at block 1: LastUpdate = 1, so the first weight set must wait 5 blocks.
    expect(await t.alice.weightsReadiness(NETUID)).toMatchObject({ ok: false, reason: 'rate_limited', blocksRemaining: 5 });
    const tooSoon = t.alice.setWeights({ netuid: NETUID, uids: [2], weights: [65535], versionKey: 61_000 });
    await expect(tooSoon).rejects.toBeInstanceOf(WeightsRateLimitedError);
    await t.blocks(5);
    expect(await t.alice.weightsReadiness(NETUID)).toMatchObject({ ok: true, uid: 0 });
    // Alice (70% of stake) weights Charlie only; Bob (30%) weights Alice only, a minority the consensus clips.
    await t.alice.setWeights({ netuid: NETUID, uids: [2], weights: [65535], versionKey: 61_000 });
    await t.bob.setWeights({ netuid: NETUID, uids: [0], weights: [65535], versionKey: 61_000 });
    expect((await t.alice.lastUpdate(NETUID)).slice(0, 2)).toEqual([6, 6]);
    await expect(t.alice.setWeights({ netuid: NETUID, uids: [2], weights: [1], versionKey: 61_000 })).rejects.toMatchObject({ code: 'rate_limited' });

    expect((await t.alice.getNodes(NETUID)).map((n) => n.incentive)).toEqual([0, 0, 0]);
    // netuid 56, tempo 10: the epoch runs when (block + 57) % 11 == 0, i.e. at block 9.
    const epochs: number[] = [];
    t.service.onBlock((block, ran) => ran.length > 0 && epochs.push(block));
    await t.blocks(3);
    expect(epochs).toEqual([9]);
    const nodes = await t.alice.getNodes(NETUID);
    expect(nodes.map((n) => n.incentive)).toEqual([0, 0, 65535]);
    expect(nodes.map((n) => n.vtrust)).toEqual([0, 0, 65535]);
    await t.service.stop();
  });

  it('refuses weights the chain would refuse, with typed errors before submitting', async () => {
    const t = await subnet({ rateLimit: 0, versionKey: 60_000 });
    await t.alice.register({ netuid: NETUID, coldkey: coldkey.ss58Address, alphaStake: 10 });
    await t.bob.register({ netuid: NETUID, coldkey: coldkey.ss58Address });
    await expect(t.alice.setWeights({ netuid: NETUID, uids: [1, 1], weights: [1, 2], versionKey: 61_000 })).rejects.toMatchObject({ code: 'invalid_weights', chainError: 'DuplicateUids' });
    await expect(t.alice.setWeights({ netuid: NETUID, uids: [1, 2], weights: [1, 2], versionKey: 61_000 })).rejects.toMatchObject({ chainError: 'UidVecContainInvalidOne' });
    await expect(t.alice.setWeights({ netuid: NETUID, uids: [1], weights: [1, 2], versionKey: 61_000 })).rejects.toMatchObject({ chainError: 'WeightVecNotEqualSize' });
    await expect(t.alice.setWeights({ netuid: NETUID, uids: [1], weights: [1], versionKey: 59_999 })).rejects.toMatchObject({ code: 'version_key' });
    await expect(t.charlie.setWeights({ netuid: NETUID, uids: [1], weights: [1], versionKey: 61_000 })).rejects.toMatchObject({ code: 'not_registered' });
    // Bob has no stake, so no validator permit: the chain itself refuses (the client does not know permits).
    await expect(t.bob.setWeights({ netuid: NETUID, uids: [0], weights: [1], versionKey: 61_000 })).rejects.toMatchObject({ code: 'not_permitted' });
    expect(await t.alice.setWeights({ netuid: NETUID, uids: [1], weights: [65535], versionKey: 61_000 })).toMatchObject({ status: 'applied' });
    const reader = inProcessChain(t.service);
    await expect(reader.setWeights({ netuid: NETUID, uids: [1], weights: [1], versionKey: 1 })).rejects.toMatchObject({ code: 'no_signer' });
    await t.service.stop();
  });

  it('reports commit-reveal as not supported yet', async () => {
    const t = await subnet({ commitReveal: true });
    await t.alice.register({ netuid: NETUID, coldkey: coldkey.ss58Address, alphaStake: 10 });
    expect(await t.alice.commitRevealWeightsEnabled(NETUID)).toBe(true);
    const attempt = t.alice.setWeights({ netuid: NETUID, uids: [0], weights: [1], versionKey: 61_000 });
    await expect(attempt).rejects.toBeInstanceOf(CommitRevealNotSupportedError);
    await expect(attempt).rejects.toThrow('commit-reveal not supported yet');
    await t.service.stop();
  });

  it('accepts a write only with the hotkey\'s own signature, a fresh nonce and an untampered payload', async () => {
    const t = await subnet({ rateLimit: 0 });
    await t.alice.register({ netuid: NETUID, coldkey: coldkey.ss58Address, alphaStake: 10 });
    await t.bob.register({ netuid: NETUID, coldkey: coldkey.ss58Address, alphaStake: 10 });
    const chainId = t.service.chainId;
    // The clients used wall-clock nonces for the registrations; hand-made envelopes must go above them.
    const n0 = t.service.snapshot().nonces[alice.ss58Address] ?? 0;
    const weights = { netuid: NETUID, uids: [1], weights: [65535], version_key: '61000' };

    // Bob signs a call claiming to be Alice.
    const forged = { ...signEnvelope(bob, chainId, 'set_weights', n0 + 10, weights), hotkey: alice.ss58Address };
    await expect(t.service.submit(forged)).rejects.toMatchObject({ code: 'unauthorised' });
    // Alice's genuine envelope with its payload edited.
    const genuine = signEnvelope(alice, chainId, 'set_weights', n0 + 11, weights);
    await expect(t.service.submit({ ...genuine, payload: genuine.payload.replace('65535', '1') })).rejects.toMatchObject({ code: 'unauthorised' });
    // Signed for another devnet chain.
    await expect(t.service.submit(signEnvelope(alice, '0'.repeat(32), 'set_weights', n0 + 12, weights))).rejects.toMatchObject({ code: 'unauthorised' });
    // Accepted once, refused when replayed.
    await t.service.submit(genuine);
    await expect(t.service.submit(genuine)).rejects.toMatchObject({ code: 'unauthorised', message: expect.stringMatching(/stale nonce/) });
    // Malformed envelopes name the field.
    await expect(t.service.submit({ ...genuine, signature: '0x12' })).rejects.toThrow(/signature/);
    await expect(t.service.submit({ ...genuine, nonce: n0 + 99, payload: '{' })).rejects.toMatchObject({ code: 'unauthorised' });
    await expect(t.service.submit(signEnvelope(alice, chainId, 'set_weights', n0 + 100, { netuid: NETUID, uids: 'x' }))).rejects.toThrow(/payload\.uids/);
    // Bob's weights are untouched by the forgery: only Alice's genuine call landed.
    expect(t.service.snapshot().subnets['56']?.neurons.map((n) => n.weights)).toEqual([[[1, 65535]], []]);
    await t.service.stop();
  });

  it('keeps its state across restarts in an atomically written file', async () => {
    const statePath = join(dir, 'restart', 'chain.json');
    const first = await subnet({ statePath });
    await first.blocks(4);
    await first.alice.register({ netuid: NETUID, coldkey: coldkey.ss58Address, alphaStake: 5 });
    await first.service.stop();
    const saved = await readStateFile(statePath);
    expect(saved).toMatchObject({ block: 4, chainId: first.service.chainId });
    expect((await readdir(join(dir, 'restart'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    const second = await subnet({ statePath });
    expect(second.service.chainId).toBe(first.service.chainId);
    expect(await second.alice.getBlock()).toBe(4);
    expect((await second.alice.getNodes(NETUID)).map((n) => n.hotkey)).toEqual([alice.ss58Address]);
    // The nonce high-water mark survived too: the same signed call cannot be replayed after a restart.
    const replay = signEnvelope(alice, second.service.chainId, 'set_stake', 1, { netuid: NETUID, alpha_stake: 1, tao_stake: 0 });
    await expect(second.service.submit(replay)).rejects.toMatchObject({ code: 'unauthorised' });
    await second.blocks(2);
    await second.service.stop();
    expect((await readStateFile(statePath))?.block).toBe(6);

    const broken = join(dir, 'broken.json');
    await writeFile(broken, JSON.stringify({ format: 'god-devnet-chain/1', chainId: 'nope' }));
    await expect(DevnetChainService.open({ statePath: broken })).rejects.toBeInstanceOf(StateFileError);
    expect(JSON.parse(await readFile(broken, 'utf8')).chainId).toBe('nope');
  });
});

describe('devnet chain over HTTP', () => {
  it('shares one chain between clients and maps errors back to ChainError', async () => {
    const clock = new ManualClock();
    const service = await DevnetChainService.open({ clock, netuids: [NETUID], subnet: { weightsSetRateLimit: 0 } });
    const { server, url } = await serveDevnetChain(service);
    try {
      const a = httpChain(url, alice);
      const b = httpChain(url, bob);
      await a.register({ netuid: NETUID, coldkey: coldkey.ss58Address, alphaStake: 100 });
      await b.register({ netuid: NETUID, coldkey: coldkey.ss58Address });
      await b.serveAxon({ netuid: NETUID, ip: '10.0.0.2', port: 7999 });
      service.produceBlock();
      await a.setWeights({ netuid: NETUID, uids: [1], weights: [65535], versionKey: 61_000n });
      const reader = httpChain(url);
      const nodes = await reader.getNodes(NETUID);
      expect(nodes.map((n) => [n.hotkey, n.ip, n.port])).toEqual([
        [alice.ss58Address, '0', 0],
        [bob.ss58Address, String((10 << 24) + 2), 7999],
      ]);
      expect(await reader.lastUpdate(NETUID)).toEqual([1, 0]);
      expect(await reader.getSubnetParams(NETUID)).toMatchObject({ netuid: NETUID, n: 2, weights_set_rate_limit: 0, commit_reveal_weights_enabled: false });
      await expect(reader.getNodes(7)).rejects.toMatchObject({ code: 'not_found' });
      await expect(b.register({ netuid: NETUID, coldkey: coldkey.ss58Address })).rejects.toMatchObject({ code: 'already_registered' });
      const res = await fetch(`${url}/extrinsics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"op":"register"}' });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { detail: unknown }).detail).toMatchObject({ code: 'unauthorised' });
    } finally {
      await server.close();
      await service.stop();
    }
    await expect(httpChain(url).getBlock()).rejects.toMatchObject({ code: 'unreachable' });
  });

  it('turns an answer that does not decode into ChainError(decode)', async () => {
    const liar = createHttpServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url?.endsWith('/nodes')) res.end(JSON.stringify([{ hotkey: 'x', node_id: -1 }]));
      else if (req.url === '/block') res.end('not json');
      else res.end(JSON.stringify({ block: 'ten' }));
    });
    await new Promise<void>((resolve) => liar.listen(0, '127.0.0.1', resolve));
    const { port } = liar.address() as { port: number };
    try {
      const chain = httpChain(`http://127.0.0.1:${port}`);
      const err = await chain.getNodes(NETUID).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ChainError);
      expect(err).toMatchObject({ code: 'decode' });
      expect((err as Error).message).toMatch(/0\.coldkey|0\.node_id/);
      await expect(chain.getBlock()).rejects.toMatchObject({ code: 'decode' });
      await expect(chain.getSubnetParams(NETUID)).rejects.toMatchObject({ code: 'decode' });
    } finally {
      await new Promise((resolve) => liar.close(resolve));
    }
  });
});
