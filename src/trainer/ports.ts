/**
 * What the trainer needs from outside: a model hub to read base models from and publish outputs to, and a way to
 * fetch a dataset URL. The storage area's hub (local or over HTTP) and a Hugging Face client satisfy `TrainerHub`;
 * so does the miner's in-memory hub (`src/miner/memory-hub.ts`), which the tests use.
 */

export interface HubFile {
  /** Relative "/"-separated path inside the repository. */
  path: string;
  bytes: Uint8Array;
}

export interface TrainerHub {
  /** Every file of the current revision; null when the repo does not exist. */
  snapshot(repoId: string): Promise<HubFile[] | null>;
  /** Creates the repo when missing and makes `files` its whole new revision. */
  upload(repoId: string, files: readonly HubFile[], options?: { commitMessage?: string }): Promise<{ revision: string }>;
  /** Makes a repo public (the original's uploader creates public repos); hubs without visibility omit it. */
  setPublic?(repoId: string): Promise<void>;
}

/** Fetches `url` to `target` (http(s) only), refusing more than `maxBytes`; returns the bytes written. */
export type DatasetFetcher = (url: string, target: string, options: { maxBytes: number; timeoutMs: number }) => Promise<number>;
