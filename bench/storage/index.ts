/**
 * bench/storage: upload and download throughput of the S3 adapter (AWS SDK, SigV4, sha256 checksums, against
 * the in-memory test S3 server on loopback) next to the local blob store (files + fsync), per object size.
 *
 *   npm run bench -- storage [--sizes 64K,1M,8M,64M] [--seconds 2]
 *
 * Each cell is the median of at least 3 operations (more until `--seconds` per cell have passed): `put` of a
 * Uint8Array, then `get` (which checks the sha256 in both stores). The ratio is S3 time / local time, so > 1
 * means the S3 path is slower. What it shows is the adapter's own cost (HTTP, signing, checksums, one HEAD per
 * put) on this machine; a real S3 or MinIO adds network and disk on the other side, which this cannot measure.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalBlobStore } from '../../src/storage/blob/local.ts';
import type { BlobStore } from '../../src/storage/blob/types.ts';
import { TestS3Server } from '../../src/storage/s3/local-server.ts';
import { S3BlobStore } from '../../src/storage/s3/store.ts';

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const parseSize = (s: string): number => {
  const m = /^(\d+)([KMG]?)$/i.exec(s.trim());
  if (!m) throw new Error(`--sizes: cannot read ${JSON.stringify(s)} (use e.g. 64K, 1M)`);
  return Number(m[1]) * ({ '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 } as Record<string, number>)[(m[2] ?? '').toUpperCase()]!;
};
const label = (n: number) => (n >= 1024 ** 2 ? `${n / 1024 ** 2} MiB` : `${n / 1024} KiB`);
const SIZES = (argValue('sizes') ?? '64K,1M,8M,64M').split(',').map(parseSize);
const SECONDS = Number(argValue('seconds') ?? 2);
if (!Number.isFinite(SECONDS) || SECONDS <= 0) throw new Error('--seconds must be a positive number');

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

async function timeOps(fn: (i: number) => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  const start = performance.now();
  for (let i = 0; times.length < 3 || performance.now() - start < SECONDS * 1000; i++) {
    const t = performance.now();
    await fn(i);
    times.push(performance.now() - t);
    if (times.length >= 200) break;
  }
  return median(times);
}

async function measure(store: BlobStore, size: number): Promise<{ put: number; get: number }> {
  const bytes = randomBytes(size);
  let written = 0;
  const put = await timeOps(async (i) => {
    await store.put(`bench/${size}/${i % 4}`, bytes, 'application/octet-stream');
    written = Math.max(written, (i % 4) + 1);
  });
  const get = await timeOps((i) => store.get(`bench/${size}/${i % written}`));
  return { put, get };
}

const dir = await mkdtemp(join(tmpdir(), 'god-bench-storage-'));
const server = await TestS3Server.start({ buckets: ['bench'] });
const s3 = new S3BlobStore({ endpoint: server.endpoint, bucket: 'bench', accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey });
const local = await LocalBlobStore.open({ root: join(dir, 'blobs'), secret: new Uint8Array(32).fill(1) });
const mbps = (size: number, ms: number) => (size / 1024 ** 2 / (ms / 1000)).toFixed(0).padStart(6);
const ratios: { size: number; put: number; get: number }[] = [];
try {
  process.stdout.write(`node ${process.version}; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}; test S3 server in memory on loopback; local store in ${tmpdir()}\n`);
  process.stdout.write('size        local put MB/s  s3 put MB/s  put ratio | local get MB/s  s3 get MB/s  get ratio\n');
  for (const size of SIZES) {
    const l = await measure(local, size);
    const r = await measure(s3, size);
    ratios.push({ size, put: r.put / l.put, get: r.get / l.get });
    process.stdout.write(
      `${label(size).padEnd(10)}  ${mbps(size, l.put)}          ${mbps(size, r.put)}       ${(r.put / l.put).toFixed(2).padStart(6)}  |  ${mbps(size, l.get)}          ${mbps(size, r.get)}       ${(r.get / l.get).toFixed(2).padStart(6)}\n`,
    );
    server.buckets.get('bench')?.clear();
  }
} finally {
  s3.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
}
const cells = ratios.map((r) => `${label(r.size)} put ×${r.put.toFixed(2)} get ×${r.get.toFixed(2)}`).join(', ');
process.stdout.write(`load average at the end ${loadavg().map((x) => x.toFixed(1)).join(' ')}\nSUMMARY storage: S3 adapter (test server, loopback) time / local blob store time — ${cells}\n`);
