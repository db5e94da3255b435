/**
 * Checks with one vocabulary (ok / warn / fail and a one-line detail), shared by `/health` and `god doctor`.
 * A check that throws is a `fail` with its message; one that takes longer than its budget is a `fail` saying so,
 * so a hung dependency never hangs the health endpoint.
 */
export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckOutcome {
  status: CheckStatus;
  detail: string;
}

export interface CheckResult extends CheckOutcome {
  name: string;
  /** Milliseconds the check took. */
  ms: number;
}

export interface HealthCheck {
  name: string;
  run(signal: AbortSignal): Promise<CheckOutcome>;
}

export function ok(detail: string): CheckOutcome {
  return { status: 'ok', detail };
}
export function warn(detail: string): CheckOutcome {
  return { status: 'warn', detail };
}
export function fail(detail: string): CheckOutcome {
  return { status: 'fail', detail };
}

export async function runCheck(check: HealthCheck, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckOutcome>((resolve) => {
    timer = setTimeout(() => {
      abort.abort();
      resolve(fail(`no answer within ${timeoutMs / 1000} s`));
    }, timeoutMs);
  });
  let outcome: CheckOutcome;
  try {
    outcome = await Promise.race([check.run(abort.signal), timeout]);
  } catch (err) {
    outcome = fail(err instanceof Error ? err.message : String(err));
  } finally {
    clearTimeout(timer);
  }
  return { name: check.name, ...outcome, ms: Math.round(performance.now() - started) };
}

/** Runs the checks concurrently; results in the order given. */
export function runChecks(checks: readonly HealthCheck[], timeoutMs: number): Promise<CheckResult[]> {
  return Promise.all(checks.map((c) => runCheck(c, timeoutMs)));
}

/** The worst status among the results (`ok` for none). */
export function overall(results: readonly CheckResult[]): CheckStatus {
  if (results.some((r) => r.status === 'fail')) return 'fail';
  if (results.some((r) => r.status === 'warn')) return 'warn';
  return 'ok';
}

/** One line per check: `ok    name        detail`. */
export function formatChecks(results: readonly CheckResult[]): string {
  const width = Math.max(0, ...results.map((r) => r.name.length));
  return results.map((r) => `${r.status.padEnd(5)} ${r.name.padEnd(width)}  ${r.detail}`).join('\n') + '\n';
}
