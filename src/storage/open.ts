/**
 * Storage from configuration: where the local stores live, which hub a client talks to, and one server that
 * serves both the blob routes and the hub routes (`god hub serve`, the devnet).
 */
import { join, resolve } from 'node:path';
import type { Clock } from '../clock/index.ts';
import { homeDir } from '../config/index.ts';
import type { Config } from '../config/index.ts';
import { createServer } from '../http/index.ts';
import type { GodServer } from '../http/index.ts';
import type { Logger } from '../log/index.ts';
import { LocalBlobStore } from './blob/local.ts';
import { registerBlobRoutes } from './blob/server.ts';
import type { BlobStore } from './blob/types.ts';
import { StorageError } from './errors.ts';
import { HuggingFaceDatasets } from './hf/datasets.ts';
import { HuggingFaceHub } from './hf/hub.ts';
import { HttpModelHub } from './hub/client.ts';
import { LocalModelHub } from './hub/local.ts';
import { registerHubRoutes } from './hub/server.ts';
import { HubTokenStore } from './hub/tokens.ts';
import type { ModelHub } from './hub/types.ts';

export interface StoragePaths {
  blobDir: string;
  hubDir: string;
  /** HMAC key of signed blob URLs, created 0600 on first use. */
  blobSecretFile: string;
  /** Hashed hub upload tokens. */
  hubTokensFile: string;
}

export function storagePaths(config: Config, cwd: string = process.cwd()): StoragePaths {
  const home = homeDir(config, cwd);
  const hubDir = config.storage.hubDir !== null ? resolve(cwd, config.storage.hubDir) : join(home, 'hub');
  return {
    blobDir: config.storage.blobDir !== null ? resolve(cwd, config.storage.blobDir) : join(home, 'blobs'),
    hubDir,
    blobSecretFile: join(home, 'blob-signing.key'),
    hubTokensFile: join(hubDir, 'tokens.json'),
  };
}

export interface StorageDeps {
  clock?: Clock;
  logger?: Logger;
  cwd?: string;
}

const deps = (d: StorageDeps) => ({ ...(d.clock ? { clock: d.clock } : {}), ...(d.logger ? { logger: d.logger } : {}) });

export async function openLocalBlobStore(config: Config, d: StorageDeps = {}, baseUrl?: string): Promise<LocalBlobStore> {
  const paths = storagePaths(config, d.cwd);
  const url = baseUrl ?? config.storage.publicUrl ?? undefined;
  return LocalBlobStore.open({
    root: paths.blobDir,
    secretFile: paths.blobSecretFile,
    maxBytes: config.storage.blobMaxBytes,
    maxUrlSeconds: config.storage.blobUrlMaxSeconds,
    ...(url !== undefined ? { baseUrl: url } : {}),
    ...deps(d),
  });
}

export async function openLocalModelHub(config: Config, d: StorageDeps = {}): Promise<LocalModelHub> {
  return LocalModelHub.open({ root: storagePaths(config, d.cwd).hubDir, maxFileBytes: config.storage.hubMaxFileBytes, ...deps(d) });
}

/**
 * The blob store a role uses: S3/MinIO when `services.s3Endpoint` is set (bucket and keys then required), else
 * the local directory. The S3 SDK is loaded only when S3 is configured.
 */
