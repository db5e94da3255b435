import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ManualClock } from '../../clock/index.ts';
import { createServer } from '../../http/index.ts';
import { tempDir } from '../testing.ts';
import { blobStoreContract } from './contract.ts';
import { BLOB_HEADER_BYTES, LocalBlobStore } from './local.ts';
import { sha256Hex } from '../fsutil.ts';
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
      // One file per blob: its header, then the bytes; the bytes are changed, the header kept.
      const path = join(root, 'files', sha256Hex(key));
      const file = await readFile(path);
      await writeFile(path, Buffer.concat([file.subarray(0, BLOB_HEADER_BYTES), Buffer.from('tampered')]));
    },
    close: async () => {
      await server.close();
      await dir.cleanup();
    },
  };
});
