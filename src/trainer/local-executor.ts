/**
 * Runs a repo's Node entry script (`scripts/text_trainer.mjs` or `scripts/image_trainer.mjs`) with the contract's
 * arguments, confined by the OS rather than trusted: its own network, pid and mount namespaces, a per-job
 * unprivileged uid, private /tmp, cgroup memory and pids limits, rlimits, an empty environment, a deadline, an
 * output folder whose size is checked while it runs — and Node's permission model on top (reads limited to the
 * repo, its input view and its output folder; writes to the output folder; no child processes).
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { chmod, chown, lstat, mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createJobCgroup, killCgroups, oomKilled, removeCgroupDir, removeJobCgroup, type JobCgroup } from '../isolation/cgroup.ts';
import { describeHostIsolation, type HostIsolation } from '../isolation/detect.ts';
import { confinedCommand } from '../isolation/launch.ts';
import { folderUsage } from '../isolation/usage.ts';
import { ENGINE_IN_CACHE } from './engine/bundle.ts';
import { linkOrCopy } from './inputs.ts';
import type { JobHandle } from './store.ts';
import { LineSplitter, lastErrorLine, type Executor, type IsolationLine, type PreparedJob, type RunHooks, type RunOutcome } from './executor.ts';

export interface LocalExecutorOptions {
  host: HostIsolation;
  memoryMb: number;
  pids: number;
  nofile: number;
  outputMaxBytes: number;
  /** RLIMIT_FSIZE: the largest single file the job may write. */
  fileMaxBytes: number;
  privateTmpMb: number;
  outputPollMs: number;
  maxLineChars: number;
  /** Let the script start worker threads (the built-in engine's matmul helper); they inherit the permission model. */
  allowWorkers: boolean;
  /** Extra read-only paths for every job. */
  extraReads?: readonly string[];
  /** The bundled engine module (engine/bundle.ts), linked into every job's cache as `god/engine.mjs`; null: none. */
  engineBundle?: () => Promise<string | null>;
  nodePath?: string;
}

export const LOCAL_ENTRY = { text: 'scripts/text_trainer.mjs', image: 'scripts/image_trainer.mjs' } as const;

const dirArg = (p: string) => (p.endsWith('/') ? p : `${p}/`);

export class LocalExecutor implements Executor {
  readonly kind = 'local' as const;

  constructor(private readonly options: LocalExecutorOptions) {}

  isolation(): IsolationLine[] {
    return [
      ...describeHostIsolation(this.options.host),
      { layer: 'output size limit', active: true, detail: `${this.options.outputMaxBytes} bytes, polled every ${this.options.outputPollMs} ms; RLIMIT_FSIZE ${this.options.fileMaxBytes}` },
      { layer: 'deadline', active: true, detail: 'hours_to_complete, then SIGKILL of the whole job' },
    ];
  }

  /** The node command line of a job (exported for tests and docs). */
  nodeArgv(job: PreparedJob, entry: string): string[] {
    const { host } = this.options;
    const node = this.options.nodePath ?? process.execPath;
    const flags: string[] = [];
    if (host.permissionFlag) {
      flags.push(host.permissionFlag);
      for (const p of [job.repoDir, job.cacheDir, job.checkpointsDir, ...(this.options.extraReads ?? [])]) flags.push(`--allow-fs-read=${dirArg(p)}`);
      flags.push(`--allow-fs-write=${dirArg(job.checkpointsDir)}`);
      if (this.options.allowWorkers) flags.push('--allow-worker');
    }
    flags.push('--disallow-code-generation-from-strings', `--max-old-space-size=${Math.max(64, Math.floor(this.options.memoryMb * 0.75))}`, '--disable-warning=ExperimentalWarning', '--disable-warning=SecurityWarning');
    return [node, ...flags, entry, ...job.args, '--cache-dir', job.cacheDir, '--checkpoints-dir', job.checkpointsDir];
  }

  /** Ownership that makes the OS enforce the layout: only the job's gid may enter its folder, only its uid write outputs. */
  private async prepareFolders(job: PreparedJob): Promise<void> {
    await mkdir(job.outputDir, { recursive: true });
    if (!job.user || !this.options.host.userSwitch) return;
    const { uid, gid } = job.user;
    await chown(job.jobRoot, 0, gid);
    await chmod(job.jobRoot, 0o750);
    for (let dir = job.outputDir; dir.startsWith(job.checkpointsDir); dir = join(dir, '..')) {
      await chown(dir, uid, gid);
      await chmod(dir, 0o700);
      if (dir === job.checkpointsDir) break;
    }
  }

