import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { parseRepoFilePath } from '../names.ts';
import type { UploadFile } from './types.ts';

/**
 * Every regular file under `dir` as upload entries (paths relative, "/"-separated, sorted). Symlinks are not
 * followed, so a model directory cannot smuggle in a file from elsewhere.
 */
export async function filesFromDir(dir: string): Promise<UploadFile[]> {
  const out: UploadFile[] = [];
  const walk = async (current: string): Promise<void> => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const full = join(current, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) {
        const path = relative(dir, full).split(sep).join('/');
        out.push({ path: parseRepoFilePath(path), bytes: new Uint8Array(await readFile(full)) });
      }
    }
  };
  await walk(dir);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
