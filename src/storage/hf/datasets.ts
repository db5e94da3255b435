/**
 * Hugging Face datasets as the original's validator reads them (validator.md §5.1: `load_dataset(id)`, all
 * splits), without Python: the repository's files are listed through the Hub API, parquet files are read with
 * hyparquet over HTTP range requests (only the footer and the wanted column chunks are fetched), and datasets
 * stored in another format are read from the Hub's parquet export (`/api/datasets/{id}/parquet`).
 *
 *   files        GET /api/datasets/{id}/tree/{rev}[/{path}]?recursive=true   (paginated by Link)
 *   export       GET /api/datasets/{id}/parquet                            → {config: {split: [url]}}
 *   bytes        GET /datasets/{id}/resolve/{rev}/{path}                   (Range; LFS redirects to the CDN)
 */
import type { AsyncBuffer } from 'hyparquet';
import { StorageError } from '../errors.ts';
import { parseRepoFilePath, parseRepoId } from '../names.ts';
import { HfHttp } from './http.ts';
import type { HfHttpOptions } from './http.ts';
import { parseHfRevision } from './hub.ts';
import { nextLink, ParquetListing, TreeListing } from './wire.ts';

export interface DatasetFile {
  path: string;
  size: number;
  /** sha256 for LFS files; null for files stored in git. */
  sha256: string | null;
}

export interface ParquetExportFile {
  config: string;
  split: string;
  url: string;
}

export interface ReadRowsOptions {
  columns?: string[];
  rowStart?: number;
  rowEnd?: number;
}

export type HuggingFaceDatasetsOptions = Omit<HfHttpOptions, 'endpoint'> & { endpoint?: string };

const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/');

export class HuggingFaceDatasets {
  readonly http: HfHttp;

  constructor(options: HuggingFaceDatasetsOptions = {}) {
    this.http = new HfHttp({ ...options, endpoint: options.endpoint ?? 'https://huggingface.co' });
  }

