/**
 * What runs a prepared job: the Docker executor (production: the miner's Dockerfile, a container with no network),
 * the Kubernetes executor (a Job per training run on a cluster, src/trainer/k8s/) or the local executor (devnet and tests: the repo's Node entry script under OS isolation). Both receive the same
 * contract arguments and report the same outcomes; the job runner decides success, publishing and status.
 */
import type { TaskType } from '../core/enums.ts';
import type { JobHandle } from './store.ts';

export interface PreparedJob {
  jobId: string;
  taskId: string;
  hotkey: string;
  taskType: TaskType;
  isImage: boolean;
  model: string;
  expectedRepoName: string;
  gpuIds: readonly number[];
  /** Per-job folder holding repo/, cache/ and checkpoints/. */
  jobRoot: string;
  repoDir: string;
  /** The job's read-only input view; `/cache` inside a container. */
  cacheDir: string;
  /** The job's own writable output root; `/app/checkpoints` inside a container. */
  checkpointsDir: string;
  /** `<checkpointsDir>/<task_id>/<expected_repo_name>`: what gets published. */
  outputDir: string;
  /** The contract's CLI arguments (src/trainer/args.ts). */
  args: readonly string[];
  /** Wall-clock budget of the run itself, in ms (hours_to_complete; building has its own timeout). */
  runBudgetMs: number;
  /** Unprivileged identity of this job (local executor). */
  user: { uid: number; gid: number } | null;
  labels: Readonly<Record<string, string>>;
}

export type RunOutcome =
  | { kind: 'exited'; code: number | null; signal: string | null; lastError: string | null }
  /** `during`: the launch step in progress when the deadline hit (local executor), e.g. `running`. */
  | { kind: 'deadline'; during?: string }
  | { kind: 'output_limit'; bytes: number }
  | { kind: 'memory' }
  | { kind: 'start_failed'; error: string };

export interface RunHooks {
  /** One line of the program's (or the build's) output, already length-capped. */
  onLine(stream: 'stdout' | 'stderr' | 'build', line: string): void;
  /** Called as soon as something exists that a restarted trainer must clean up (cgroups, a container). */
  onHandle(handle: JobHandle): Promise<void>;
  /** Progress worth a history log line (`building`, `running`, …). */
  onPhase(phase: 'building' | 'running', message: string): Promise<void>;
  signal: AbortSignal;
}

export interface IsolationLine {
  layer: string;
  active: boolean;
  detail: string;
}

export interface Executor {
  readonly kind: 'local' | 'docker' | 'kubernetes';
  isolation(): IsolationLine[];
  run(job: PreparedJob, hooks: RunHooks): Promise<RunOutcome>;
  /** Kills and removes whatever a dead trainer left running for a job (after a restart). */
  recover(handle: JobHandle): Promise<void>;
}

/** The original's `extract_container_error`: the last line that has a ":" and mentions Error or Exception. */
export function lastErrorLine(lines: readonly string[]): string | null {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    if (line && line.includes(':') && (line.includes('Error') || line.includes('Exception'))) return line;
  }
  return null;
}

/** Splits a byte stream into lines, capping each line's length and the buffered remainder. */
export class LineSplitter {
  private rest = '';
  constructor(
    private readonly maxChars: number,
    private readonly emit: (line: string) => void,
  ) {}

  push(chunk: Buffer | string): void {
    this.rest += chunk.toString();
    let nl: number;
    while ((nl = this.rest.indexOf('\n')) >= 0) {
      this.emit(this.cap(this.rest.slice(0, nl)));
      this.rest = this.rest.slice(nl + 1);
    }
    // A line without newline cannot grow the buffer without bound.
    if (this.rest.length > this.maxChars) {
      this.emit(this.cap(this.rest));
      this.rest = '';
    }
  }

  end(): void {
    if (this.rest) this.emit(this.cap(this.rest));
    this.rest = '';
  }

  private cap(line: string): string {
    const clean = line.replace(/\r$/, '');
    return clean.length > this.maxChars ? `${clean.slice(0, this.maxChars)}…[truncated]` : clean;
  }
}
