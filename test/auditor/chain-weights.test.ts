/**
 * `Chain.getWeights` (what the auditor compares against) on the subtensor adapter: the storage key of
 * `Weights(netuid, uid)` from real finney metadata, and the value decoded from SCALE bytes after the in-memory
 * chain model applied a signed `set_weights`. The devnet side is exercised over HTTP by test/auditor/audit.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SubtensorChain } from '../../src/chain/subtensor/adapter.ts';
import { InMemorySubtensorModel } from '../../src/chain/subtensor/in-memory-model.ts';
import { FINNEY_GENESIS, loadMetadataHex, runtimeVersionOf, type KnownSpec } from '../../src/chain/subtensor/metadata.ts';
import { RecordedRpcProviderFake } from '../../src/chain/subtensor/recorded-rpc-provider-fake.ts';
import { Sr25519Keypair, initCrypto } from '../../src/keys/keypair.ts';

const NETUID = 56;

describe.each([424, 343] as KnownSpec[])('subtensor getWeights, finney spec %i metadata', (spec) => {
  let chain: SubtensorChain;
  let fake: RecordedRpcProviderFake;
  let alice: Sr25519Keypair;
  let bob: Sr25519Keypair;

  beforeAll(async () => {
    await initCrypto();
    alice = Sr25519Keypair.fromUri('//Alice');
    bob = Sr25519Keypair.fromUri('//Bob');
    const hex = loadMetadataHex(spec);
    const runtimeVersion = runtimeVersionOf(hex);
    fake = new RecordedRpcProviderFake({ genesisHash: FINNEY_GENESIS, runtimeVersion });
    chain = await SubtensorChain.connect({ provider: fake, metadata: { [`${FINNEY_GENESIS}-${runtimeVersion.specVersion}`]: hex as `0x${string}` }, signer: alice });
  }, 60_000);
  afterAll(async () => {
    await chain?.close();
  });

  it('reads Weights(netuid, uid) by its documented key and decodes what set_weights stored', async () => {
    // subtensor-offline.md §2.1: pallet prefix + item hash, then the two u16 keys (Identity hasher).
    expect(chain.api.query.subtensorModule!.weights!.key(NETUID, 1)).toBe('0x658faa385070e074c85bf6b568cf0555a1e7036061f484bc3048a64b64e35ec438000100');
    const model = new InMemorySubtensorModel(chain.api, fake, NETUID);
    const neuron = (hotkey: string, stake: bigint) => ({ hotkey, coldkey: hotkey, alphaStakeRao: stake, taoStakeRao: 0n, totalStakeRao: stake, axon: null, incentive: 0, consensus: 0 });
    model.neurons = [neuron(alice.ss58Address, 10n ** 12n), neuron(bob.ss58Address, 0n), neuron(Sr25519Keypair.fromUri('//Charlie').ss58Address, 0n)];
    model.lastUpdate = [0, 0, 0];
    model.publish();

    // Never set: the storage default (empty), not an error.
    expect(await chain.getWeights(NETUID, 0)).toEqual([]);
    await chain.setWeights({ netuid: NETUID, uids: [1, 2], weights: [65535, 12345], versionKey: 61_000 });
    expect(await chain.getWeights(NETUID, 0)).toEqual([
      [1, 65535],
      [2, 12345],
    ]);
    expect(await chain.getWeights(NETUID, 1)).toEqual([]);
  });
});
