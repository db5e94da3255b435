import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { HttpModelHub } from './hub/client.ts';
import { LocalModelHub } from './hub/local.ts';
import { LocalBlobStore } from './blob/local.ts';
import { isStorageError } from './errors.ts';
import { HuggingFaceHub } from './hf/hub.ts';
import { FakeHfHub } from './hf/recording-fake.ts';
import { hubBackend, openBlobStore, openHuggingFaceDatasets, openModelHub, startStorageServer, storagePaths } from './open.ts';
import { TestS3Server } from './s3/local-server.ts';
import { S3BlobStore } from './s3/store.ts';
import { tempDir } from './testing.ts';

let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(() => dir.cleanup());

const configFor = (cli: Record<string, unknown> = {}) => loadConfig({ env: {}, cwd: dir.path, cli: { 'general.home': dir.path, ...cli } }).config;

describe('storage from configuration', () => {
  it('puts blobs, hub, secret and tokens under general.home unless told otherwise', () => {
    expect(storagePaths(configFor(), dir.path)).toEqual({
      blobDir: join(dir.path, 'blobs'),
      hubDir: join(dir.path, 'hub'),
      blobSecretFile: join(dir.path, 'blob-signing.key'),
      hubTokensFile: join(dir.path, 'hub', 'tokens.json'),
    });
    const moved = storagePaths(configFor({ 'storage.blobDir': 'b', 'storage.hubDir': '/srv/hub' }), dir.path);
    expect(moved.blobDir).toBe(join(dir.path, 'b'));
    expect(moved.hubDir).toBe('/srv/hub');
    expect(moved.hubTokensFile).toBe('/srv/hub/tokens.json');
  });

  it('picks the HTTP hub when storage.hubUrl is set, the local directory otherwise', async () => {
    expect(await openModelHub(configFor(), { cwd: dir.path })).toBeInstanceOf(LocalModelHub);
    expect(await openModelHub(configFor({ 'storage.hubUrl': 'http://127.0.0.1:9', 'storage.hubToken': 'hub_x' }))).toBeInstanceOf(HttpModelHub);
  });

  it('serves blobs and the hub from one server, with signed URLs pointing at it', async () => {
    const started = await startStorageServer(configFor({ 'storage.port': 0 }), { cwd: dir.path });
    try {
      await started.blobs.put('tasks/x_test_data.json', new TextEncoder().encode('[]'), 'application/json');
      const url = await started.blobs.signedUrl('tasks/x_test_data.json', { method: 'GET', expiresInSeconds: 60 });
      expect(url.startsWith(`${started.baseUrl}/blobs/tasks/x_test_data.json?`)).toBe(true);
      expect(await (await fetch(url)).text()).toBe('[]');
      expect((await stat(join(dir.path, 'blob-signing.key'))).mode & 0o777).toBe(0o600);

      const { token } = await started.tokens.issue('miner1');
      const client = new HttpModelHub({ baseUrl: started.baseUrl, token });
      await client.createRepo('miner1/task');
      await client.upload('miner1/task', [{ path: 'model.safetensors', bytes: new Uint8Array([1, 2]) }], { message: 'm' });
      expect((await started.hub.repoInfo('miner1/task')).files).toHaveLength(1);
    } finally {
      await started.close();
    }
  });

  it('picks S3 when services.s3Endpoint is set, and says which S3 settings are missing', async () => {
    expect(await openBlobStore(configFor(), { cwd: dir.path })).toBeInstanceOf(LocalBlobStore);
    await expect(openBlobStore(configFor({ 'services.s3Endpoint': 'http://127.0.0.1:9', 'services.s3AccessKey': 'a' }))).rejects.toSatisfy(
      (e) => isStorageError(e, 'invalid') && /services\.s3Bucket, services\.s3SecretKey/.test((e as Error).message),
    );
    const s3 = await TestS3Server.start({ buckets: ['tasks'] });
    try {
      const store = await openBlobStore(configFor({ 'services.s3Endpoint': s3.endpoint, 'services.s3Bucket': 'tasks', 'services.s3AccessKey': s3.accessKeyId, 'services.s3SecretKey': s3.secretAccessKey, 'services.s3Region': 'us-east-1' }));
      expect(store).toBeInstanceOf(S3BlobStore);
      await store.put('x_train_data.json', new TextEncoder().encode('[]'), 'application/json');
      expect(s3.buckets.get('tasks')?.get('x_train_data.json')?.contentType).toBe('application/json');
      const url = await store.signedUrl('x_train_data.json', { method: 'GET', expiresInSeconds: 604_800 });
      expect(await (await fetch(url)).text()).toBe('[]');
      (store as S3BlobStore).close();
    } finally {
      await s3.close();
    }
  });

  it('chooses the hub by storage.hub; auto never picks Hugging Face, even with a token in the environment', async () => {
    const token = { 'services.huggingfaceToken': 'hf_fake_alice' };
    expect(hubBackend(configFor(token))).toBe('local');
    expect(hubBackend(configFor({ ...token, 'storage.hubUrl': 'http://127.0.0.1:9' }))).toBe('http');
    expect(hubBackend(configFor({ 'storage.hub': 'local', 'storage.hubUrl': 'http://127.0.0.1:9' }))).toBe('local');
    await expect(openModelHub(configFor({ 'storage.hub': 'http' }))).rejects.toSatisfy((e) => isStorageError(e, 'invalid'));
    const fake = await FakeHfHub.start();
    try {
      const hub = await openModelHub(configFor({ ...token, 'storage.hub': 'huggingface', 'storage.hfEndpoint': fake.url }));
      expect(hub).toBeInstanceOf(HuggingFaceHub);
      await hub.createRepo('alice/from-config');
      expect(fake.sent('POST', /^\/api\/repos\/create$/)[0]?.headers.authorization).toBe('Bearer hf_fake_alice');
      fake.seed('dataset', 'org/d', { 'a.txt': Buffer.from('x') });
      expect((await openHuggingFaceDatasets(configFor({ ...token, 'storage.hfEndpoint': fake.url })).listFiles('org/d')).map((f) => f.path)).toEqual(['a.txt']);
    } finally {
      await fake.close();
    }
  });
});
