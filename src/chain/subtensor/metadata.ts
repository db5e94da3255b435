/**
 * Real finney runtime metadata shipped in chain-data/ (see its README), for building an `ApiPromise` with no
 * network. Production reads metadata from the node; these blobs exist so the adapter's encodings and decodings
 * are tested against the runtimes the chain actually ran.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Metadata, TypeRegistry } from '@polkadot/types';
import { hexToU8a, u8aToHex } from '@polkadot/util';
import { z } from 'zod';

/** finney's genesis hash (chain-data/README.md). */
export const FINNEY_GENESIS = '0x2f0555cc76fc2840a25a6ea3b9637146806f1f44b090c175ffde2a7e5ab36c03';

export const CHAIN_DATA_DIR = resolve(import.meta.dirname, '../../../chain-data');

export const METADATA_FILES = {
  424: 'finney-spec424.scale',
  343: 'finney-spec343-metadata_at_version15.hex.txt',
} as const;
export type KnownSpec = keyof typeof METADATA_FILES;

/**
 * The metadata as `0x` hex of the raw bytes (starting with the `meta` magic). The spec-343 file is the hex of an
 * `Option<OpaqueMetadata>` (Some tag + compact length), which is unwrapped here.
 */
export function loadMetadataHex(spec: KnownSpec, dir: string = CHAIN_DATA_DIR): string {
  const path = resolve(dir, METADATA_FILES[spec]);
  if (path.endsWith('.scale')) return u8aToHex(readFileSync(path));
  const bytes = hexToU8a(readFileSync(path, 'utf8').trim());
  const registry = new TypeRegistry();
  const opaque = registry.createType('Option<OpaqueMetadata>', bytes);
  if (opaque.isNone) throw new Error(`${path}: Option<OpaqueMetadata> is None`);
  return u8aToHex(opaque.unwrap().toU8a(true));
}

const RuntimeVersionSchema = z.looseObject({
  specName: z.string(),
  specVersion: z.number().int(),
  transactionVersion: z.number().int(),
  apis: z.array(z.tuple([z.string(), z.number()])),
});
export type RuntimeVersionJson = z.infer<typeof RuntimeVersionSchema>;

/** The runtime version the metadata declares (its `System.Version` constant), as `state_getRuntimeVersion` returns it. */
export function runtimeVersionOf(metadataHex: string): RuntimeVersionJson {
  const registry = new TypeRegistry();
  const metadata = new Metadata(registry, metadataHex as `0x${string}`);
  registry.setMetadata(metadata);
  const system = metadata.asLatest.pallets.find((p) => p.name.eq('System'));
  const constant = system?.constants.find((c) => c.name.eq('Version'));
  if (!constant) throw new Error('metadata has no System.Version constant');
  return RuntimeVersionSchema.parse(registry.createType(registry.createLookupType(constant.type), constant.value).toJSON());
}
