/**
 * One container job as plain data, and the backend interface that runs it (Docker Engine API on one host,
 * Kubernetes Jobs on a cluster). A job gets files placed in an input folder, runs one command, and hands back at
 * most one output file; everything a backend needs to know is in the spec, so the same spec runs on both.
 */
export type InputSource = { url: string; unzip?: boolean } | { bytes: Uint8Array };

/** A file placed in the input folder before the command starts. `unzip` extracts the archive into the folder. */
export interface InputFile {
  name: string;
  source: InputSource;
}

export interface ContainerJobSpec {
  /** Unique per run, DNS-1123 label safe (lowercase alphanumerics and '-', ≤ 63). */
  name: string;
  image: string;
  /** The full command line (no image CMD defaults: Kubernetes needs it to wrap the command). */
  command: readonly string[];
  env: Readonly<Record<string, string>>;
  /** Container path of the input folder; mounted read-only once the inputs are in place. */
  inputDir: string;
  inputs: readonly InputFile[];
  /** Container paths that get the shared model cache (read-write, shared between jobs). */
  cacheDirs: readonly string[];
  /** Container paths the command writes to (needed when the root filesystem is read-only). */
  writableDirs: readonly string[];
  /** The program writes all over its install folder, so the root filesystem cannot be read-only. */
  rootfsWritable: boolean;
  /** The one file read back after a clean exit, or null when the job has no result file. */
  outputPath: string | null;
  /** GPUs for the job: exact ids on Docker, the count on Kubernetes (the scheduler picks the devices). */
  gpuIds: readonly number[];
  network: 'none' | 'default';
  /** Limit on the run itself; the backend kills the job past it and throws ContainerTimeoutError. */
  timeoutMs: number;
  labels: Readonly<Record<string, string>>;
}

export interface ContainerRunResult {
  exitCode: number;
  /** Content of `outputPath` after the run; null when the file does not exist or the job has none. */
  output: Buffer | null;
  /** The last lines the container printed, newest last. */
  logTail: string[];
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Every line the container prints, as it arrives (Docker) or after the run (Kubernetes). */
  onLine?: (line: string) => void;
}

export interface ContainerBackend {
  readonly kind: 'docker' | 'kubernetes';
  /**
   * Runs the job to its end and cleans up after it. Throws ContainerInputError, ContainerStartError,
   * ContainerTimeoutError or ContainerAbortedError; a non-zero exit is returned, not thrown.
   */
  run(spec: ContainerJobSpec, options?: RunOptions): Promise<ContainerRunResult>;
}

/** A lowercase DNS-1123 label from a prefix and a random suffix (container, Job and pod names). */
export function jobName(prefix: string, suffix: string): string {
  const clean = `${prefix}-${suffix}`.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-');
  return clean.slice(0, 63).replace(/^-+|-+$/g, '') || 'god-job';
}

/** Keeps the newest `max` lines. */
export class LogTail {
  readonly lines: string[] = [];
  constructor(private readonly max = 200) {}
  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.max) this.lines.shift();
  }
}
