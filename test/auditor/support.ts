/**
 * What an audited validator publishes, for the auditor tests: its blob store served over loopback HTTP (where the
 * scores file goes, behind a signed URL) and its public API (`/auditing/scores-url`, task details).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiServer } from '../../src/api/server.ts';
import type { Clock } from '../../src/clock/index.ts';
import type { Config } from '../../src/config/schema.ts';
import type { Db } from '../../src/db/types.ts';
import { createServer } from '../../src/http/index.ts';
import { LocalBlobStore } from '../../src/storage/blob/local.ts';
import { registerBlobRoutes } from '../../src/storage/blob/server.ts';
import { StorageBlobAdapter } from '../../src/validator/adapters/blob-stores.ts';

export interface PublishedValidator {
  blobs: StorageBlobAdapter;
  apiUrl: string;
  close(): Promise<void>;
}

export async function publishValidator(db: Db, clock: Clock, config: Config): Promise<PublishedValidator> {
  const dir = await mkdtemp(join(tmpdir(), 'god-audit-'));
  const store = await LocalBlobStore.open({ root: dir, secret: randomBytes(32), clock });
  const blobServer = createServer({ logRequests: false });
  registerBlobRoutes(blobServer, store);
  const blobUrl = await blobServer.listen({ port: 0, host: '127.0.0.1' });
  store.setBaseUrl(blobUrl);
  const api = createApiServer({ db, clock, config, webhooks: false, logRequests: false });
  const apiUrl = await api.listen({ port: 0, host: '127.0.0.1' });
  return {
    blobs: new StorageBlobAdapter(store, blobUrl),
    apiUrl,
    async close() {
      await api.close();
      await blobServer.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
