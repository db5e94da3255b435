/**
 * An in-memory model hub: repositories with numbered revisions and upload times. Enough for tests and the
 * devnet's miners when no storage service runs; the real local hub lives in src/storage.
 */
import { createHash } from 'node:crypto';
import type { HubFile, MinerModelHub } from './ports.ts';

interface Revision {
  readonly revision: string;
  readonly files: readonly HubFile[];
  readonly uploadedAt: Date;
}

export class MemoryModelHub implements MinerModelHub {
  private readonly repos = new Map<string, Revision[]>();
  readonly publicRepos = new Set<string>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  async upload(repoId: string, files: readonly HubFile[]): Promise<{ revision: string }> {
    if (!/^[^/\s]+\/[^/\s]+$/.test(repoId)) throw new Error(`invalid repo id ${JSON.stringify(repoId)} (expected namespace/name)`);
    const h = createHash('sha256');
    for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) h.update(`${f.path}\0`).update(f.bytes);
    const revision = h.digest('hex').slice(0, 40);
    const copy = files.map((f) => ({ path: f.path, bytes: new Uint8Array(f.bytes) }));
    const list = this.repos.get(repoId) ?? [];
    list.push({ revision, files: copy, uploadedAt: this.now() });
    this.repos.set(repoId, list);
    return { revision };
  }

  async snapshot(repoId: string): Promise<HubFile[] | null> {
    const latest = this.repos.get(repoId)?.at(-1);
    return latest ? latest.files.map((f) => ({ path: f.path, bytes: new Uint8Array(f.bytes) })) : null;
  }

  async setPublic(repoId: string): Promise<void> {
    this.publicRepos.add(repoId);
  }

  /** Upload times of a repo's revisions, oldest first (the validator's duplicate rule reads the latest). */
  uploadTimes(repoId: string): Date[] {
    return (this.repos.get(repoId) ?? []).map((r) => r.uploadedAt);
  }
}
