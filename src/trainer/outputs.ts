/**
 * Collecting a finished job's output folder and publishing it under the original's naming: hub repo
 * `<namespace>/<expected_repo_name>`, image outputs inside `checkpoints/`, commit message
 * `Upload task output <task_id>`. The folder was written by untrusted code, so it is read as data: regular files
 * only (a symlink could point the trainer, which reads as root, at a secret), no hard links, bounded count and size,
 * names the hub accepts. Publishing replaces the repo's content, so a retried job never merges with stale files
 * (the original's `upload_folder` merges — tournament.md §10).
 */
import { constants } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { RepoFilePath } from '../storage/names.ts';
import type { HubFile, TrainerHub } from './ports.ts';

export class OutputError extends Error {
  override name = 'OutputError';
}

export interface OutputLimits {
  maxBytes: number;
  maxFiles: number;
}

export async function collectOutputs(dir: string, limits: OutputLimits): Promise<HubFile[]> {
  const files: HubFile[] = [];
  let total = 0;
  try {
    const st = await lstat(dir);
    if (!st.isDirectory()) throw new OutputError('the output path is not a folder');
  } catch (error) {
    if (error instanceof OutputError) throw error;
    throw new OutputError('the job wrote no output folder');
  }
  const walk = async (abs: string, rel: string): Promise<void> => {
    for (const entry of await readdir(abs, { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      const full = join(abs, entry.name);
      if (entry.isDirectory()) {
        await walk(full, path);
        continue;
      }
      if (!entry.isFile()) throw new OutputError(`output ${JSON.stringify(path)} is not a regular file`);
      if (!RepoFilePath.safeParse(path).success) throw new OutputError(`output ${JSON.stringify(path)} has a name the hub does not accept`);
      if (files.length >= limits.maxFiles) throw new OutputError(`more than ${limits.maxFiles} output files`);
      // O_NOFOLLOW closes the race between the listing and the open.
      const handle = await open(full, constants.O_RDONLY | constants.O_NOFOLLOW);
      try {
        const st = await handle.stat();
        if (!st.isFile() || st.nlink > 1) throw new OutputError(`output ${JSON.stringify(path)} is a hard link or not a regular file`);
        total += st.size;
        if (total > limits.maxBytes) throw new OutputError(`outputs exceed ${limits.maxBytes} bytes`);
        files.push({ path, bytes: new Uint8Array(await handle.readFile()) });
      } finally {
        await handle.close();
      }
    }
  };
  await walk(dir, '');
  if (files.length === 0) throw new OutputError('the output folder is empty');
  return files;
}

export interface PublishTarget {
  namespace: string;
  expectedRepoName: string;
  taskId: string;
  isImage: boolean;
}

export function hubRepoId(target: Pick<PublishTarget, 'namespace' | 'expectedRepoName'>): string {
  return `${target.namespace}/${target.expectedRepoName}`;
}

export async function publishOutputs(hub: TrainerHub, files: readonly HubFile[], target: PublishTarget): Promise<{ repoId: string; revision: string }> {
  const repoId = hubRepoId(target);
  const placed = target.isImage ? files.map((f) => ({ path: `checkpoints/${f.path}`, bytes: f.bytes })) : files;
  const { revision } = await hub.upload(repoId, placed, { commitMessage: `Upload task output ${target.taskId}` });
  await hub.setPublic?.(repoId);
  return { repoId, revision };
}
