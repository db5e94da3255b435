import { randomBytes } from 'node:crypto';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStorageError } from '../errors.ts';
import { HuggingFaceDatasets } from './datasets.ts';
import { FakeHfHub } from './recording-fake.ts';

const rows = (n: number, offset = 0) => Array.from({ length: n }, (_, i) => ({ instruction: `q${i + offset}`, output: `a${i + offset}` }));
const parquet = (data: { instruction: string; output: string }[]) =>
  Buffer.from(parquetWriteBuffer({ columnData: ['instruction', 'output'].map((name) => ({ name, data: data.map((r) => r[name as 'instruction' | 'output']) })), rowGroupSize: 100 }));

describe('HuggingFaceDatasets', () => {
  let fake: FakeHfHub;
  let ds: HuggingFaceDatasets;
  beforeEach(async () => {
    fake = await FakeHfHub.start({ pageSize: 2 });
    ds = new HuggingFaceDatasets({ endpoint: fake.url, token: 'hf_fake_alice', retryBaseMs: 1 });
  });
  afterEach(() => fake.close());

  it('lists files through the paginated tree API, with sha256 for LFS files', async () => {
    const train = parquet(rows(300));
    fake.seed('dataset', 'org/instruct', { 'README.md': Buffer.from('# card'), 'data/train-00000-of-00001.parquet': { content: train, lfs: true }, 'data/test-00000-of-00001.parquet': { content: parquet(rows(20, 300)), lfs: true } });
    const files = await ds.listFiles('org/instruct');
    expect(files.map((f) => f.path)).toEqual(['README.md', 'data/test-00000-of-00001.parquet', 'data/train-00000-of-00001.parquet']);
    expect(files[0]?.sha256).toBeNull();
    expect(files[2]).toMatchObject({ size: train.length, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const trees = fake.sent('GET', /^\/api\/datasets\/org\/instruct\/tree\/main$/);
    expect(trees).toHaveLength(2);
    expect(trees.every((r) => r.query.recursive === 'true')).toBe(true);
  });

  it('reads parquet rows by range requests (footer and chunks only), following the CDN redirect', async () => {
    // Larger than hyparquet's first footer read (512 KiB), so reading a few rows of one column skips most of it.
    const big = parquet(rows(4000).map((r) => ({ ...r, output: `${r.output} ${randomBytes(150).toString('hex')}` })));
    fake.seed('dataset', 'org/big', { 'train.parquet': { content: big, lfs: true } });
    const [file] = await ds.listFiles('org/big');
    const some = await ds.readParquet({ datasetId: 'org/big', path: 'train.parquet', size: file?.size as number }, { rowStart: 3500, rowEnd: 3503, columns: ['output'] });
    expect(some.map((r) => String(r.output).split(' ')[0])).toEqual(['a3500', 'a3501', 'a3502']);
    const cdn = fake.sent('GET', /^\/__cdn\//);
    expect(cdn.length).toBeGreaterThan(0);
    expect(cdn.every((r) => /^bytes=\d+-\d+$/.test(r.headers.range ?? '') && r.headers.authorization === undefined)).toBe(true);
    const fetched = cdn.reduce((n, r) => {
      const [a, b] = (r.headers.range as string).slice(6).split('-').map(Number) as [number, number];
      return n + b - a + 1;
    }, 0);
    expect(big.length).toBeGreaterThan(1_000_000);
    expect(fetched).toBeLessThan(big.length * 0.6);
    // Without a known size the reader asks with HEAD.
    expect(await ds.readParquet({ datasetId: 'org/big', path: 'train.parquet' }, { rowEnd: 1, columns: ['instruction'] })).toEqual([{ instruction: 'q0' }]);
    expect(fake.sent('HEAD', /resolve/)).toHaveLength(1);
  });

  it('loads every split of a dataset, from its own parquet files or else the Hub export', async () => {
    fake.seed('dataset', 'org/own', { 'data/train-0.parquet': { content: parquet(rows(5)), lfs: true }, 'data/test-0.parquet': { content: parquet(rows(2, 5)), lfs: true } });
    expect((await ds.loadRows('org/own')).map((r) => r.instruction)).toEqual(['q5', 'q6', 'q0', 'q1', 'q2', 'q3', 'q4']);
    expect((await ds.loadRows('org/own', { split: 'test' })).map((r) => r.instruction)).toEqual(['q5', 'q6']);

    fake.seed('dataset', 'org/jsonl', { 'data.jsonl': Buffer.from('{"instruction":"x","output":"y"}\n') }, { default: { train: [parquet(rows(3))], validation: [parquet(rows(1, 3))] } });
    expect(await ds.parquetExport('org/jsonl')).toEqual([
      { config: 'default', split: 'train', url: `${fake.url}/api/datasets/org/jsonl/parquet/default/train/0.parquet` },
      { config: 'default', split: 'validation', url: `${fake.url}/api/datasets/org/jsonl/parquet/default/validation/0.parquet` },
    ]);
    expect((await ds.loadRows('org/jsonl')).map((r) => r.output)).toEqual(['a0', 'a1', 'a2', 'a3']);
    await expect(ds.loadRows('org/jsonl', { split: 'nope' })).rejects.toSatisfy((e) => isStorageError(e, 'not_found'));
  });

  it('types failures: a missing dataset, a file that is not parquet, bad names', async () => {
    await expect(ds.listFiles('org/missing')).rejects.toSatisfy((e) => isStorageError(e, 'not_found'));
    fake.seed('dataset', 'org/text', { 'notes.parquet': Buffer.from('this is not parquet at all') });
    await expect(ds.readParquet({ datasetId: 'org/text', path: 'notes.parquet' })).rejects.toSatisfy((e) => isStorageError(e, 'invalid'));
    await expect(ds.listFiles('../etc')).rejects.toSatisfy((e) => isStorageError(e, 'invalid'));
    expect(() => ds.resolveUrl('org/text', '../x')).toThrow();
  });
});
