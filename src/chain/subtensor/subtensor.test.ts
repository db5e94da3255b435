/**
 * The subtensor adapter against real finney runtime metadata (specs 424 and 343) behind RecordedRpcProviderFake.
 * Proven here: call bytes, storage keys, runtime-API requests, decoding of replies from bytes, the adapter's
 * refusals, and that a signed extrinsic decodes back to the same call and signer. NOT proven: that a live node
 * accepts our signatures and transaction extensions, that finney's current runtime still matches spec 424, or
 * inclusion/dispatch results (the adapter does not wait for inclusion, as fiber).
 */
import { ApiPromise } from '@polkadot/api';
import { fallbackExtensions, allExtensions } from '@polkadot/types/extrinsic/signedExtensions';
import { hexToU8a, u8aToHex } from '@polkadot/util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sr25519Keypair, initCrypto } from '../../keys/keypair.ts';
import { ChainError, CommitRevealNotSupportedError, WeightsRateLimitedError } from '../errors.ts';
import { SubtensorChain, moduleErrorName } from './adapter.ts';
import { InMemorySubtensorModel } from './in-memory-model.ts';
import { FINNEY_GENESIS, loadMetadataHex, runtimeVersionOf, type KnownSpec } from './metadata.ts';
import { RecordedRpcProviderFake } from './recorded-rpc-provider-fake.ts';

const NETUID = 56;
const SPECS: KnownSpec[] = [424, 343];

interface Harness {
  fake: RecordedRpcProviderFake;
  chain: SubtensorChain;
  api: ApiPromise;
}

const metadata = new Map<KnownSpec, string>();
let alice: Sr25519Keypair;
let bob: Sr25519Keypair;

async function harness(spec: KnownSpec, signer?: Sr25519Keypair): Promise<Harness> {
  const hex = metadata.get(spec) as string;
  const runtimeVersion = runtimeVersionOf(hex);
  const fake = new RecordedRpcProviderFake({ genesisHash: FINNEY_GENESIS, runtimeVersion });
  const chain = await SubtensorChain.connect({
    provider: fake,
    metadata: { [`${FINNEY_GENESIS}-${runtimeVersion.specVersion}`]: hex as `0x${string}` },
    ...(signer ? { signer } : {}),
  });
  return { fake, chain, api: chain.api };
}

beforeAll(async () => {
  await initCrypto();
  alice = Sr25519Keypair.fromUri('//Alice');
  bob = Sr25519Keypair.fromUri('//Bob');
  for (const spec of SPECS) metadata.set(spec, loadMetadataHex(spec));
}, 60_000);