  /** Every file of the dataset at `revision` (default `main`), under `path` when given, in path order. */
  async listFiles(datasetId: string, options: { revision?: string; path?: string } = {}): Promise<DatasetFile[]> {
    parseRepoId(datasetId);
    const revision = parseHfRevision(options.revision ?? 'main');
    const under = options.path !== undefined ? `/${encodePath(parseRepoFilePath(options.path))}` : '';
    const out: DatasetFile[] = [];
    let next: string | undefined = `/api/datasets/${datasetId}/tree/${encodeURIComponent(revision)}${under}?recursive=true`;
    while (next !== undefined) {
      const { res } = await this.http.request('GET', next);
      const link = res.headers.get('link');
      const parsed = TreeListing.safeParse(await res.json().catch(() => undefined));
      if (!parsed.success) throw new StorageError('unavailable', `hugging face answered the tree of ${datasetId} with an unexpected document`);
      for (const e of parsed.data) if (e.type === 'file') out.push({ path: e.path, size: e.size ?? e.lfs?.size ?? 0, sha256: e.lfs?.oid ?? null });
      next = nextLink(link);
    }
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** The Hub's parquet export of the dataset (every config and split), whatever format it was uploaded in. */
  async parquetExport(datasetId: string): Promise<ParquetExportFile[]> {
    parseRepoId(datasetId);
    const { res } = await this.http.request('GET', `/api/datasets/${datasetId}/parquet`);
    const parsed = ParquetListing.safeParse(await res.json().catch(() => undefined));
    if (!parsed.success) throw new StorageError('unavailable', `hugging face answered the parquet export of ${datasetId} with an unexpected document`);
    const out: ParquetExportFile[] = [];
    for (const [config, splits] of Object.entries(parsed.data)) for (const [split, urls] of Object.entries(splits)) for (const url of urls) out.push({ config, split, url });
    return out;
  }

  resolveUrl(datasetId: string, path: string, revision = 'main'): string {
    parseRepoId(datasetId);
    return this.http.url(`/datasets/${datasetId}/resolve/${encodeURIComponent(parseHfRevision(revision))}/${encodePath(parseRepoFilePath(path))}`);
  }

  /**
   * A hyparquet `AsyncBuffer` over a file on the Hub: its size from `size` (from `listFiles`) or a HEAD, each
   * slice one range request, with the Hub's retries and typed errors.
   */
  async asyncBuffer(url: string, size?: number): Promise<AsyncBuffer> {
    let byteLength = size;
    if (byteLength === undefined) {
      const { res, redirectHeaders } = await this.http.request('HEAD', url);
      const length = redirectHeaders?.get('x-linked-size') ?? res.headers.get('content-length');
      byteLength = Number(length);
      if (length === null || !Number.isSafeInteger(byteLength)) throw new StorageError('unavailable', `${url}: the Hub did not say how large the file is`);
    }
    const total = byteLength;
    return {
      byteLength: total,
      slice: async (start: number, end?: number): Promise<ArrayBuffer> => {
        const last = (end ?? total) - 1;
        if (last < start) return new ArrayBuffer(0);
        const { res } = await this.http.request('GET', url, { headers: { range: `bytes=${start}-${last}` } });
        const bytes = await res.arrayBuffer();
        // A server that ignores Range answers 200 with everything: cut the slice out of it.
        if (res.status === 200 && bytes.byteLength === total) return bytes.slice(start, last + 1);
        if (bytes.byteLength !== last - start + 1) throw new StorageError('corrupt', `${url}: asked for bytes ${start}-${last}, received ${bytes.byteLength}`);
        return bytes;
      },
    };
  }

  /** Rows of one parquet file, as objects keyed by column name. */
  async readParquet(source: { datasetId: string; path: string; revision?: string; size?: number } | { url: string; size?: number }, options: ReadRowsOptions = {}): Promise<Record<string, unknown>[]> {
    const url = 'url' in source ? source.url : this.resolveUrl(source.datasetId, source.path, source.revision);
    const file = await this.asyncBuffer(url, source.size);
    const { parquetReadObjects } = await import('hyparquet');
    try {
      return await parquetReadObjects({
        file,
        ...(options.columns ? { columns: options.columns } : {}),
        ...(options.rowStart !== undefined ? { rowStart: options.rowStart } : {}),
        ...(options.rowEnd !== undefined ? { rowEnd: options.rowEnd } : {}),
      });
    } catch (err) {
      if (err instanceof StorageError) throw err;
      throw new StorageError('invalid', `${url} is not a parquet file hyparquet can read: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * All rows of a dataset, as `load_dataset(id)` with every split concatenated: the repository's own `.parquet`
   * files when it has any, else the Hub's parquet export (of `config`, default the first).
   */
  async loadRows(datasetId: string, options: { config?: string; split?: string; revision?: string; columns?: string[] } = {}): Promise<Record<string, unknown>[]> {
    const own = (await this.listFiles(datasetId, options.revision !== undefined ? { revision: options.revision } : {})).filter(
      (f) => f.path.endsWith('.parquet') && (options.split === undefined || f.path.split('/').some((seg) => seg === options.split || seg.startsWith(`${options.split}-`))),
    );
    const columns = options.columns ? { columns: options.columns } : {};
    const rows: Record<string, unknown>[] = [];
    if (own.length > 0) {
      for (const f of own) rows.push(...(await this.readParquet({ datasetId, path: f.path, size: f.size, ...(options.revision !== undefined ? { revision: options.revision } : {}) }, columns)));
      return rows;
    }
    const exported = await this.parquetExport(datasetId);
    const config = options.config ?? exported[0]?.config;
    const chosen = exported.filter((e) => e.config === config && (options.split === undefined || e.split === options.split));
    if (chosen.length === 0) throw new StorageError('not_found', `dataset ${datasetId} has no parquet files${options.split !== undefined ? ` for split ${options.split}` : ''}`);
    for (const e of chosen) rows.push(...(await this.readParquet({ url: e.url }, columns)));
    return rows;
  }
}