export async function openBlobStore(config: Config, d: StorageDeps = {}, baseUrl?: string): Promise<BlobStore> {
  const { s3Endpoint, s3Bucket, s3AccessKey, s3SecretKey, s3Region } = config.services;
  if (s3Endpoint === null) return openLocalBlobStore(config, d, baseUrl);
  const missing = [['services.s3Bucket', s3Bucket], ['services.s3AccessKey', s3AccessKey], ['services.s3SecretKey', s3SecretKey]].filter(([, v]) => v === null).map(([k]) => k);
  if (missing.length > 0) throw new StorageError('invalid', `services.s3Endpoint is set, so ${missing.join(', ')} must be set too`);
  const { S3BlobStore } = await import('./s3/store.ts');
  return new S3BlobStore({
    endpoint: s3Endpoint,
    bucket: s3Bucket as string,
    accessKeyId: s3AccessKey as string,
    secretAccessKey: s3SecretKey as string,
    ...(s3Region !== null ? { region: s3Region } : {}),
    forcePathStyle: config.storage.s3PathStyle,
    maxBytes: config.storage.blobMaxBytes,
    maxUrlSeconds: config.storage.blobUrlMaxSeconds,
    ...deps(d),
  });
}

export type HubBackend = 'local' | 'http' | 'huggingface';

/**
 * Which hub `storage.hub` selects: `auto` is the hub server when `storage.hubUrl` is set, else the local
 * directory. The Hugging Face Hub is only ever chosen explicitly: the original's miners always carry
 * HUGGINGFACE_TOKEN, and a token lying in the environment must not send a devnet's models to the public Hub.
 */
export function hubBackend(config: Config): HubBackend {
  const choice = config.storage.hub;
  if (choice !== 'auto') return choice;
  return config.storage.hubUrl !== null ? 'http' : 'local';
}

/** The hub a role uses, by `storage.hub` (see `hubBackend`). */
export async function openModelHub(config: Config, d: StorageDeps = {}): Promise<ModelHub> {
  const backend = hubBackend(config);
  if (backend === 'http') {
    if (config.storage.hubUrl === null) throw new StorageError('invalid', 'storage.hub is http, so storage.hubUrl must be set');
    return new HttpModelHub({ baseUrl: config.storage.hubUrl, ...(config.storage.hubToken !== null ? { token: config.storage.hubToken } : {}) });
  }
  if (backend === 'huggingface') {
    return new HuggingFaceHub({ endpoint: config.storage.hfEndpoint, ...(config.services.huggingfaceToken !== null ? { token: config.services.huggingfaceToken } : {}) });
  }
  return openLocalModelHub(config, d);
}

/** Hugging Face datasets (file listing, parquet reads) at `storage.hfEndpoint`, with the token when set. */
export function openHuggingFaceDatasets(config: Config): HuggingFaceDatasets {
  return new HuggingFaceDatasets({ endpoint: config.storage.hfEndpoint, ...(config.services.huggingfaceToken !== null ? { token: config.services.huggingfaceToken } : {}) });
}

export interface StorageServer {
  server: GodServer;
  baseUrl: string;
  blobs: LocalBlobStore;
  hub: LocalModelHub;
  tokens: HubTokenStore;
  close(): Promise<void>;
}

/** Opens both local stores and serves them on one HTTP server (`storage.host`:`storage.port` unless given). */
export async function startStorageServer(config: Config, d: StorageDeps = {}, listen: { host?: string; port?: number } = {}): Promise<StorageServer> {
  const paths = storagePaths(config, d.cwd);
  const blobs = await openLocalBlobStore(config, d);
  const hub = await openLocalModelHub(config, d);
  const tokens = new HubTokenStore(paths.hubTokensFile, d.clock);
  const server = createServer({ ...(d.logger ? { logger: d.logger } : {}), info: { title: 'god storage' }, logRequests: false });
  registerBlobRoutes(server, blobs);
  registerHubRoutes(server, hub, { tokens, maxCommitBytes: config.storage.hubMaxCommitBytes, ...(config.storage.publicUrl !== null ? { publicUrl: config.storage.publicUrl } : {}) });
  const baseUrl = await server.listen({ host: listen.host ?? config.storage.host, port: listen.port ?? config.storage.port });
  if (config.storage.publicUrl === null) blobs.setBaseUrl(baseUrl);
  return { server, baseUrl: config.storage.publicUrl ?? baseUrl, blobs, hub, tokens, close: () => server.close() };
}
