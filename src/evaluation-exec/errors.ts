/**
 * Typed failures of one container job. The evaluation executor turns them into a repo's error text (isolated
 * runs) or a failed run (shared containers); callers can branch on `kind` without matching message text.
 */
export type ContainerJobErrorKind = 'input' | 'start' | 'exit' | 'timeout' | 'results' | 'aborted' | 'backend';

export class ContainerJobError extends Error {
  override name = 'ContainerJobError';
  constructor(
    readonly kind: ContainerJobErrorKind,
    message: string,
    /** The last lines the container printed, newest last (empty when it never ran). */
    readonly logTail: readonly string[] = [],
  ) {
    super(message);
  }
}

/** The inputs (dataset download, unzip) could not be prepared; nothing ran. */
export class ContainerInputError extends ContainerJobError {
  override name = 'ContainerInputError';
  constructor(message: string) {
    super('input', message);
  }
}

/** The backend refused or failed to create/start the container (missing image, bad request, quota). */
export class ContainerStartError extends ContainerJobError {
  override name = 'ContainerStartError';
  constructor(message: string) {
    super('start', message);
  }
}

export class ContainerExitError extends ContainerJobError {
  override name = 'ContainerExitError';
  constructor(
    readonly exitCode: number,
    logTail: readonly string[],
    what = 'container',
  ) {
    super('exit', `${what} exited with status ${exitCode}${logTail.length ? `: ${logTail[logTail.length - 1]}` : ''}`, logTail);
  }
}

/** The job ran past its limit and was killed (Docker) or its Job deleted (Kubernetes). */
export class ContainerTimeoutError extends ContainerJobError {
  override name = 'ContainerTimeoutError';
  constructor(
    readonly timeoutMs: number,
    logTail: readonly string[] = [],
    what = 'container',
  ) {
    super('timeout', `${what} did not finish within ${timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`} and was killed`, logTail);
  }
}

/** The container exited 0 but its result file is missing, not JSON, or not the documented shape. */
export class MalformedResultsError extends ContainerJobError {
  override name = 'MalformedResultsError';
  constructor(message: string, logTail: readonly string[] = []) {
    super('results', `malformed results file: ${message}`, logTail);
  }
}

export class ContainerAbortedError extends ContainerJobError {
  override name = 'ContainerAbortedError';
  constructor() {
    super('aborted', 'container job stopped by the caller');
  }
}
