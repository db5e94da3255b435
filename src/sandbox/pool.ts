/**
 * A warm pool of sandbox processes. Calls queue for an idle process; a process that is killed (deadline, memory,
 * crash) or has served `callsPerProcess` calls is replaced in the background, so one misbehaving call costs only
 * itself and a restart.
 */
import { utimesSync } from 'node:fs';
import type { Logger } from '../log/index.ts';
import { sandboxRules, type SandboxRules } from '../core/rules/sandbox.ts';
import { detectIsolation, harnessPath, missingFiles, pyodideDir, type IsolationReport } from './isolation.ts';
import { SandboxProcess, type CallOutcome, type ChildConfig, type ProcessOptions } from './process.ts';
import type { SandboxRequest } from './protocol.ts';
import { defaultSnapshotDir, ensureSnapshot } from './snapshot.ts';

export interface SandboxPoolOptions {
  rules?: Partial<SandboxRules>;
  logger?: Logger;
  /** Where start-up snapshots are kept (default: a private folder under the OS temp dir). */
  snapshotDir?: string;
  /** Leave layers out on purpose (tests of the fallback path, machines where a probe misleads). */
  disable?: ReadonlyArray<'namespaces' | 'cgroup'>;
  /**
   * Keep the `js`/`pyodide_js` modules importable inside the child. Only for the security suite: it proves that
   * the process layers, not the Python-level removal, are what stops an escape.
   */
  keepJsModules?: boolean;
  /** Interval of the interpreter's deadline tick in ms. */
  tickMs?: number;
  /** Told about every call once it ends (`/metrics`); an observer that throws is ignored. */
  onCall?: (call: SandboxCallReport) => void;
}

/**
 * How one call ended, for metrics: `ok` when the sandboxed code ran to a result, `timeout` when a deadline passed
 * (the harness's, or the kill behind it), `error` when the code or the sandbox failed.
 */
export type SandboxCallVerdict = 'ok' | 'error' | 'timeout';

export interface SandboxCallReport {
  kind: SandboxRequest['op'];
  outcome: SandboxCallVerdict;
  seconds: number;
}

/** The harness's own deadline messages (harness.py `_Deadline`); user exceptions always carry a type-name prefix. */
const HARNESS_TIMEOUT = /^(call|execution) timed out after /;

export function isHarnessTimeout(message: string | null | undefined): boolean {
  return message != null && HARNESS_TIMEOUT.test(message);
}

/** The verdict from the transport alone: what the harness answered, or why the process died. */
export function transportVerdict(outcome: CallOutcome): SandboxCallVerdict {
  if (outcome.kind === 'ok') return 'ok';
  if (outcome.kind === 'killed') return outcome.reason === 'deadline' ? 'timeout' : 'error';
  return isHarnessTimeout(outcome.error) ? 'timeout' : 'error';
}

export interface PoolStats {
  size: number;
  live: number;
  idle: number;
  queued: number;
  calls: number;
  started: number;
  killed: number;
  snapshot: string | null;
  snapshotMadeMs: number | null;
  bootMs: number[];
}

/** Grace between the harness's own deadline and the kill, so well-behaved timeouts come back as ordinary errors. */
const KILL_GRACE_MS = 1500;

/** Process names are unique per parent process: they name cgroup folders shared by every pool in it. */
let processSerial = 0;

export class SandboxPool {
  readonly rules: SandboxRules;
  readonly isolation: IsolationReport;
  private readonly idle: SandboxProcess[] = [];
  private readonly busy = new Set<SandboxProcess>();
  private readonly waiters: Array<{ resolve: (p: SandboxProcess) => void; reject: (e: Error) => void }> = [];
  private live = 0;
  private closed = false;
  private failures = 0;
  private readonly counters = { calls: 0, started: 0, killed: 0 };
  private readonly bootMs: number[] = [];
  private snapshotPath: string | null = null;
  private snapshotMadeMs: number | null = null;
  private readonly baseOptions: ProcessOptions;

  private constructor(private readonly options: SandboxPoolOptions) {
    this.rules = { ...sandboxRules, ...options.rules };
    this.isolation = detectIsolation({ disable: options.disable ?? [] });
    const memoryLimitBytes = this.rules.memoryLimitMb * 2 ** 20;
    // V8's heap gets a quarter of the budget (at most 512 MB); the wasm heap the rest, minus room for code and stacks.
    const maxOldSpaceMb = Math.max(64, Math.min(512, Math.floor(this.rules.memoryLimitMb / 4)));
    const wasmMaxBytes = Math.max(64 * 2 ** 20, memoryLimitBytes - (maxOldSpaceMb + 128) * 2 ** 20);
    const childConfig: ChildConfig = {
      indexURL: pyodideDir(),
      harnessPath,
      wasmMaxBytes,
      neuterJs: !options.keepJsModules,
      loadSnapshotPath: null,
      makeSnapshot: false,
      tickMs: options.tickMs ?? 10,
      python: {
        allowed_imports: this.rules.allowedImports,
        max_output_bytes: this.rules.maxOutputBytes,
        nested_timeout_s: this.rules.executionTimeoutSeconds,
      },
    };
    this.baseOptions = {
      isolation: this.isolation,
      childConfig,
      memoryLimitBytes,
      maxOldSpaceMb,
      startTimeoutMs: this.rules.startTimeoutSeconds * 1000,
      maxLineBytes: this.rules.maxOutputBytes * 8 + 2 ** 20,
      name: 'p',
    };
  }

