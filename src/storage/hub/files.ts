import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { StorageError } from '../errors.ts';
import { sha256Hex, tmpName } from '../fsutil.ts';
import { parseRepoFilePath, resolveInside } from '../names.ts';
import type { DownloadResult, ModelHub, RevisionOptions, UploadFile } from './types.ts';

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

/**
 * Downloads every file of one revision of a remote hub's repository into `destDir`: the revision is read once and
 * every file is fetched pinned to its sha, so a concurrent upload cannot mix two revisions; each file is checked
 * against its sha256 and written atomically.
 */
export async function downloadRevision(hub: Pick<ModelHub, 'repoInfo' | 'getFile'>, repoId: string, options: RevisionOptions, destDir: string): Promise<DownloadResult> {
  const info = await hub.repoInfo(repoId, options);
  const written: string[] = [];
  for (const file of info.files) {
    const target = resolveInside(destDir, file.path);
    const bytes = await hub.getFile(repoId, file.path, { revision: info.sha });
    if (file.sha256 !== null && sha256Hex(bytes) !== file.sha256) throw new StorageError('corrupt', `${repoId}/${file.path} does not match its sha256`);
    await mkdir(dirname(target), { recursive: true });
    const tmp = tmpName(dirname(target));
    try {
      await writeFile(tmp, bytes);
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    written.push(target);
  }
  return { sha: info.sha, files: written };
}
