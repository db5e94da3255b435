/**
 * The miners' hub port (`MinerModelHub`) over src/storage's model hub, so devnet miners upload to the same local
 * hub the validator reads upload times from and the evaluator downloads. Written here because src/storage does not
 * (yet) ship this adapter.
 */
import type { HubFile, MinerModelHub } from '../miner/ports.ts';
import type { ModelHub } from '../storage/hub/types.ts';

export class StorageMinerHub implements MinerModelHub {
  constructor(private readonly hub: ModelHub) {}

  async upload(repoId: string, files: readonly HubFile[]): Promise<{ revision: string }> {
    await this.hub.createRepo(repoId, { existOk: true });
    const rev = await this.hub.upload(repoId, files.map((f) => ({ path: f.path, bytes: f.bytes })), { message: 'Upload trained model', mode: 'replace' });
    return { revision: rev.sha };
  }

  async snapshot(repoId: string): Promise<HubFile[] | null> {
    if (!(await this.hub.exists(repoId))) return null;
    const info = await this.hub.repoInfo(repoId);
    const out: HubFile[] = [];
    for (const f of info.files) out.push({ path: f.path, bytes: await this.hub.getFile(repoId, f.path, { revision: info.sha }) });
    return out;
  }
}
