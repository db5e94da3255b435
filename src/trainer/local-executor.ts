/**
 * Runs a repo's Node entry script (`scripts/text_trainer.mjs` or `scripts/image_trainer.mjs`) with the contract's
 * arguments, confined by the OS rather than trusted: its own network, pid and mount namespaces, a per-job
 * unprivileged uid, private /tmp, cgroup memory and pids limits, rlimits, an empty environment, a deadline, an
 * output folder whose size is checked while it runs — and Node's permission model on top (reads limited to the
 * repo, its input view and its output folder; writes to the output folder; no child processes).
 */
import { spawn, type ChildProcess } from 'node:child_process';
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
  /** After a stop (deadline, abort, output limit): how long to wait for the launch to return before settling anyway. */
  stopGraceMs?: number;
  /** After the process exited: how long its output streams may stay open before they are abandoned. */
  stdioGraceMs?: number;
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

  /**
   * Runs one job. The deadline and the trainer's abort are armed before any launch step, and stopping never depends
   * on the launch having got anywhere: a stop kills everything the job may own (its process group, its cgroups, its
   * uid), and if the launch has not returned within `stopGraceMs` after that, the run is settled anyway — a launch
   * step that never completes, or stdio held open by something unkillable, cannot keep a job `running` forever.
   */
  async run(job: PreparedJob, hooks: RunHooks): Promise<RunOutcome> {
    const graceMs = this.options.stopGraceMs ?? STOP_GRACE_MS;
    const state: LaunchState = { stage: 'checking the entry script', verdict: null, child: null, cgroup: EMPTY_CGROUP, stopped: null };
    let settleStopped: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => (settleStopped = resolve));
    let graceTimer: NodeJS.Timeout | null = null;
    const stop = (why: RunOutcome) => {
      if (state.verdict) return;
      state.verdict = why.kind === 'deadline' ? { kind: 'deadline', during: state.stage } : why;
      this.killAll(job, state);
      graceTimer = setTimeout(() => {
        state.stopped = `the launch had not returned ${graceMs} ms after the kill (stage: ${state.stage})`;
        settleStopped();
      }, graceMs);
    };
    const deadline = setTimeout(() => stop({ kind: 'deadline' }), job.runBudgetMs);
    const onAbort = () => stop({ kind: 'exited', code: null, signal: 'SIGKILL', lastError: 'stopped by the trainer' });
    if (hooks.signal.aborted) onAbort();
    else hooks.signal.addEventListener('abort', onAbort, { once: true });

    const launch = this.launch(job, hooks, state, stop).catch((error: unknown): RunOutcome => ({ kind: 'start_failed', error: `launch failed while ${state.stage}: ${(error as Error).message}` }));
    try {
      const outcome = await Promise.race([launch, stopped.then((): RunOutcome => state.verdict!)]);
      return state.verdict ?? outcome;
    } finally {
      clearTimeout(deadline);
      if (graceTimer) clearTimeout(graceTimer);
      hooks.signal.removeEventListener('abort', onAbort);
      if (state.stopped) {
        // Settled without the launch: sweep once more (it may have spawned late) and leave the rest to the launch.
        this.killAll(job, state);
        hooks.onLine('stderr', `[trainer] ${state.stopped}`);
      }
    }
  }

  /** SIGKILLs whatever of the job exists: the launcher's process group, every process in the cgroups and of the uid. */
  private killAll(job: PreparedJob, state: LaunchState): void {
    const pid = state.child?.pid;
    if (pid) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // group already gone
      }
    }
    void killCgroups(state.cgroup.dirs);
    if (job.user && this.options.host.userSwitch) void killUid(job.user.uid);
  }

  /** Every launch step; after each await it gives up when the run was stopped meanwhile (nothing is spawned late). */
  private async launch(job: PreparedJob, hooks: RunHooks, state: LaunchState, stop: (why: RunOutcome) => void): Promise<RunOutcome> {
    const rel = job.isImage ? LOCAL_ENTRY.image : LOCAL_ENTRY.text;
    const entry = join(job.repoDir, rel);
    try {
      const st = await lstat(entry);
      if (!st.isFile()) throw new Error('not a regular file');
    } catch {
      return { kind: 'start_failed', error: `the repository has no ${rel} (local repo contract)` };
    }
    const gaveUp = (): RunOutcome | null => state.verdict;
    state.stage = 'preparing the job folders';
    await this.prepareFolders(job);
    if (gaveUp()) return gaveUp()!;
    state.stage = 'building the engine bundle';
    const engine = await this.options.engineBundle?.();
    if (gaveUp()) return gaveUp()!;
    if (engine) {
      state.stage = 'linking the engine bundle';
      await mkdir(join(job.cacheDir, 'god'), { recursive: true, mode: 0o755 });
      await rm(join(job.cacheDir, ENGINE_IN_CACHE), { force: true });
      await linkOrCopy(engine, join(job.cacheDir, ENGINE_IN_CACHE));
      if (gaveUp()) return gaveUp()!;
    }
    const { host } = this.options;
    state.stage = 'creating the job cgroups';
    try {
      state.cgroup = createJobCgroup(host.cgroups, `job-${job.jobId}`, { memoryBytes: this.options.memoryMb * 1024 * 1024, pids: this.options.pids });
    } catch (error) {
      return { kind: 'start_failed', error: `cannot create the job's cgroups: ${(error as Error).message}` };
    }
    const cgroup = state.cgroup;
    try {
      const handle: JobHandle = { kind: 'local', cgroupDirs: cgroup.dirs, pid: null, uid: job.user?.uid ?? null };
      state.stage = 'recording the job handle';
      await hooks.onHandle(handle);
      if (gaveUp()) return gaveUp()!;
      const env: Record<string, string> = {};
      if (job.gpuIds.length) env.CUDA_VISIBLE_DEVICES = job.gpuIds.join(',');
      state.stage = 'building the confined command';
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
      state.stage = 'recording phase running';
      await hooks.onPhase('running', `starting ${rel} (${command.layers.join(', ')})`);
      if (gaveUp()) return gaveUp()!;

      state.stage = 'spawning the launcher';
      const child = spawn(command.command, command.args, { env: {}, cwd: '/', detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      state.child = child;
      // Everything that listens to the child is attached before the next await: a child that exits while we are
      // awaiting would otherwise have its output drained by Node and its 'close' emitted to nobody (the launch hang).
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
      const exited = waitForExit(child, this.options.stdioGraceMs ?? STDIO_GRACE_MS);
      let polling = false;
      const poll = setInterval(() => {
        if (polling) return;
        polling = true;
        void folderUsage(job.checkpointsDir, 100_000)
          .then((u) => {
            if (u.truncated || u.bytes > this.options.outputMaxBytes) stop({ kind: 'output_limit', bytes: u.bytes });
          })
          .finally(() => (polling = false));
      }, this.options.outputPollMs);
      poll.unref();
      // A stop that came while spawning (the deadline fired during a blocking step) reaches the new group too.
      if (state.verdict) this.killAll(job, state);

      state.stage = 'running';
      if (child.pid) {
        try {
          await hooks.onHandle({ kind: 'local', cgroupDirs: cgroup.dirs, pid: child.pid, uid: job.user?.uid ?? null });
        } catch {
          // the cgroups/uid handle recorded before is enough for a restart to clean up
        }
      }
      const exit = await exited;
      clearInterval(poll);
      out.end();
      err.end();
      state.stage = 'cleaning up after the exit';
      // Whatever escaped the process group (a setsid'd child when there is no pid namespace) dies with the cgroup.
      await killCgroups(cgroup.dirs);
      if (job.user && host.userSwitch) await killUid(job.user.uid);
      const final = await folderUsage(job.checkpointsDir, 100_000);
      let verdict = state.verdict;
      if (!verdict && (final.truncated || final.bytes > this.options.outputMaxBytes)) verdict = { kind: 'output_limit', bytes: final.bytes };
      if (!verdict && cgroup.memoryDir && cgroup.memoryVersion && oomKilled(cgroup.memoryDir, cgroup.memoryVersion)) verdict = { kind: 'memory' };
      if (exit.error) return { kind: 'start_failed', error: exit.error.message };
      if (exit.code === 97 && !verdict) return { kind: 'start_failed', error: 'could not join the job cgroups' };
      if (!verdict && exit.stdioHeld) hooks.onLine('stderr', `[trainer] output streams still open ${this.options.stdioGraceMs ?? STDIO_GRACE_MS} ms after the exit (a leftover process held them); stopped reading`);
      return verdict ?? { kind: 'exited', code: exit.code, signal: exit.signal, lastError: lastErrorLine(recent) };
    } finally {
      removeJobCgroup(cgroup.dirs);
    }
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

interface LaunchState {
  /** The launch step in progress (reported when the deadline hits during it). */
  stage: string;
  verdict: RunOutcome | null;
  child: ChildProcess | null;
  cgroup: JobCgroup;
  /** Set when the run was settled without the launch returning (why). */
  stopped: string | null;
}

const EMPTY_CGROUP: JobCgroup = { dirs: [], memoryDir: null, memoryVersion: null, pidsDir: null };
/** How long a stopped run waits for its launch to return before it is settled anyway. */
export const STOP_GRACE_MS = 5000;
/** How long after the process exited its output streams may stay open (held by a leftover) before we stop reading. */
export const STDIO_GRACE_MS = 2000;

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
  /** The streams were still open `stdioGraceMs` after the exit and were destroyed. */
  stdioHeld?: boolean;
}

/**
 * Resolves on 'close' (exit + all output read), or `stdioGraceMs` after 'exit' when a leftover process holds the
 * pipes, or on a spawn 'error'. Must be called synchronously after spawn (listeners attached late miss the events).
 */
export function waitForExit(child: ChildProcess, stdioGraceMs: number): Promise<ExitInfo> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | null = null;
    const done = (info: ExitInfo) => {
      if (timer) clearTimeout(timer);
      resolve(info);
    };
    child.once('error', (error) => done({ code: null, signal: null, error }));
    child.once('close', (code, signal) => done({ code, signal }));
    child.once('exit', (code, signal) => {
      timer = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        done({ code, signal, stdioHeld: true });
      }, stdioGraceMs);
    });
  });
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
