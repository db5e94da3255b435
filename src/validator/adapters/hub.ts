/** src/storage's ModelHub (local hub over HTTP, or Hugging Face) as the validator's narrower port. */
import type { ModelHub as StorageModelHub } from '../../storage/hub/types.ts';
import type { ModelHub, RepoInfo } from '../ports.ts';

export class StorageHubAdapter implements ModelHub {
  constructor(private readonly hub: Pick<StorageModelHub, 'repoInfo'>) {}

  /** Null when the repo is missing or the hub cannot be reached: the duplicate rule then has no upload time. */
  async repoInfo(repo: string): Promise<RepoInfo | null> {
    try {
      const info = await this.hub.repoInfo(repo);
      const at = Date.parse(info.lastModified);
      return { lastModified: Number.isFinite(at) ? new Date(at) : null };
    } catch {
      return null;
    }
  }
}
