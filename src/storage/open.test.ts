import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { HttpModelHub } from './hub/client.ts';
import { LocalModelHub } from './hub/local.ts';
import { openModelHub, startStorageServer, storagePaths } from './open.ts';
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
});
