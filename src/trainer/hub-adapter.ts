/**
 * The storage area's `ModelHub` (local hub directory, or a hub server over HTTP) as the trainer's hub port. Outputs
 * are published with `mode: 'replace'`, so the new revision holds exactly this job's files (the reference's
 * `upload_folder` merges into whatever a previous attempt left).
 */
import type { ModelHub } from '../storage/hub/types.ts';
import type { HubFile, TrainerHub } from './ports.ts';

export function trainerHubFrom(hub: ModelHub): TrainerHub {
  return {
    async snapshot(repoId: string): Promise<HubFile[] | null> {
      if (!(await hub.exists(repoId))) return null;
      const info = await hub.repoInfo(repoId);
      const files: HubFile[] = [];
      for (const f of info.files) files.push({ path: f.path, bytes: await hub.getFile(repoId, f.path, { revision: info.sha }) });
      return files;
    },
    async upload(repoId: string, files: readonly HubFile[], options?: { commitMessage?: string }): Promise<{ revision: string }> {
      await hub.createRepo(repoId, { existOk: true });
      const summary = await hub.upload(repoId, files, { message: options?.commitMessage ?? 'Upload task output', mode: 'replace' });
      return { revision: summary.sha };
    },
  };
}
