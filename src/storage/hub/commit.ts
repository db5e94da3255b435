/**
 * Revision identity and tree arithmetic, as plain functions. A revision's sha is
 *
 *   sha256( "parent " + (parent ?? "") + "\n" + for each file in path order: sha256 + " " + path + "\n" )
 *
 * so it names the exact tree and its history: the same files uploaded on another parent get another sha, and a
 * renamed file changes it. It is not a git commit id (Hugging Face's are 40-hex git shas), which nothing here
 * relies on.
 */
import { StorageError } from '../errors.ts';
import { sha256Hex } from '../fsutil.ts';
import { parseRepoFilePath } from '../names.ts';
import type { RepoFile } from './types.ts';

export interface TreeEntry {
  path: string;
  size: number;
  sha256: string;
}

export function byPath(a: { path: string }, b: { path: string }): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

export function revisionSha(parent: string | null, files: readonly TreeEntry[]): string {
  const lines = [...files].sort(byPath).map((f) => `${f.sha256} ${f.path}\n`);
  return sha256Hex(`parent ${parent ?? ''}\n${lines.join('')}`);
}

/**
 * The tree of a new revision: the parent's (unless `replace`), minus `deletePaths`, plus `added`. Paths are
 * validated, duplicates among the added files refused, and a path cannot be both a file and a directory
 * (`a` and `a/b`), which no filesystem could check out.
 */
export function nextTree(
  parent: readonly TreeEntry[],
  added: readonly TreeEntry[],
  options: { mode?: 'merge' | 'replace'; deletePaths?: readonly string[] } = {},
): TreeEntry[] {
  const tree = new Map<string, TreeEntry>();
  if (options.mode !== 'replace') for (const f of parent) tree.set(f.path, f);
  for (const path of options.deletePaths ?? []) {
    parseRepoFilePath(path);
    if (!tree.delete(path)) throw new StorageError('invalid', `cannot delete ${path}: not in the repository`);
  }
  const seen = new Set<string>();
  for (const f of added) {
    parseRepoFilePath(f.path);
    if (seen.has(f.path)) throw new StorageError('invalid', `file ${f.path} is given twice`);
    seen.add(f.path);
    tree.set(f.path, f);
  }
  const files = [...tree.values()].sort(byPath);
  const paths = new Set(files.map((f) => f.path));
  for (const f of files) {
    const parts = f.path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (paths.has(dir)) throw new StorageError('invalid', `${dir} cannot be both a file and the directory of ${f.path}`);
    }
  }
  return files;
}

export function toRepoFiles(tree: readonly TreeEntry[]): RepoFile[] {
  return tree.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 }));
}
