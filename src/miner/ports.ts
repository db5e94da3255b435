/**
 * What the miner needs from the outside world, as small interfaces: the model hub it uploads to and reads
 * snapshots from (for the model hash). The storage area's local hub and a Hugging Face client can both satisfy
 * `MinerModelHub`; `MemoryModelHub` (memory-hub.ts) is the in-process one used by tests and the devnet.
 */
import type { SnapshotFile } from './model-hash.ts';

export type HubFile = SnapshotFile;

export interface MinerModelHub {
  /** Creates the repo when missing and makes `files` its new current revision (the whole content). */
  upload(repoId: string, files: readonly HubFile[]): Promise<{ revision: string }>;
  /**
   * The current revision's files (what `snapshot_download` fetches); null when the repo does not exist. A hub may
   * leave out files `calculate_model_hash` ignores (the Hugging Face client does, to avoid downloading them).
   */
  snapshot(repoId: string): Promise<HubFile[] | null>;
  /** Makes a repo public; hubs without visibility ignore it. */
  setPublic?(repoId: string): Promise<void>;
}
