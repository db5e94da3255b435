/**
 * The hub's HTTP shapes, named as the Hugging Face Hub API names them (camelCase there, unlike the original's
 * snake_case wire), so the HTTP client here and the Hugging Face adapter parse the same documents. Fields we
 * add are marked; Hugging Face ignores unknown fields and so do we.
 */
import { z } from 'zod';

export const RESERVED_OWNERS: readonly string[] = ['api', 'blobs'];

export const Sibling = z.object({
  rfilename: z.string(),
  size: z.number().int().nonnegative().optional(),
  blobId: z.string().optional(),
  lfs: z.object({ sha256: z.string(), size: z.number().int().nonnegative() }).optional(),
});

/** `GET /api/models/{owner}/{name}` (and `/revision/{rev}`). */
export const ModelInfoWire = z.object({
  _id: z.string().optional(),
  id: z.string(),
  modelId: z.string().optional(),
  author: z.string().optional(),
  sha: z.string(),
  lastModified: z.string(),
  createdAt: z.string().optional(),
  private: z.boolean().optional(),
  disabled: z.boolean().optional(),
  gated: z.union([z.boolean(), z.string()]).optional(),
  downloads: z.number().optional(),
  likes: z.number().optional(),
  tags: z.array(z.string()).optional(),
  siblings: z.array(Sibling).optional(),
});
export type ModelInfoWire = z.infer<typeof ModelInfoWire>;

/** `GET /api/models/{owner}/{name}/commits/{rev}`, newest first. `parents` is ours. */
export const CommitWire = z.object({
  id: z.string(),
  title: z.string(),
  message: z.string(),
  date: z.string(),
  authors: z.array(z.object({ user: z.string() })).optional(),
  parents: z.array(z.string()).optional(),
});
export const CommitListWire = z.array(CommitWire);

/** `POST /api/repos/create`. Hugging Face takes the namespace in `organization` (or, older, in `name`). */
export const CreateRepoBody = z.object({
  name: z.string(),
  organization: z.string().optional(),
  type: z.literal('model').optional(),
  private: z.boolean().optional(),
});
export const CreateRepoResponse = z.object({ url: z.string(), name: z.string() });

/** One line of `POST /api/models/{owner}/{name}/commit/main` (`application/x-ndjson`), as Hugging Face's. */
export const CommitLine = z.discriminatedUnion('key', [
  z.object({
    key: z.literal('header'),
    value: z.object({ summary: z.string(), description: z.string().optional(), parentCommit: z.string().optional() }),
  }),
  z.object({ key: z.literal('file'), value: z.object({ path: z.string(), content: z.string(), encoding: z.literal('base64') }) }),
  z.object({
    key: z.literal('lfsFile'),
    value: z.object({ path: z.string(), algo: z.literal('sha256'), oid: z.string(), size: z.number().int().nonnegative().optional() }),
  }),
  z.object({ key: z.literal('deletedFile'), value: z.object({ path: z.string() }) }),
]);
export type CommitLine = z.infer<typeof CommitLine>;

/** The commit answer: Hugging Face's fields, plus `parentCommit` and `date` (ours) so a client needs no second call. */
export const CommitResponse = z.object({
  success: z.boolean(),
  commitOid: z.string(),
  commitUrl: z.string(),
  commitMessage: z.string().optional(),
  hookOutput: z.string().optional(),
  pullRequestUrl: z.string().nullable().optional(),
  parentCommit: z.string().nullable().optional(),
  date: z.string().optional(),
});

/** `PUT /api/models/{owner}/{name}/objects/{sha256}` (ours: Hugging Face uploads large files through LFS). */
export const ObjectResponse = z.object({ sha256: z.string(), size: z.number().int().nonnegative() });
