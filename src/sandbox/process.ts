/**
 * One sandbox child process: starts it with the isolation layers, sends one request at a time, and enforces each
 * call's deadline by killing the whole process group. A killed or crashed process is never reused.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { createJobCgroup, oomKilled, removeCgroupDir } from '../isolation/cgroup.ts';
import { launchSpec, type IsolationReport } from './isolation.ts';
import { childMessageSchema, describeIssues, type ChildMessage, type SandboxRequest } from './protocol.ts';

export interface ChildConfig {
  indexURL: string;
  harnessPath: string;
  wasmMaxBytes: number;
  neuterJs: boolean;
  loadSnapshotPath: string | null;
  makeSnapshot: boolean;
  tickMs: number;
  python: { allowed_imports: readonly string[]; max_output_bytes: number; nested_timeout_s: number };
}

export interface ProcessOptions {
  isolation: IsolationReport;
  childConfig: ChildConfig;
  /** Whole-process cap enforced by the cgroup (when there is one). */
  memoryLimitBytes: number;
  maxOldSpaceMb: number;
  startTimeoutMs: number;
  /** Longest line the child may send; longer means a broken or hostile child and kills it. */
  maxLineBytes: number;
  name: string;
}

/** What became of one call: the harness's answer, or the reason the process had to die. */
export type CallOutcome =
  | { kind: 'ok'; body: unknown }
  | { kind: 'error'; error: string }
  | { kind: 'killed'; reason: 'deadline' | 'memory' | 'exit' | 'protocol'; error: string };

export class SandboxStartError extends Error {
  override name = 'SandboxStartError';
}

interface Pending {
  id: number;
  resolve: (outcome: CallOutcome) => void;
  timer: NodeJS.Timeout;
  deadlineMs: number;
}

export class SandboxProcess {
  calls = 0;
  bootMs = 0;
  startedFromSnapshot = false;
  private pending: Pending | null = null;
  private nextId = 1;
  private dead = false;
  /** Set as soon as a kill is ordered, so the pool never hands out a process that is on its way out. */
  private doomed = false;
  private deathReason: 'deadline' | 'memory' | 'exit' | 'protocol' = 'exit';
  private stderrTail = '';
  private readonly exitListeners: Array<() => void> = [];
  private onMessage: ((message: ChildMessage) => void) | null = null;

  private constructor(
    private readonly child: ChildProcess,
    private readonly cgroupDir: string | null,
    private readonly options: ProcessOptions,
  ) {}

