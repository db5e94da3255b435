/**
 * Production executor: builds the miner's Dockerfile and runs the container through the Docker Engine API (see
 * requests.ts for what the container gets). The build has a timeout and its in-stream errors fail the job; the run
 * has the job's deadline; the per-job output folder (bind-mounted at /app/checkpoints) is size-checked while it
 * runs; the container and image are always removed, also by a restarted trainer (recover).
 */
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { folderUsage } from '../../isolation/usage.ts';
import type { TrainerRules } from '../../core/rules/trainer.ts';
import { LineSplitter, lastErrorLine, type Executor, type IsolationLine, type PreparedJob, type RunHooks, type RunOutcome } from '../executor.ts';
import type { JobHandle } from '../store.ts';
import { DockerEngine } from './engine.ts';
import { buildQuery, containerCreateBody, containerName, imageTag, type ContainerPolicy } from './requests.ts';

export interface DockerExecutorOptions {
  rules: TrainerRules;
  network: string;
  buildTimeoutMs: number;
  buildNetwork: string;
  pidsLimit: number;
  user: string | null;
  readonlyRootfs: boolean;
  outputMaxBytes: number;
  pollMs: number;
  maxLineChars: number;
}

/** The repo as a tar stream (the build context); `.git` was removed after the clone. Symlinks are archived as links. */
function tarContext(dir: string): { stream: import('node:stream').Readable; done: Promise<void>; kill: () => void } {
  const child = spawn('tar', ['-C', dir, '--numeric-owner', '--owner=0', '--group=0', '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: '/usr/bin:/bin' } });
  let err = '';
  child.stderr.on('data', (c: Buffer) => {
    if (err.length < 2000) err += c.toString();
  });
  const done = new Promise<void>((resolve, reject) => child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar failed: ${err.trim()}`)))));
  return { stream: child.stdout, done, kill: () => child.kill('SIGKILL') };
}

export class DockerExecutor implements Executor {
  readonly kind = 'docker' as const;
  private readonly policy: ContainerPolicy;

  constructor(
    private readonly engine: DockerEngine,
    private readonly options: DockerExecutorOptions,
  ) {
    this.policy = { rules: options.rules, network: options.network, pidsLimit: options.pidsLimit, user: options.user, readonlyRootfs: options.readonlyRootfs, buildNetwork: options.buildNetwork };
  }

  isolation(): IsolationLine[] {
    const r = this.options.rules;
    return [
      { layer: 'container network', active: this.options.network === 'none', detail: `NetworkMode ${this.options.network}` },
      { layer: 'no-new-privileges, CapDrop ALL', active: true, detail: 'SecurityOpt no-new-privileges' },
      { layer: 'memory / CPU / pids limits', active: true, detail: `${r.memoryPerGpuGb} GiB and ${r.cpusPerGpu} CPUs per GPU, no swap, PidsLimit ${this.options.pidsLimit}` },
      { layer: 'read-only inputs', active: true, detail: 'per-job /cache bind, ro' },
      { layer: 'per-job outputs', active: true, detail: `per-job /app/checkpoints bind, size checked every ${this.options.pollMs} ms (limit ${this.options.outputMaxBytes} bytes)` },
      { layer: 'build timeout', active: true, detail: `${this.options.buildTimeoutMs} ms, build network ${this.options.buildNetwork}` },
      { layer: 'deadline', active: true, detail: 'hours_to_complete, then kill + remove' },
      { layer: 'container user', active: this.options.user !== null, detail: this.options.user ?? 'as the image sets it' },
    ];
  }

  async run(job: PreparedJob, hooks: RunHooks): Promise<RunOutcome> {
    const tag = imageTag(job);
    await mkdir(job.checkpointsDir, { recursive: true });
    const handle: JobHandle = { kind: 'docker', containerId: null, imageTag: tag };
    await hooks.onHandle(handle);
    try {
      return await this.runInner(job, hooks, tag, handle);
    } finally {
      await this.cleanup(handle);
    }
  }

  private async runInner(job: PreparedJob, hooks: RunHooks, tag: string, handle: JobHandle & { kind: 'docker' }): Promise<RunOutcome> {
    await hooks.onPhase('building', `Building ${job.isImage ? 'image' : 'text'} trainer image ${tag}`);
    const buildAbort = new AbortController();
    const buildTimer = setTimeout(() => buildAbort.abort(new Error('build timeout')), this.options.buildTimeoutMs);
    const onAbort = () => buildAbort.abort(new Error('stopped'));
    hooks.signal.addEventListener('abort', onAbort, { once: true });
    const buildLines = new LineSplitter(this.options.maxLineChars, (line) => hooks.onLine('build', line));
    const context = tarContext(job.repoDir);
    try {
      await Promise.all([
        this.engine.build(context.stream, buildQuery(job, tag, this.policy), (e) => e.stream && buildLines.push(e.stream), buildAbort.signal),
        context.done,
      ]);
      buildLines.end();
    } catch (error) {
      context.kill();
      const why = buildAbort.signal.aborted ? `build exceeded ${this.options.buildTimeoutMs} ms` : (error as Error).message;
      return { kind: 'start_failed', error: `Image build failed: ${why}` };
    } finally {
      clearTimeout(buildTimer);
      hooks.signal.removeEventListener('abort', onAbort);
    }
    if (hooks.signal.aborted) return { kind: 'exited', code: null, signal: 'SIGKILL', lastError: 'stopped by the trainer' };

    let id: string;
    try {
      id = await this.engine.createContainer(containerName(job), containerCreateBody(job, tag, this.policy));
      handle.containerId = id;
      await hooks.onHandle(handle);
      await this.engine.start(id, this.options.rules.containerStartTimeoutSeconds * 1000);
    } catch (error) {
      return { kind: 'start_failed', error: `Container start failed: ${(error as Error).message}` };
    }
    await hooks.onPhase('running', `Container started: ${id.slice(0, 12)}`);

    const recent: string[] = [];
    const streams = {
      stdout: new LineSplitter(this.options.maxLineChars, (l) => (recent.push(l), recent.length > 200 && recent.shift(), hooks.onLine('stdout', l))),
      stderr: new LineSplitter(this.options.maxLineChars, (l) => (recent.push(l), recent.length > 200 && recent.shift(), hooks.onLine('stderr', l))),
    };
    const stop = new AbortController();
    const logsDone = this.engine.logs(id, (s, data) => streams[s].push(data), stop.signal).catch(() => undefined);

    let verdict: RunOutcome | null = null;
    const kill = (why: RunOutcome) => {
      verdict ??= why;
      void this.engine.kill(id).catch(() => undefined);
    };
    const deadline = setTimeout(() => kill({ kind: 'deadline' }), job.runBudgetMs);
    const onStop = () => kill({ kind: 'exited', code: null, signal: 'SIGKILL', lastError: 'stopped by the trainer' });
    hooks.signal.addEventListener('abort', onStop, { once: true });
    let polling = false;
    const poll = setInterval(() => {
      if (polling) return;
      polling = true;
      void folderUsage(job.checkpointsDir)
        .then((u) => {
          if (u.truncated || u.bytes > this.options.outputMaxBytes) kill({ kind: 'output_limit', bytes: u.bytes });
        })
        .finally(() => (polling = false));
    }, this.options.pollMs);
    let status: number | null = null;
    try {
      status = (await this.engine.wait(id, stop.signal)).StatusCode;
    } catch (error) {
      verdict ??= { kind: 'start_failed', error: `waiting for the container failed: ${(error as Error).message}` };
    } finally {
      clearTimeout(deadline);
      clearInterval(poll);
      hooks.signal.removeEventListener('abort', onStop);
    }
    // Give the log stream a moment to deliver the tail, then close it.
    await Promise.race([logsDone, new Promise((r) => setTimeout(r, 2000))]);
    stop.abort();
    streams.stdout.end();
    streams.stderr.end();
    if (verdict) return verdict;
    try {
      if ((await this.engine.inspect(id)).State.OOMKilled) return { kind: 'memory' };
    } catch {
      // inspect is best effort; the exit code still decides
    }
    return { kind: 'exited', code: status, signal: null, lastError: lastErrorLine(recent) };
  }

  private async cleanup(handle: JobHandle): Promise<void> {
    if (handle.kind !== 'docker') return;
    if (handle.containerId) {
      await this.engine.kill(handle.containerId).catch(() => undefined);
      await this.engine.remove(handle.containerId).catch(() => undefined);
    }
    if (handle.imageTag) await this.engine.removeImage(handle.imageTag).catch(() => undefined);
    await this.engine.pruneBuildCache().catch(() => undefined);
  }

  async recover(handle: JobHandle): Promise<void> {
    await this.cleanup(handle);
  }
}