  /** Detects isolation, prepares the snapshot (when enabled) and starts `poolSize` processes, resolving when all are warm. */
  static async create(options: SandboxPoolOptions = {}): Promise<SandboxPool> {
    const missing = missingFiles();
    if (missing.length) throw new Error(`sandbox files missing (is the pyodide package installed?): ${missing.join(', ')}`);
    const pool = new SandboxPool(options);
    for (const warning of pool.isolation.warnings) pool.warn(warning);
    if (pool.rules.useSnapshot) {
      try {
        const made = await ensureSnapshot(options.snapshotDir ?? defaultSnapshotDir(), { ...pool.baseOptions, name: pool.nextName() });
        pool.snapshotPath = made.path;
        pool.snapshotMadeMs = made.madeMs;
      } catch (error) {
        pool.warn(`start-up snapshot unavailable, processes cold-start instead: ${(error as Error).message}`);
      }
    }
    const first = Array.from({ length: pool.rules.poolSize }, () => pool.acquire());
    const warm = await Promise.all(first);
    for (const process of warm) pool.release(process);
    return pool;
  }

  /**
   * Runs one request on some warm process. `softDeadlineS` is the harness's own deadline (an ordinary error when it
   * passes); the process is killed `KILL_GRACE_MS` later if the call still has not answered. `judge` turns the
   * outcome into the verdict `onCall` hears (callers that read the body know when the code itself failed).
   */
  async call(request: SandboxRequest, softDeadlineS: number, judge: (outcome: CallOutcome) => SandboxCallVerdict = transportVerdict): Promise<CallOutcome> {
    const started = performance.now();
    // A call that never reached a process (pool closed, no process could start) is an error too.
    let verdict: SandboxCallVerdict = 'error';
    try {
      const process = await this.acquire();
      this.counters.calls += 1;
      try {
        const outcome = await process.call(request, softDeadlineS, softDeadlineS * 1000 + KILL_GRACE_MS);
        if (outcome.kind === 'killed') this.counters.killed += 1;
        verdict = judge(outcome);
        return outcome;
      } finally {
        this.release(process);
      }
    } finally {
      this.report({ kind: request.op, outcome: verdict, seconds: (performance.now() - started) / 1000 });
    }
  }

  private report(call: SandboxCallReport): void {
    try {
      this.options.onCall?.(call);
    } catch {
      // Metrics must never fail a call.
    }
  }

  stats(): PoolStats {
    return {
      size: this.rules.poolSize,
      live: this.live,
      idle: this.idle.length,
      queued: this.waiters.length,
      ...this.counters,
      snapshot: this.snapshotPath,
      snapshotMadeMs: this.snapshotMadeMs,
      bootMs: [...this.bootMs],
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) waiter.reject(new Error('sandbox pool closed'));
    const all = [...this.idle.splice(0), ...this.busy];
    await Promise.all(all.map((p) => new Promise<void>((resolve) => (p.onExit(resolve), p.kill()))));
    // The root cgroup is shared by every pool of this process; cgroup.ts removes it at exit.
  }

  private nextName(): string {
    processSerial += 1;
    return `p${processSerial}`;
  }

  /** The snapshot path, touched so pruning sees it in use; null (cold start) if it was removed meanwhile. */
  private usableSnapshot(): string | null {
    if (!this.snapshotPath) return null;
    try {
      const now = new Date();
      utimesSync(this.snapshotPath, now, now);
      return this.snapshotPath;
    } catch {
      this.warn(`start-up snapshot ${this.snapshotPath} is gone; new processes cold-start`);
      this.snapshotPath = null;
      return null;
    }
  }

  private warn(message: string): void {
    if (this.options.logger) this.options.logger.warn({ component: 'sandbox' }, message);
    else process.stderr.write(`god sandbox: warning: ${message}\n`);
  }

  private acquire(): Promise<SandboxProcess> {
    if (this.closed) return Promise.reject(new Error('sandbox pool closed'));
    const ready = this.idle.pop();
    if (ready) {
      this.busy.add(ready);
      return Promise.resolve(ready);
    }
    // Starting here (rather than only on exit) also retries after a run of failed starts emptied the pool.
    if (this.live < this.rules.poolSize) this.spawnOne();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private release(process: SandboxProcess): void {
    this.busy.delete(process);
    if (this.closed || !process.alive) return;
    if (process.calls >= this.rules.callsPerProcess) {
      process.kill();
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) {
      this.busy.add(process);
      waiter.resolve(process);
    } else this.idle.push(process);
  }

  private spawnOne(): void {
    if (this.closed) return;
    this.live += 1;
    const options: ProcessOptions = {
      ...this.baseOptions,
      name: this.nextName(),
      childConfig: { ...this.baseOptions.childConfig, loadSnapshotPath: this.usableSnapshot() },
    };
    SandboxProcess.start(options).then(
      ({ process }) => {
        this.failures = 0;
        this.counters.started += 1;
        this.bootMs.push(process.bootMs);
        if (this.bootMs.length > 100) this.bootMs.shift();
        process.onExit(() => {
          this.live -= 1;
          const at = this.idle.indexOf(process);
          if (at >= 0) this.idle.splice(at, 1);
          this.busy.delete(process);
          this.spawnOne();
        });
        if (this.closed) process.kill();
        else this.release(process);
      },
      (error: Error) => {
        this.live -= 1;
        this.failures += 1;
        this.warn(`sandbox process failed to start (${this.failures} in a row): ${error.message}`);
        if (this.failures >= 3 && this.live === 0) {
          for (const waiter of this.waiters.splice(0)) waiter.reject(error);
          this.failures = 0;
          return;
        }
        setTimeout(() => this.spawnOne(), 500).unref();
      },
    );
  }
}