  /** Spawns a child and waits for its `ready` line (or, with `makeSnapshot`, for its snapshot bytes). */
  static async start(options: ProcessOptions): Promise<{ process: SandboxProcess; snapshot?: Buffer }> {
    const { isolation } = options;
    const cgroupDir = isolation.cgroup
      ? createJobCgroup({ memory: isolation.cgroup, pids: null }, options.name, { memoryBytes: options.memoryLimitBytes }).memoryDir
      : null;
    const extraReads = options.childConfig.loadSnapshotPath ? [options.childConfig.loadSnapshotPath] : [];
    const spec = launchSpec({ isolation, cgroupDir, extraReads, maxOldSpaceMb: options.maxOldSpaceMb, childConfig: options.childConfig });
    const child = spawn(spec.command, spec.args, { env: {}, stdio: ['pipe', 'pipe', 'pipe'], detached: true, cwd: '/' });
    const sandbox = new SandboxProcess(child, cgroupDir, options);
    sandbox.attach();
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        sandbox.kill('deadline');
        reject(new SandboxStartError(`sandbox process did not start within ${options.startTimeoutMs} ms${sandbox.stderrSuffix()}`));
      }, options.startTimeoutMs);
      sandbox.onExit(() => {
        clearTimeout(timer);
        reject(new SandboxStartError(`sandbox process exited during start-up${sandbox.stderrSuffix()}`));
      });
      sandbox.onMessage = (message) => {
        if (message.type === 'ready') {
          clearTimeout(timer);
          sandbox.child.unref();
          sandbox.bootMs = message.bootMs;
          sandbox.startedFromSnapshot = message.snapshot;
          sandbox.onMessage = (m) => sandbox.handle(m);
          resolve({ process: sandbox });
        } else if (message.type === 'snapshot') {
          clearTimeout(timer);
          resolve({ process: sandbox, snapshot: Buffer.from(message.bytes, 'base64') });
        } else {
          clearTimeout(timer);
          sandbox.kill('protocol');
          reject(new SandboxStartError(`unexpected message during start-up: ${message.type}${sandbox.stderrSuffix()}`));
        }
      };
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.dead && !this.doomed;
  }

  get busy(): boolean {
    return this.pending !== null;
  }

  onExit(listener: () => void): void {
    if (this.dead) listener();
    else this.exitListeners.push(listener);
  }

  /**
   * Sends one request. The harness stops the work itself at `softDeadlineS`; if it has not answered by
   * `hardDeadlineMs` the process group is killed and the call reports the deadline.
   */
  call(request: SandboxRequest, softDeadlineS: number, hardDeadlineMs: number): Promise<CallOutcome> {
    if (!this.alive) return Promise.resolve({ kind: 'killed', reason: this.deathReason, error: 'sandbox process is not running' });
    if (this.pending) throw new Error('SandboxProcess.call while another call is in flight');
    const id = this.nextId++;
    this.calls += 1;
    // Keep the event loop alive until the call settles, even through a kill (idle children are unref'd).
    this.child.ref();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.kill('deadline'), hardDeadlineMs);
      this.pending = { id, resolve, timer, deadlineMs: hardDeadlineMs };
      this.child.stdin?.write(JSON.stringify({ ...request, id, deadline_s: softDeadlineS }) + '\n');
    });
  }

  /** Kills the whole process group (sh, unshare and node); idempotent. */
  kill(reason: 'deadline' | 'memory' | 'exit' | 'protocol' = 'exit'): void {
    if (this.dead || this.doomed) return;
    this.doomed = true;
    this.deathReason = reason;
    // Hold the event loop until 'close' has run, so exit listeners (pool.close, respawn) are never skipped.
    this.child.ref();
    for (const stream of [this.child.stdout, this.child.stderr]) (stream as unknown as { ref?: () => void } | null)?.ref?.();
    const pid = this.child.pid;
    try {
      if (pid !== undefined) process.kill(-pid, 'SIGKILL');
    } catch {
      this.child.kill('SIGKILL');
    }
  }

  private stderrSuffix(): string {
    // Node prints the offending source line of an uncaught error; Pyodide's is one minified megabyte, so drop it.
    const tail = this.stderrTail
      .split('\n')
      .filter((line) => line.length < 400)
      .join('\n')
      .trim();
    return tail ? `: ${tail.slice(-800)}` : '';
  }

  private attach(): void {
    const { child } = this;
    // Idle children must not keep a CLI or test alive; `call` refs the child while a call is in flight.
    for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as unknown as { unref?: () => void } | null)?.unref?.();
    child.stdin?.on('error', () => undefined);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-4000);
    });
    if (child.stdout) this.readLines(child.stdout);
    child.on('error', (error) => {
      this.stderrTail += `\n${error.message}`;
    });
    // 'close' rather than 'exit': it fires only after stdout is drained, so a last message is never lost.
    child.on('close', () => this.finish());
  }

  private readLines(stream: Readable): void {
    let buffered: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      let start = 0;
      for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
        buffered.push(chunk.subarray(start, nl));
        const line = Buffer.concat(buffered).toString('utf8');
        buffered = [];
        size = 0;
        start = nl + 1;
        this.parseLine(line);
      }
      if (start < chunk.length) {
        buffered.push(chunk.subarray(start));
        size += chunk.length - start;
        if (size > this.options.maxLineBytes) {
          buffered = [];
          size = 0;
          this.kill('protocol');
        }
      }
    });
  }

  private parseLine(line: string): void {
    if (line.trim() === '') return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      this.stderrTail += `\nnon-JSON line from child: ${line.slice(0, 200)}`;
      this.kill('protocol');
      return;
    }
    const parsed = childMessageSchema.safeParse(raw);
    if (!parsed.success) {
      this.stderrTail += `\nbad message from child: ${describeIssues(parsed.error)}`;
      this.kill('protocol');
      return;
    }
    this.onMessage?.(parsed.data);
  }

  private handle(message: ChildMessage): void {
    const pending = this.pending;
    if (message.type === 'fatal') {
      this.settle({ kind: 'killed', reason: 'exit', error: `the interpreter failed fatally: ${message.error}` });
      this.kill('exit');
      return;
    }
    if (message.type !== 'result' || !pending || message.id !== pending.id) {
      this.kill('protocol');
      return;
    }
    this.settle(message.ok ? { kind: 'ok', body: message.body } : { kind: 'error', error: message.error });
  }

  private settle(outcome: CallOutcome): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = null;
    clearTimeout(pending.timer);
    this.child.unref();
    pending.resolve(outcome);
  }

  private finish(): void {
    if (this.dead) return;
    this.dead = true;
    if (this.cgroupDir && this.options.isolation.cgroup && oomKilled(this.cgroupDir, this.options.isolation.cgroup.version)) {
      this.deathReason = 'memory';
    }
    const pending = this.pending;
    if (pending) {
      const error =
        this.deathReason === 'deadline'
          ? `deadline of ${(pending.deadlineMs / 1000).toFixed(1)} s exceeded; the sandbox process was killed`
          : this.deathReason === 'memory'
            ? `memory limit of ${Math.round(this.options.memoryLimitBytes / 2 ** 20)} MB exceeded; the sandbox process was killed`
            : this.deathReason === 'protocol'
              ? 'the sandbox process broke the protocol and was killed'
              : `the sandbox process exited unexpectedly${this.stderrSuffix()}`;
      this.settle({ kind: 'killed', reason: this.deathReason, error });
    }
    // Kill leftovers of the group (the child may have exited while unshare lingers), then drop the cgroup.
    try {
      if (this.child.pid !== undefined) process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // group already gone
    }
    if (this.cgroupDir) {
      const dir = this.cgroupDir;
      // The process has been reaped, so its cgroup is normally empty now; retry once in case the kernel lags.
      if (!removeCgroupDir(dir)) setTimeout(() => removeCgroupDir(dir), 200).unref();
    }
    for (const listener of this.exitListeners.splice(0)) listener();
  }
}
