import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ManualClock } from '../../clock/index.ts';
import { createServer } from '../../http/index.ts';
import { tempDir } from '../testing.ts';
import { blobStoreContract } from './contract.ts';
import { LocalBlobStore } from './local.ts';
import { registerBlobRoutes } from './server.ts';

const secret = new Uint8Array(32).fill(5);

blobStoreContract('local directory served by signed URL', async () => {
  const dir = await tempDir();
  const clock = new ManualClock(Date.UTC(2025, 7, 1, 12));
  const root = join(dir.path, 'blobs');
  const store = await LocalBlobStore.open({ root, secret, clock });
  const server = createServer({ logRequests: false });
  registerBlobRoutes(server, store);
  store.setBaseUrl(await server.listen());
  return {
    store,
    clock,
    withMaxBytes: (maxBytes) => LocalBlobStore.open({ root, secret, clock, maxBytes }),
    tamper: async (key) => {
      // The record names the object file; with one blob stored there is one object.
      const objects = await readdir(join(root, 'objects'));
      if (objects.length !== 1) throw new Error(`expected one object for ${key}, found ${objects.length}`);
      await writeFile(join(root, 'objects', objects[0] as string), 'tampered');
    },
    close: async () => {
      await server.close();
      await dir.cleanup();
    },
  };
});