  async run(job: PreparedJob, hooks: RunHooks): Promise<RunOutcome> {
    const entry = join(job.repoDir, job.isImage ? LOCAL_ENTRY.image : LOCAL_ENTRY.text);
    try {
      const st = await lstat(entry);
      if (!st.isFile()) throw new Error('not a regular file');
    } catch {
      return { kind: 'start_failed', error: `the repository has no ${job.isImage ? LOCAL_ENTRY.image : LOCAL_ENTRY.text} (local repo contract)` };
    }
    await this.prepareFolders(job);
    const engine = await this.options.engineBundle?.();
    if (engine) {
      await mkdir(join(job.cacheDir, 'god'), { recursive: true, mode: 0o755 });
      await rm(join(job.cacheDir, ENGINE_IN_CACHE), { force: true });
      await linkOrCopy(engine, join(job.cacheDir, ENGINE_IN_CACHE));
    }
    const { host } = this.options;
    let cgroup: JobCgroup = { dirs: [], memoryDir: null, memoryVersion: null, pidsDir: null };
    try {
      cgroup = createJobCgroup(host.cgroups, `job-${job.jobId}`, { memoryBytes: this.options.memoryMb * 1024 * 1024, pids: this.options.pids });
    } catch (error) {
      return { kind: 'start_failed', error: `cannot create the job's cgroups: ${(error as Error).message}` };
    }
    const handle: JobHandle = { kind: 'local', cgroupDirs: cgroup.dirs, pid: null, uid: job.user?.uid ?? null };
    await hooks.onHandle(handle);
    const env: Record<string, string> = {};
    if (job.gpuIds.length) env.CUDA_VISIBLE_DEVICES = job.gpuIds.join(',');
    const command = confinedCommand({
      host,
      argv: this.nodeArgv(job, entry),
      cwd: job.repoDir,
      env,
      user: job.user,
      cgroupDirs: cgroup.dirs,
      rlimits: { nproc: this.options.pids, fsizeBytes: this.options.fileMaxBytes, nofile: this.options.nofile },
      jobRoot: job.jobRoot,
      privateTmpBytes: this.options.privateTmpMb * 1024 * 1024,
    });
    await hooks.onPhase('running', `starting ${job.isImage ? LOCAL_ENTRY.image : LOCAL_ENTRY.text} (${command.layers.join(', ')})`);

    const child = spawn(command.command, command.args, { env: {}, cwd: '/', detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    handle.pid = child.pid ?? null;
    await hooks.onHandle(handle);
    const recent: string[] = [];
    const keep = (stream: 'stdout' | 'stderr') => (line: string) => {
      recent.push(line);
      if (recent.length > 200) recent.shift();
      hooks.onLine(stream, line);
    };
    const out = new LineSplitter(this.options.maxLineChars, keep('stdout'));
    const err = new LineSplitter(this.options.maxLineChars, keep('stderr'));
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));

    let verdict: RunOutcome | null = null;
    const kill = (why: RunOutcome) => {
      verdict ??= why;
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // group already gone
      }
      void killCgroups(cgroup.dirs);
    };
    const deadline = setTimeout(() => kill({ kind: 'deadline' }), job.runBudgetMs);
    const onAbort = () => kill({ kind: 'exited', code: null, signal: 'SIGKILL', lastError: 'stopped by the trainer' });
    hooks.signal.addEventListener('abort', onAbort, { once: true });
    let polling = false;
    const poll = setInterval(() => {
      if (polling) return;
      polling = true;
      void folderUsage(job.checkpointsDir, 100_000)
        .then((u) => {
          if (u.truncated || u.bytes > this.options.outputMaxBytes) kill({ kind: 'output_limit', bytes: u.bytes });
        })
        .finally(() => (polling = false));
    }, this.options.outputPollMs);

    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
      child.once('error', (error) => resolve({ code: null, signal: null, error }));
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
    clearTimeout(deadline);
    clearInterval(poll);
    hooks.signal.removeEventListener('abort', onAbort);
    out.end();
    err.end();
    // Whatever escaped the process group (a setsid'd child when there is no pid namespace) dies with the cgroup.
    await killCgroups(cgroup.dirs);
    if (job.user && host.userSwitch) await killUid(job.user.uid);
    const final = await folderUsage(job.checkpointsDir, 100_000);
    if (!verdict && (final.truncated || final.bytes > this.options.outputMaxBytes)) verdict = { kind: 'output_limit', bytes: final.bytes };
    if (!verdict && cgroup.memoryDir && cgroup.memoryVersion && oomKilled(cgroup.memoryDir, cgroup.memoryVersion)) verdict = { kind: 'memory' };
    removeJobCgroup(cgroup.dirs);
    if (exit.error) return { kind: 'start_failed', error: exit.error.message };
    if (exit.code === 97 && !verdict) return { kind: 'start_failed', error: 'could not join the job cgroups' };
    return verdict ?? { kind: 'exited', code: exit.code, signal: exit.signal, lastError: lastErrorLine(recent) };
  }

  async recover(handle: JobHandle): Promise<void> {
    if (handle.kind !== 'local') return;
    // The recorded pid may have been reused since the trainer died, so never signal it blindly: kill what is in the
    // job's own cgroups, and processes running as the job's own uid (unique per running job).
    await killCgroups(handle.cgroupDirs);
    if (handle.uid !== null && handle.uid !== 0) await killUid(handle.uid);
    removeJobCgroup(handle.cgroupDirs);
    // The dead trainer's own root folder goes too once empty (never ours).
    for (const dir of handle.cgroupDirs) if (!dirname(dir).endsWith(`-${process.pid}`)) removeCgroupDir(dirname(dir));
  }
}

/** SIGKILLs every process whose real uid is `uid` (a job's private uid), until none is left or 5 s pass. */
export async function killUid(uid: number): Promise<number> {
  let kills = 0;
  const deadline = Date.now() + 5000;
  for (;;) {
    const pids = processesOfUid(uid);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        kills++;
      } catch {
        // gone
      }
    }
    if (!pids.length || Date.now() > deadline) return kills;
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function processesOfUid(uid: number): number[] {
  const found: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return found;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const status = readFileSync(`/proc/${name}/status`, 'utf8');
      const m = /^Uid:\s+(\d+)/m.exec(status);
      if (m && Number(m[1]) === uid) found.push(Number(name));
    } catch {
      // exited while scanning
    }
  }
  return found;
}
