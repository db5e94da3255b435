/**
 * What may name a blob, a repository, a file inside a repository and a revision. Every name that reaches the
 * filesystem is validated here first, and resolved paths are checked again (`resolveInside`), so a traversal
 * needs two independent mistakes.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { z } from 'zod';
import { StorageError } from './errors.ts';

/** Each segment starts with a letter, digit or `_`, so `.`, `..` and hidden names cannot be spelt. */
const BLOB_SEGMENT = '[A-Za-z0-9_][A-Za-z0-9._=+-]{0,127}';
export const BLOB_KEY_MAX = 512;

export const BlobKey = z
  .string()
  .max(BLOB_KEY_MAX)
  .regex(new RegExp(`^${BLOB_SEGMENT}(?:/${BLOB_SEGMENT})*$`), 'a blob key is "/"-separated segments of [A-Za-z0-9._=+-] starting with a letter, digit or _');

/** A prefix for `list` only filters keys (it never becomes a path), so any run of key characters will do. */
export const BlobPrefix = z.string().max(BLOB_KEY_MAX).regex(/^[A-Za-z0-9_.=+/-]*$/, 'a prefix is made of blob-key characters');

/**
 * Hugging Face's repo id rule (huggingface_hub `validate_repo_id`), restricted to ASCII and with the owner
 * required: `owner/name`, each part 1–96 of `[A-Za-z0-9_.-]`, starting and ending with a letter, digit or `_`,
 * no `--` or `..`, not ending in `.git`.
 */
const REPO_PART = '[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9_])?';
export const RepoName = z
  .string()
  .regex(new RegExp(`^${REPO_PART}$`), 'a repository name is 1–96 of [A-Za-z0-9_.-], starting and ending with a letter, digit or _')
  .refine((s) => !s.includes('--') && !s.includes('..'), 'a repository name cannot contain "--" or ".."')
  .refine((s) => !s.endsWith('.git'), 'a repository name cannot end in ".git"');

export const RepoId = z
  .string()
  .max(193)
  .regex(new RegExp(`^${REPO_PART}/${REPO_PART}$`), 'a repository id is "owner/name", each 1–96 of [A-Za-z0-9_.-] starting and ending with a letter, digit or _')
  .refine((s) => !s.includes('--') && !s.includes('..'), 'a repository id cannot contain "--" or ".."')
  .refine((s) => !s.endsWith('.git'), 'a repository id cannot end in ".git"');

/** A file inside a repository: relative, "/"-separated, no empty, `.` or `..` segments, no `.git` directory. */
const FILE_SEGMENT = '[A-Za-z0-9_.,=+@~-]{1,255}';
export const RepoFilePath = z
  .string()
  .max(1024)
  .regex(new RegExp(`^${FILE_SEGMENT}(?:/${FILE_SEGMENT})*$`), 'a file path is "/"-separated segments of [A-Za-z0-9_.,=+@~-]')
  .refine((p) => p.split('/').every((s) => s !== '.' && s !== '..'), 'a file path cannot contain "." or ".." segments')
  .refine((p) => p.split('/')[0] !== '.git', 'a file path cannot be inside .git');

export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 is 64 lowercase hex digits');

/** `main` (the only branch) or a full revision sha. */
export const Revision = z.union([z.literal('main'), Sha256Hex]);

function parse<T>(schema: z.ZodType<T>, what: string, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const msg = result.error.issues.map((i) => i.message).join('; ');
  throw new StorageError('invalid', `${what} ${JSON.stringify(value)}: ${msg}`);
}

export const parseBlobKey = (key: unknown): string => parse(BlobKey, 'blob key', key);
export const parseRepoId = (repoId: unknown): string => parse(RepoId, 'repository id', repoId);
export const parseRepoFilePath = (path: unknown): string => parse(RepoFilePath, 'file path', path);
export const parseRevision = (revision: unknown): string => parse(Revision, 'revision', revision);

export function splitRepoId(repoId: string): { owner: string; name: string } {
  const [owner, name] = parseRepoId(repoId).split('/') as [string, string];
  return { owner, name };
}

/**
 * `root/rel`, refusing anything that would land outside `root` (absolute paths, `..`, anything the
 * name checks above might have missed).
 */
export function resolveInside(root: string, rel: string): string {
  if (rel.includes('\0')) throw new StorageError('invalid', `path ${JSON.stringify(rel)} contains a NUL byte`);
  if (isAbsolute(rel)) throw new StorageError('invalid', `path ${JSON.stringify(rel)} is absolute`);
  const base = resolve(root);
  const full = resolve(base, rel);
  const back = relative(base, full);
  if (back === '' || back.startsWith(`..${sep}`) || back === '..' || isAbsolute(back)) {
    throw new StorageError('invalid', `path ${JSON.stringify(rel)} leaves ${base}`);
  }
  return full;
}

/** An owner namespace follows the same rule as a repository name. */
export const RepoOwner = RepoName;
export const parseRepoOwner = (owner: unknown): string => parse(RepoOwner, 'owner', owner);
