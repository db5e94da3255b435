import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock/index.ts';
import { defaultConfig, type Config } from '../../config/index.ts';
import { openBlobStore } from '../../storage/open.ts';
import { TestS3Server } from '../../storage/s3/local-server.ts';
import { s3BlobAdapter } from './blob-stores.ts';

const BUCKET = 'god-tasks';

function s3Config(server: TestS3Server, pathStyle: boolean): Config {
  return {
    ...defaultConfig,
    services: { ...defaultConfig.services, s3Endpoint: server.endpoint, s3Bucket: BUCKET, s3AccessKey: server.accessKeyId, s3SecretKey: server.secretAccessKey },
    storage: { ...defaultConfig.storage, s3PathStyle: pathStyle },
  };
}

describe('the validator on S3 (services.s3Endpoint set)', () => {
  let server: TestS3Server;
  beforeEach(async () => {
    server = await TestS3Server.start({ clock: new ManualClock(Math.floor(Date.now() / 1000) * 1000), buckets: [BUCKET] });
  });
  afterEach(async () => {
    await server.close();
  });

  it('puts task files in the bucket, hands out presigned URLs that fetch them, and recognises its own URLs', async () => {
    const config = s3Config(server, true);
    const store = await openBlobStore(config);
    const blobs = s3BlobAdapter(store, config);
    await blobs.put('task-1_test.json', new TextEncoder().encode('[{"instruction":"hi"}]'), 'application/json');
    const url = await blobs.signedUrl('task-1_test.json', 3600);
    expect(url.startsWith(`${server.endpoint}/${BUCKET}/task-1_test.json?`)).toBe(true);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('[{"instruction":"hi"}]');
    expect(blobs.keyOfUrl(url)).toBe('task-1_test.json');
    expect(blobs.keyOfUrl(`${server.endpoint}/other-bucket/task-1_test.json`)).toBeNull();
    expect(blobs.keyOfUrl('https://elsewhere.example/blobs/task-1_test.json')).toBeNull();
    await blobs.delete('task-1_test.json');
    expect((await fetch(url)).status).toBe(404);
  });

  it('recognises virtual-hosted URLs (<bucket>.<host>/<key>) when path style is off', () => {
    const config = s3Config(server, false);
    const endpoint = new URL(server.endpoint);
    const blobs = s3BlobAdapter({} as never, config);
    expect(blobs.keyOfUrl(`${endpoint.protocol}//${BUCKET}.${endpoint.host}/a/b.json?X-Amz-Signature=x`)).toBe('a/b.json');
    expect(blobs.keyOfUrl(`${server.endpoint}/${BUCKET}/a/b.json`)).toBeNull();
  });
});
