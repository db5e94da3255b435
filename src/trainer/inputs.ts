/**
 * Inputs of a job, fetched by the trainer before the run (the original's downloader container), so the training
 * itself needs no network. They land in a shared cache (one copy per model or dataset, owner-only) and each job gets
 * its own read-only view holding just its model and its dataset, as hard links (copies across filesystems).
 */
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, link, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isImageTrainRequest, type TrainRequest } from '../core/models/payloads.ts';
import { RepoFilePath } from '../storage/names.ts';
import { KeyedMutex } from '../storage/mutex.ts';
import { cacheLayout } from './args.ts';
import type { DatasetFetcher, TrainerHub } from './ports.ts';
import { modelFolderName } from './validate.ts';

export class InputError extends Error {
  override name = 'InputError';
}

export interface InputLimits {
  maxDatasetBytes: number;
  maxModelBytes: number;
  downloadTimeoutMs: number;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Hard link, or a copy where linking is impossible (another filesystem). */
export async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK') throw error;
    await copyFile(from, to);
  }
  await chmod(to, 0o444);
}

async function linkTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true, mode: 0o755 });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const src = join(from, entry.name);
    const dst = join(to, entry.name);
    if (entry.isDirectory()) await linkTree(src, dst);
    else if (entry.isFile()) await linkOrCopy(src, dst);
  }
}

export class InputCache {
  private readonly locks = new KeyedMutex();

  /** `root` is the shared cache (mode 0700: a job cannot browse other jobs' inputs). */
  constructor(
    readonly root: string,
    private readonly hub: TrainerHub,
    private readonly fetchDataset: DatasetFetcher,
    private readonly limits: InputLimits,
  ) {}

  async init(): Promise<void> {
    await mkdir(join(this.root, 'models'), { recursive: true });
    await mkdir(join(this.root, 'datasets'), { recursive: true });
    await chmod(this.root, 0o700);
  }

  /** Downloads the model snapshot once (atomically: a temp folder renamed into place). */
  private async ensureModel(modelId: string): Promise<string> {
    const folder = modelFolderName(modelId);
    const target = join(this.root, 'models', folder);
    return this.locks.run(`model:${folder}`, async () => {
      if (await exists(target)) return target;
      const files = await this.hub.snapshot(modelId);
      if (!files || files.length === 0) throw new InputError(`model ${modelId} not found on the hub`);
      const total = files.reduce((n, f) => n + f.bytes.length, 0);
      if (total > this.limits.maxModelBytes) throw new InputError(`model ${modelId} is ${total} bytes, above ${this.limits.maxModelBytes}`);
      const tmp = `${target}.partial-${randomBytes(4).toString('hex')}`;
      try {
        for (const file of files) {
          if (!RepoFilePath.safeParse(file.path).success) throw new InputError(`model ${modelId} has an unsafe file name ${JSON.stringify(file.path)}`);
          const path = join(tmp, file.path);
          await mkdir(dirname(path), { recursive: true });
          await writeFile(path, file.bytes, { mode: 0o444 });
        }
        await rename(tmp, target);
      } catch (error) {
        await rm(tmp, { recursive: true, force: true });
        throw error;
      }
      return target;
    });
  }

  private async ensureDataset(training: TrainRequest, rel: string): Promise<string> {
    const url = isImageTrainRequest(training) ? training.dataset_zip : training.dataset;
    if (!/^https?:\/\//i.test(url)) throw new InputError('the dataset must be an http(s) URL (file_format s3)');
    const target = join(this.root, rel);
    return this.locks.run(`dataset:${rel}`, async () => {
      if (await exists(target)) return target;
      const tmp = `${target}.partial-${randomBytes(4).toString('hex')}`;
      try {
        await this.fetchDataset(url, tmp, { maxBytes: this.limits.maxDatasetBytes, timeoutMs: this.limits.downloadTimeoutMs });
        await chmod(tmp, 0o444);
        await rename(tmp, target);
      } catch (error) {
        await rm(tmp, { force: true });
        throw error instanceof InputError ? error : new InputError(`dataset download failed: ${(error as Error).message}`);
      }
      return target;
    });
  }

  /**
   * Fetches what `training` needs (if not cached) and builds the job's view under `jobCache`:
   * `models/<id-->/…`, `datasets/<task_id>_train_data.json` (or `_tourn.zip`) and an empty `hf_cache/`.
   */
  async prepare(training: TrainRequest, jobCache: string): Promise<void> {
    const layout = cacheLayout(training, modelFolderName(training.model));
    const model = await this.ensureModel(training.model);
    const dataset = await this.ensureDataset(training, layout.dataset);
    await mkdir(join(jobCache, 'datasets'), { recursive: true, mode: 0o755 });
    await mkdir(join(jobCache, 'hf_cache'), { recursive: true, mode: 0o755 });
    await linkTree(model, join(jobCache, layout.model));
    await linkOrCopy(dataset, join(jobCache, layout.dataset));
  }

  /** Deletes cached datasets of the given tasks (after the cleanup cut-off). */
  async dropDatasets(taskIds: readonly string[]): Promise<void> {
    for (const id of taskIds) {
      await rm(join(this.root, 'datasets', `${id}_train_data.json`), { force: true });
      await rm(join(this.root, 'datasets', `${id}_tourn.zip`), { force: true });
    }
  }
}