describe.each(SPECS)('subtensor adapter, finney spec %i metadata', (spec) => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness(spec, alice);
  }, 60_000);
  afterAll(async () => {
    await h?.chain.close();
  });

  it('reads the metadata\'s own runtime version and boots with only the five start-up requests', async () => {
    expect(runtimeVersionOf(metadata.get(spec) as string)).toMatchObject({ specName: 'node-subtensor', specVersion: spec });
    const fresh = await harness(spec);
    expect(fresh.fake.methods()).toEqual(['chain_getBlockHash', 'state_getRuntimeVersion', 'system_chain', 'system_properties', 'rpc_methods']);
    await fresh.chain.close();
  });

  it('encodes set_weights and serve_axon to the golden call bytes', () => {
    const tx = h.api.tx.subtensorModule as NonNullable<typeof h.api.tx.subtensorModule>;
    expect(tx.setWeights!(56, [0, 1, 2], [65535, 32768, 0], 1000n).method.toHex()).toBe('0x070038000c0000010002000cffff00800000e803000000000000');
    expect(tx.setWeights!(56, [0, 1, 2], [65535, 32768, 0], 61_000n).method.toHex().endsWith('48ee000000000000')).toBe(true);
    expect(tx.serveAxon!(56, 1, 3232235777n, 8091, 4, 4, 0, 0).method.toHex()).toBe('0x07043800010000000101a8c00000000000000000000000009b1f04040000');
  });

  it('reads storage by the exact keys and falls back to the metadata defaults', async () => {
    h.fake.storage.clear();
    h.fake.clearRequests();
    const params = await h.chain.getSubnetParams(NETUID);
    // Nothing stored: finney's defaults from the metadata (CommitRevealWeightsEnabled defaults to true!).
    expect(params).toEqual({ netuid: NETUID, tempo: 360, weights_set_rate_limit: 100, weights_version_key: 0, commit_reveal_weights_enabled: true, n: 0 });
    const keys = h.fake.requests.filter((r) => r.method === 'state_queryStorageAt').flatMap((r) => r.params[0] as string[]);
    expect(keys).toContain('0x658faa385070e074c85bf6b568cf05552d919f5b3b970cd2c91638872d3aa64c3800'); // WeightsSetRateLimit(56)
    expect(keys).toContain('0x658faa385070e074c85bf6b568cf05557641384bb339f3758acddfd7053d33173800'); // Tempo(56)
    expect(keys).toContain('0x658faa385070e074c85bf6b568cf05558fb0d3eb3d4ea01122652b09d1d43c653800'); // CommitRevealWeightsEnabled(56)
    expect(keys).toContain('0x658faa385070e074c85bf6b568cf0555d8cb0c0627a5cd77797c62415dbef9623800'); // WeightsVersionKey(56)
    expect(await h.chain.lastUpdate(NETUID)).toEqual([]);
    expect(h.fake.requests.at(-1)?.params).toEqual([['0x658faa385070e074c85bf6b568cf0555696e262a16e52255a69d8acd793541463800']]);
    // A value recorded from finney by opentensor/bittensor's fixtures (subtensor-offline.md §2.1): Tempo(23) = 0xe803.
    h.fake.storage.set('0x658faa385070e074c85bf6b568cf05557641384bb339f3758acddfd7053d33171700', '0xe803');
    expect(await h.chain.tempo(23)).toBe(1000);
  });

  it('decodes a hand-built get_metagraph reply from bytes into fiber nodes', async () => {
    h.fake.clearRequests();
    const model = new InMemorySubtensorModel(h.api, h.fake, NETUID);
    const big = (1n << 60n) + 123n; // above 2^53: must stay exact until the 1e-9 scaling
    model.neurons = [
      { hotkey: alice.ss58Address, coldkey: bob.ss58Address, alphaStakeRao: big, taoStakeRao: 5_000_000_000n, totalStakeRao: big, axon: null, incentive: 0, consensus: 65535 },
      { hotkey: bob.ss58Address, coldkey: bob.ss58Address, alphaStakeRao: 0n, taoStakeRao: 0n, totalStakeRao: 0n, axon: { ip: 1113376410n, port: 7999, ipType: 4, protocol: 4 }, incentive: 40000, consensus: 1 },
      {
        hotkey: Sr25519Keypair.fromUri('//Charlie').ss58Address,
        coldkey: bob.ss58Address,
        alphaStakeRao: 1n,
        taoStakeRao: 0n,
        totalStakeRao: 1n,
        axon: { ip: (0x20010db8n << 96n) | 1n, port: 8000, ipType: 6, protocol: 4 },
        incentive: 25535,
        consensus: 2,
      },
    ];
    model.lastUpdate = [990, 0, 5];
    model.publish();
    const nodes = await h.chain.getNodes(NETUID);
    expect(h.fake.requests.find((r) => r.method === 'state_call')?.params).toEqual(['SubnetInfoRuntimeApi_get_metagraph', '0x3800']);
    expect(nodes).toHaveLength(3);
    expect(nodes[0]).toEqual({
      hotkey: alice.ss58Address,
      coldkey: bob.ss58Address,
      node_id: 0,
      incentive: 0,
      netuid: NETUID,
      alpha_stake: Number(big) * 1e-9,
      tao_stake: 5,
      stake: Number(big) * 1e-9,
      trust: 0,
      vtrust: 65535,
      last_updated: 990,
      ip: '0',
      ip_type: 0,
      port: 0,
      protocol: 0,
    });
    // Python: (2**60 + 123) * 1e-9 == 1152921504.606847 (the int is rounded to a double first, as Number() does).
    expect(nodes[0]?.alpha_stake).toBe(1152921504.606847);
    expect(nodes[1]).toMatchObject({ ip: '1113376410', ip_type: 4, port: 7999, incentive: 40000 });
    expect(nodes[2]).toMatchObject({ ip: ((0x20010db8n << 96n) | 1n).toString(), ip_type: 6, port: 8000, last_updated: 5 });
    expect(await h.chain.getStake(NETUID, bob.ss58Address)).toEqual({ hotkey: bob.ss58Address, netuid: NETUID, alpha_stake: 0, tao_stake: 0, stake: 0 });
  });

  it('decodes Option replies only from bytes (the hex-string pitfall)', () => {
    const reply = h.fake.runtimeCalls.get(RecordedRpcProviderFake.callKey('SubnetInfoRuntimeApi_get_metagraph', '0x3800')) as string;
    const T = 'Option<PalletSubtensorRpcInfoMetagraph>';
    const fromBytes = h.api.registry.createType(T, hexToU8a(reply)) as unknown as { unwrap(): { netuid: { toNumber(): number } } };
    expect(fromBytes.unwrap().netuid.toNumber()).toBe(NETUID);
    // From the hex string, @polkadot/types keeps the Some tag as data: the netuid comes out wrong (or decoding fails).
    let fromString: number | string;
    try {
      fromString = (h.api.registry.createType(T, reply) as unknown as { unwrap(): { netuid: { toNumber(): number } } }).unwrap().netuid.toNumber();
    } catch {
      fromString = 'failed';
    }
    expect(fromString).not.toBe(NETUID);
  });

  it('turns None, truncated and inconsistent replies into typed errors', async () => {
    h.fake.runtimeCalls.set(RecordedRpcProviderFake.callKey('SubnetInfoRuntimeApi_get_metagraph', '0x6300'), '0x00');
    await expect(h.chain.getNodes(99)).rejects.toMatchObject({ code: 'not_found' });
    const good = h.fake.runtimeCalls.get(RecordedRpcProviderFake.callKey('SubnetInfoRuntimeApi_get_metagraph', '0x3800')) as string;
    h.fake.runtimeCalls.set(RecordedRpcProviderFake.callKey('SubnetInfoRuntimeApi_get_metagraph', '0x3800'), good.slice(0, good.length - 40));
    const truncated = await h.chain.getNodes(NETUID).catch((e: unknown) => e);
    expect(truncated).toBeInstanceOf(ChainError);
    expect(truncated).toMatchObject({ code: 'decode' });
    // Decodes as SCALE, but the vectors disagree in length: not a metagraph we can trust.
    const lopsided = h.api.registry.createType('Option<PalletSubtensorRpcInfoMetagraph>', { netuid: NETUID, hotkeys: [alice.ss58Address], coldkeys: [] });
    h.fake.runtimeCalls.set(RecordedRpcProviderFake.callKey('SubnetInfoRuntimeApi_get_metagraph', '0x3800'), u8aToHex(lopsided.toU8a()));
    await expect(h.chain.getNodes(NETUID)).rejects.toThrow(/coldkeys: has 0 entries for 1 hotkeys/);
    h.fake.runtimeCalls.set(RecordedRpcProviderFake.callKey('SubnetInfoRuntimeApi_get_metagraph', '0x3800'), good);
  });

  it('throws on any RPC the fake does not know, and reports a dead node as unreachable', async () => {
    const rpc = h.api.rpc as unknown as { system: { health(): Promise<unknown> } };
    await expect(rpc.system.health()).rejects.toThrow(/unexpected RPC system_health/);
    h.fake.failWith = new Error('WebSocket is not connected');
    await expect(h.chain.getBlock()).rejects.toMatchObject({ code: 'unreachable' });
    h.fake.failWith = undefined;
  });

  it('sets weights through the in-memory chain model, enforcing the rate limit against LastUpdate', async () => {
    const model = new InMemorySubtensorModel(h.api, h.fake, NETUID);
    const neuron = (hotkey: string, stake: bigint) => ({ hotkey, coldkey: hotkey, alphaStakeRao: stake, taoStakeRao: 0n, totalStakeRao: stake, axon: null, incentive: 0, consensus: 0 });
    model.neurons = [neuron(alice.ss58Address, 10n ** 12n), neuron(bob.ss58Address, 0n)];
    model.lastUpdate = [950, 0];
    model.block = 1000;
    model.weightsVersionKey = 60_000;
    model.publish();

    expect(await h.chain.weightsReadiness(NETUID)).toEqual({ ok: false, reason: 'rate_limited', uid: 0, blocksSinceUpdate: 50, blocksRemaining: 50 });
    const early = await h.chain.setWeights({ netuid: NETUID, uids: [1], weights: [65535], versionKey: 61_000 }).catch((e: unknown) => e);
    expect(early).toBeInstanceOf(WeightsRateLimitedError);
    expect(model.submitted).toEqual([]);

    model.advance(50);
    const receipt = await h.chain.setWeights({ netuid: NETUID, uids: [1], weights: [65535], versionKey: 61_000 });
    expect(receipt).toMatchObject({ status: 'submitted', block: 1050 });
    expect(receipt.hash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(model.submitted).toEqual([{ section: 'subtensorModule', method: 'setWeights', signer: alice.ss58Address, args: [56, [1], [65535], 61000], accepted: true }]);
    expect(model.lastUpdate[0]).toBe(1050);
    expect(model.weights.get(0)).toEqual([[1, 65535]]);
    // The chain's new LastUpdate is what the next check reads.
    await expect(h.chain.setWeights({ netuid: NETUID, uids: [1], weights: [1], versionKey: 61_000 })).rejects.toMatchObject({ code: 'rate_limited', details: { blocksRemaining: 100 } });

    model.advance(100);
    await expect(h.chain.setWeights({ netuid: NETUID, uids: [1, 1], weights: [1, 2], versionKey: 61_000 })).rejects.toMatchObject({ chainError: 'DuplicateUids' });
    await expect(h.chain.setWeights({ netuid: NETUID, uids: [2], weights: [1], versionKey: 61_000 })).rejects.toMatchObject({ chainError: 'UidVecContainInvalidOne' });
    await expect(h.chain.setWeights({ netuid: NETUID, uids: [1], weights: [1, 2], versionKey: 61_000 })).rejects.toMatchObject({ chainError: 'WeightVecNotEqualSize' });
    await expect(h.chain.setWeights({ netuid: NETUID, uids: [1], weights: [1], versionKey: 59_999 })).rejects.toMatchObject({ code: 'version_key' });
    expect(model.submitted).toHaveLength(1);

    // The model refuses by itself too: a signed extrinsic sent past the adapter's checks comes back as 1010.
    const bad = await h.chain.buildSetWeights({ netuid: NETUID, uids: [1, 1], weights: [1, 2], versionKey: 61_000 });
    await expect(h.api.rpc.author.submitExtrinsic(bad)).rejects.toThrow(/1010: Invalid Transaction: DuplicateUids/);
    expect(model.submitted.at(-1)).toMatchObject({ accepted: false, refusal: 'DuplicateUids' });

    const unregistered = await harness(spec, Sr25519Keypair.fromUri('//Eve'));
    unregistered.fake.storage.clear();
    for (const [k, v] of h.fake.storage) unregistered.fake.storage.set(k, v);
    await expect(unregistered.chain.setWeights({ netuid: NETUID, uids: [1], weights: [1], versionKey: 61_000 })).rejects.toMatchObject({ code: 'not_registered' });
    await unregistered.chain.close();

    model.commitRevealWeightsEnabled = true;
    model.publish();
    const cr = h.chain.setWeights({ netuid: NETUID, uids: [1], weights: [65535], versionKey: 61_000 });
    await expect(cr).rejects.toBeInstanceOf(CommitRevealNotSupportedError);
    await expect(cr).rejects.toThrow('commit-reveal not supported yet');
  });

  it('signs set_weights as fiber does: extrinsic v4, mortal era, decodes back to the same call and signer', async () => {
    const signed = await h.chain.buildSetWeights({ netuid: NETUID, uids: [0, 1, 2], weights: [65535, 32768, 0], versionKey: 1000 });
    const decoded = h.api.registry.createType('Extrinsic', signed.toU8a());
    expect(decoded.isSigned).toBe(true);
    expect(decoded.version & 0x7f).toBe(4);
    expect(decoded.signer.toString()).toBe(alice.ss58Address);
    expect(decoded.method.toHex()).toBe('0x070038000c0000010002000cffff00800000e803000000000000');
    expect(decoded.era.isMortalEra).toBe(true);
    // polkadot-js rounds a period of 5 up to the next power of two (8), as substrate-interface does for fiber.
    expect(decoded.era.asMortalEra.period.toNumber()).toBe(8);
  });

  it('serves an axon through the model with subtensor\'s checks', async () => {
    const model = new InMemorySubtensorModel(h.api, h.fake, NETUID);
    model.neurons = [{ hotkey: alice.ss58Address, coldkey: alice.ss58Address, alphaStakeRao: 0n, taoStakeRao: 0n, totalStakeRao: 0n, axon: null, incentive: 0, consensus: 0 }];
    model.lastUpdate = [0];
    model.publish();
    await expect(h.chain.serveAxon({ netuid: NETUID, ip: '127.0.0.1', port: 7999 })).rejects.toMatchObject({ code: 'invalid_axon', chainError: 'InvalidIpAddress' });
    await h.chain.serveAxon({ netuid: NETUID, ip: '66.92.198.154', port: 7999 });
    expect(model.submitted.at(-1)).toMatchObject({ method: 'serveAxon', args: [56, 1, 1113376410, 7999, 4, 4, 0, 0], accepted: true });
    expect((await h.chain.getNodes(NETUID))[0]).toMatchObject({ ip: '1113376410', ip_type: 4, port: 7999 });
  });

  it('names module errors from this runtime\'s metadata, and every extension polkadot-js does not know carries no data', () => {
    const errors = h.api.registry.metadata.pallets.find((p) => p.name.eq('SubtensorModule'))?.errors;
    const variants = h.api.registry.lookup.getSiType(errors!.unwrap().type).def.asVariant.variants;
    const index = variants.find((v) => v.name.eq('SettingWeightsTooFast'))!.index.toNumber();
    expect(moduleErrorName(h.api.registry, { index: 7, error: index })).toBe('subtensorModule.SettingWeightsTooFast');

    const known = new Set([...Object.keys(allExtensions), ...fallbackExtensions]);
    // Read the runtime's own metadata version (V16 names the second type `implicit`, V15 `additionalSigned`).
    const rm = h.api.runtimeMetadata;
    const list: { id: string; types: number[] }[] = rm.version === 16
      ? rm.asV16.extrinsic.transactionExtensions.map((e) => ({ id: e.identifier.toString(), types: [e.type.toNumber(), e.implicit.toNumber()] }))
      : rm.asV15.extrinsic.signedExtensions.map((e) => ({ id: e.identifier.toString(), types: [e.type.toNumber(), e.additionalSigned.toNumber()] }));
    const unknown = list.filter((e) => !known.has(e.id));
    expect(unknown.map((e) => e.id)).toEqual(expect.arrayContaining(['SubtensorTransactionExtension', 'DrandPriority']));
    for (const ext of unknown) {
      for (const t of ext.types) {
        const def = h.api.registry.lookup.getSiType(t).def;
        const empty = (def.isTuple && def.asTuple.length === 0) || (def.isComposite && def.asComposite.fields.length === 0);
        expect(empty, `${ext.id} carries data (type ${t}); polkadot-js would sign it wrongly`).toBe(true);
      }
    }
  });
});

describe('error indices move between runtimes', () => {
  it('SettingWeightsTooFast has a different index in spec 343 and 424', async () => {
    const indices: number[] = [];
    for (const spec of SPECS) {
      const h = await harness(spec);
      const errors = h.api.registry.metadata.pallets.find((p) => p.name.eq('SubtensorModule'))?.errors;
      indices.push(h.api.registry.lookup.getSiType(errors!.unwrap().type).def.asVariant.variants.find((v) => v.name.eq('SettingWeightsTooFast'))!.index.toNumber());
      await h.chain.close();
    }
    expect(indices[0]).not.toBe(indices[1]);
  });
});

describe('connecting', () => {
  it('reports a subtensor endpoint that refuses connections as unreachable', async () => {
    const { connectChain } = await import('../connect.ts');
    await expect(connectChain({ network: 'finney', endpoint: 'ws://127.0.0.1:1' })).rejects.toMatchObject({ code: 'unreachable' });
    const devnet = await connectChain({ network: 'devnet', url: 'http://127.0.0.1:1' });
    expect(devnet.kind).toBe('devnet');
    await expect(devnet.getBlock()).rejects.toMatchObject({ code: 'unreachable' });
  });
});
