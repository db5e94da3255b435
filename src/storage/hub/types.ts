/**
 * Model repositories, as the original uses Hugging Face: miners create a repo and upload their output; the
 * validator reads the repo's info (its upload timestamp decides duplicates, its files feed the model hash) and
 * the evaluator downloads it. The local hub, its HTTP client and the Hugging Face adapter implement this.
 */

export interface RepoFile {
  /** Relative path inside the repository (`RepoFilePath`). */
  path: string;
  size: number;
  /** Hex sha256; null where the backend does not know it without downloading (Hugging Face non-LFS files). */
  sha256: string | null;
}

export interface RepoInfo {
  /** `owner/name`. */
  id: string;
  /** The revision described: the head of `main`, or the one asked for. */
  sha: string;
  /**
   * ISO-8601 time at which that revision was uploaded. Reading, downloading or hashing never changes it; only a
   * new upload does. This is Hugging Face's `lastModified`, which the duplicate rule compares.
   */
  lastModified: string;
  /** ISO-8601 time the repository was created. */
  createdAt: string;
  /** In path order. */
  files: RepoFile[];
}

export interface RevisionSummary {
  sha: string;
  /** The previous revision; null for the repository's first. */
  parent: string | null;
  message: string;
  /** ISO-8601 upload time. */
  date: string;
}

export interface UploadFile {
  path: string;
  bytes: Uint8Array;
}

export interface UploadOptions {
  /** The commit message (Hugging Face's `commit_message`). */
  message: string;
  /**
   * Optimistic concurrency: the upload fails with `conflict` unless `main` is still at this revision
   * (Hugging Face's `parent_commit`).
   */
  parentRevision?: string;
  /** Paths removed from the tree in the same revision. */
  deletePaths?: readonly string[];
  /**
   * `merge` (default, as `upload_folder`): the given files are added to or replace those of the parent;
   * `replace`: the new tree is exactly the given files.
   */
  mode?: 'merge' | 'replace';
}

export interface RevisionOptions {
  /** `main` (default) or a revision sha. */
  revision?: string;
}

export interface DownloadResult {
  sha: string;
  /** Absolute paths written, in path order. */
  files: string[];
}

export interface ModelHub {
  /** Creates an empty repository; with `existOk` an existing one is not an error. */
  createRepo(repoId: string, options?: { existOk?: boolean }): Promise<{ repoId: string; created: boolean }>;
  exists(repoId: string): Promise<boolean>;
  /** Adds a revision to `main` and returns it. The repository must exist. */
  upload(repoId: string, files: readonly UploadFile[], options: UploadOptions): Promise<RevisionSummary>;
  repoInfo(repoId: string, options?: RevisionOptions): Promise<RepoInfo>;
  /** Revisions of `main`, newest first. */
  listRevisions(repoId: string): Promise<RevisionSummary[]>;
  getFile(repoId: string, path: string, options?: RevisionOptions): Promise<Uint8Array>;
  /** Writes every file of the revision under `destDir` (verified against its sha256 where known). */
  download(repoId: string, options: RevisionOptions, destDir: string): Promise<DownloadResult>;
}
