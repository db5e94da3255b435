/**
 * Container jobs on one Docker host through the Engine API client the trainer uses (src/trainer/docker/engine.ts):
 * inputs into a per-run host folder mounted read-only, create, start, follow logs, wait under a deadline (kill
 * past it), read the output file back with the archive API as the original does, then remove the container and
 * the folder. Unlike the original there is no host-wide prune: only what this run created is removed.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { DockerApiError, type DockerEngine } from '../trainer/docker/engine.ts';
import { LineSplitter } from '../trainer/executor.ts';
import type { Fetcher } from '../validator/ports.ts';
import { LogTail, type ContainerBackend, type ContainerJobSpec, type ContainerRunResult, type RunOptions } from './backend.ts';
import { dockerCreateBody, type DockerJobPolicy } from './docker-requests.ts';
import { ContainerAbortedError, ContainerStartError, ContainerTimeoutError, MalformedResultsError } from './errors.ts';
import { materializeInputs } from './inputs.ts';
import { readTar } from './tar.ts';

export interface DockerBackendOptions {
  engine: DockerEngine;
  fetch: Fetcher;
  policy: DockerJobPolicy;
  /** Host folder bound to every cache dir of a job (the original: `~/.cache/huggingface/hub`). */
  cacheHostDir: string;
  /** Where per-run input folders are made (default: the OS temp folder). */
  workRoot?: string;
  /** `missing` pulls an image the host lacks (docker-py's run does the same); `never` fails instead. */
  pull: 'missing' | 'never';
  startTimeoutMs?: number;
  maxLineChars?: number;
}

export class DockerContainerBackend implements ContainerBackend {
  readonly kind = 'docker' as const;
  constructor(private readonly options: DockerBackendOptions) {}

  async run(spec: ContainerJobSpec, opts: RunOptions = {}): Promise<ContainerRunResult> {
    if (opts.signal?.aborted) throw new ContainerAbortedError();
    const work = await mkdtemp(join(this.options.workRoot ?? tmpdir(), `${spec.name}-`));
    let id: string | null = null;
    try {
      const inputDir = join(work, 'input');
      await materializeInputs(spec.inputs, inputDir, this.options.fetch);
      const writable = new Map<string, string>();
      for (const [i, dir] of spec.writableDirs.entries()) {
        const host = join(work, `w${i}`);
        await mkdir(host, { recursive: true });
        writable.set(dir, host);
      }
      await mkdir(this.options.cacheHostDir, { recursive: true });
      const body = dockerCreateBody(spec, { inputDir, cacheDir: this.options.cacheHostDir, writable }, this.options.policy);
      const engine = this.options.engine;
      try {
        if (!(await engine.imageExists(spec.image))) {
          if (this.options.pull === 'never') throw new ContainerStartError(`image ${spec.image} is not on this Docker host (pull is off)`);
          await engine.pullImage(spec.image, opts.signal);
        }
        id = await engine.createContainer(spec.name, body);
        await engine.start(id, this.options.startTimeoutMs ?? 120_000);
      } catch (err) {
        if (err instanceof ContainerStartError) throw err;
        throw new ContainerStartError(`could not start ${spec.image}: ${(err as Error).message}`);
      }
      return await this.follow(id, spec, opts);
    } finally {
      if (id) {
        await this.options.engine.kill(id).catch(() => undefined);
        await this.options.engine.remove(id).catch(() => undefined);
      }
      await rm(work, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  private async follow(id: string, spec: ContainerJobSpec, opts: RunOptions): Promise<ContainerRunResult> {
    const engine = this.options.engine;
    const tail = new LogTail();
    const onLine = (line: string) => {
      tail.push(line);
      opts.onLine?.(line);
    };
    const maxChars = this.options.maxLineChars ?? 4000;
    const streams = { stdout: new LineSplitter(maxChars, onLine), stderr: new LineSplitter(maxChars, onLine) };
    const stopLogs = new AbortController();
    const logsDone = engine.logs(id, (s, data) => streams[s].push(data), stopLogs.signal).catch(() => undefined);
    let verdict: 'timeout' | 'aborted' | null = null;
    const kill = (why: 'timeout' | 'aborted') => {
      verdict ??= why;
      void engine.kill(id).catch(() => undefined);
    };
    const timer = setTimeout(() => kill('timeout'), spec.timeoutMs);
    const onAbort = () => kill('aborted');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const waitAbort = new AbortController();
    let exitCode: number;
    try {
      exitCode = (await engine.wait(id, waitAbort.signal)).StatusCode;
    } catch (err) {
      throw new ContainerStartError(`waiting for the container failed: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      // Let the log stream deliver its tail, then close it.
      await Promise.race([logsDone, new Promise((r) => setTimeout(r, 2000))]);
      stopLogs.abort();
      streams.stdout.end();
      streams.stderr.end();
    }
    if (verdict === 'timeout') throw new ContainerTimeoutError(spec.timeoutMs, tail.lines);
    if (verdict === 'aborted') throw new ContainerAbortedError();
    let output: Buffer | null = null;
    if (exitCode === 0 && spec.outputPath) output = await this.readFile(id, spec.outputPath, tail.lines);
    return { exitCode, output, logTail: tail.lines };
  }

  /** The archive API answers with a tar of the path; the file is the entry whose name ends with its base name. */
  private async readFile(id: string, path: string, logTail: readonly string[]): Promise<Buffer | null> {
    let tar: Buffer | null;
    try {
      tar = await this.options.engine.getArchive(id, path);
    } catch (err) {
      if (err instanceof DockerApiError) throw new MalformedResultsError(`could not read ${path}: ${err.message}`, logTail);
      throw err;
    }
    if (tar === null) return null;
    try {
      const entry = readTar(tar).find((e) => e.type === 'file' && basename(e.name) === basename(path));
      return entry ? entry.data : null;
    } catch (err) {
      throw new MalformedResultsError(`archive of ${path}: ${(err as Error).message}`, logTail);
    }
  }
}
