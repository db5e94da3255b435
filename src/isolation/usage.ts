/**
 * Disk usage of a folder the job writes to, measured without following links, so an output limit can be enforced
 * while the job runs (poll and kill), on top of RLIMIT_FSIZE which bounds a single file between polls.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface Usage {
  bytes: number;
  entries: number;
  /** True when the walk stopped early because `maxEntries` was passed (the folder is over the limit anyway). */
  truncated: boolean;
}

/**
 * Bytes of a tree: per entry the larger of its allocation (st_blocks × 512) and, for files, its apparent size, so
 * neither a sparse file (cheap on disk, huge to upload) nor many small files slip under the limit.
 */
export async function folderUsage(root: string, maxEntries = 100_000): Promise<Usage> {
  let bytes = 0;
  let entries = 0;
  const stack = [root];
  while (stack.length) {
    const dir = stack.pop()!;
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      entries++;
      if (entries > maxEntries) return { bytes, entries, truncated: true };
      const path = join(dir, name);
      try {
        const st = await lstat(path);
        bytes += Math.max(st.blocks * 512, st.isFile() ? st.size : 0);
        if (st.isDirectory()) stack.push(path);
      } catch {
        // removed while walking
      }
    }
  }
  return { bytes, entries, truncated: false };
}
