/**
 * Documents of the Hugging Face Hub HTTP API that the shared hub wire (`hub/wire.ts`: model info, commit list,
 * NDJSON commit lines, commit answer) does not already cover: preupload, the git-LFS batch API, the repository
 * tree, dataset info and the parquet export listing. Field names are the Hub's; unknown fields are ignored.
 */
import { z } from 'zod';

/** `POST /api/{type}s/{id}/preupload/{rev}` body: which files will be committed (first 512 bytes as `sample`). */
export interface PreuploadRequest {
  files: { path: string; sample: string; size: number }[];
}
export const PreuploadResponse = z.object({
  files: z.array(z.object({ path: z.string(), uploadMode: z.enum(['lfs', 'regular']), shouldIgnore: z.boolean().optional() })),
});

/** `POST /{id}.git/info/lfs/objects/batch` (git-lfs batch API, `application/vnd.git-lfs+json`). */
export interface LfsBatchRequest {
  operation: 'upload';
  transfers: string[];
  objects: { oid: string; size: number }[];
  hash_algo: 'sha256';
  ref?: { name: string };
}
const LfsAction = z.object({ href: z.string(), header: z.record(z.string(), z.string()).optional() });
export const LfsBatchResponse = z.object({
  transfer: z.string().optional(),
  objects: z.array(
    z.object({
      oid: z.string(),
      size: z.number().int().nonnegative(),
      actions: z.object({ upload: LfsAction.optional(), verify: LfsAction.optional() }).optional(),
      error: z.object({ code: z.number(), message: z.string() }).optional(),
    }),
  ),
});

/** `POST /api/repos/create` answer (`name`/`id` are not always there). */
export const HfCreateRepoResponse = z.object({ url: z.string() });

/** `GET /api/{type}s/{id}/tree/{rev}[/{path}]?recursive=true`, paginated by `Link: <…>; rel="next"`. */
export const TreeEntry = z.object({
  type: z.enum(['file', 'directory']),
  path: z.string(),
  oid: z.string().optional(),
  size: z.number().int().nonnegative().optional(),
  lfs: z.object({ oid: z.string(), size: z.number().int().nonnegative() }).optional(),
});
export const TreeListing = z.array(TreeEntry);

/** `GET /api/datasets/{id}/parquet`: config → split → URLs of the Hub's parquet export. */
export const ParquetListing = z.record(z.string(), z.record(z.string(), z.array(z.string())));

/** `Link: <url>; rel="next"` → url. */
export function nextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (m) return m[1];
  }
  return undefined;
}
