/**
 * A reply recorded from finney (netuid 1, block 6,852,690, runtime spec 343) decoded from its bytes with both
 * metadata blobs and run through the adapter's metagraph schema and node mapping: real-world data, not only
 * hand-built replies. The recorded call is `get_selective_mechagraph` with all fields requested (fiber uses
 * `get_metagraph`, whose struct has the same fields without the Option wrappers; no recording of that exists).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Metadata, TypeRegistry } from '@polkadot/types';
import { hexToU8a, u8aToHex } from '@polkadot/util';
import { describe, expect, it } from 'vitest';
import { isSs58Address } from '../../src/keys/keypair.ts';
import { metagraphToNodes, parseMetagraph } from '../../src/chain/subtensor/metagraph.ts';
import { loadMetadataHex, type KnownSpec } from '../../src/chain/subtensor/metadata.ts';
import { ipToText } from '../../src/chain/ip.ts';

const fixture = JSON.parse(readFileSync(resolve(import.meta.dirname, 'fixtures/finney-netuid1-selective-mechagraph.json'), 'utf8')) as { reply: string; block: number };

function registryFor(spec: KnownSpec): TypeRegistry {
  const registry = new TypeRegistry();
  registry.setMetadata(new Metadata(registry, loadMetadataHex(spec) as `0x${string}`));
  return registry;
}

describe.each([343, 424] as const)('recorded finney metagraph under spec %i metadata', (spec) => {
  it('decodes from bytes, re-encodes identically, and maps to 1024 fiber nodes', () => {
    const registry = registryFor(spec);
    const bytes = hexToU8a(fixture.reply);
    const decoded = registry.createType('Option<PalletSubtensorRpcInfoMetagraphSelectiveMetagraph>', bytes);
    expect(u8aToHex(decoded.toU8a())).toBe(fixture.reply);
    const primitive = (decoded as unknown as { unwrap(): { toPrimitive(): Record<string, unknown> } }).unwrap().toPrimitive();
    const metagraph = parseMetagraph(primitive, 1);
    expect(metagraph).toMatchObject({ netuid: 1, tempo: 99, numUids: 1024, weightsRateLimit: 100n, commitRevealWeightsEnabled: true });
    expect(metagraph.block).toBe(BigInt(fixture.block));
    const nodes = metagraphToNodes(metagraph);
    expect(nodes).toHaveLength(1024);
    expect(nodes.every((n) => isSs58Address(n.hotkey) && isSs58Address(n.coldkey))).toBe(true);
    expect(new Set(nodes.map((n) => n.hotkey)).size).toBe(1024);
    // Every posted axon converts to an address; the unposted ones are ip 0.
    const serving = nodes.filter((n) => n.ip !== '0');
    expect(serving.length).toBeGreaterThan(0);
    expect(serving.every((n) => ipToText(n.ip, n.ip_type) !== null)).toBe(true);
    // Stakes are scaled rao; the subnet's total is positive and incentives are u16.
    expect(nodes.reduce((sum, n) => sum + n.stake, 0)).toBeGreaterThan(0);
    expect(nodes.every((n) => n.incentive >= 0 && n.incentive <= 65535 && n.last_updated <= fixture.block)).toBe(true);
  });
});
