/**
 * `god auditor` without `--once`: audit every `intervalMs` until stopped. An audit that cannot run (validator or
 * chain down, nothing published yet) is logged and retried at the next tick; the loop never throws.
 *
 * A validator sets weights first and publishes the file afterwards (as the original does), so an audit that lands
 * between the two sees the new chain weights next to the previous file; a single mismatch right after the
 * validator's `LastUpdate` moved is therefore reported as `transient` and only a repeat is `mismatch`.
 */
import type { Clock } from '../clock/index.ts';
import type { Logger } from '../log/index.ts';
import type { GodMetrics } from '../ops/metrics.ts';
import { auditOnce, type AuditOptions, type AuditReport } from './audit.ts';
import { AuditError } from './http.ts';

export type LoopOutcome =
  | { kind: 'ok'; report: AuditReport }
  | { kind: 'transient'; report: AuditReport }
  | { kind: 'mismatch'; report: AuditReport }
  | { kind: 'error'; code: string; message: string };

export interface AuditLoopOptions extends AuditOptions {
  clock: Clock;
  log: Logger;
  intervalMs: number;
  signal: AbortSignal;
  onOutcome?: (outcome: LoopOutcome) => void;
  /** `god_audits_total`, one per audit by its outcome (`ok`, `transient`, `mismatch`, `error`). */
  metrics?: Pick<GodMetrics, 'audits'>;
}

export async function auditLoop(options: AuditLoopOptions): Promise<void> {
  let previous: AuditReport | null = null;
  while (!options.signal.aborted) {
    let outcome: LoopOutcome;
    try {
      const report = await auditOnce(options);
      if (report.ok) outcome = { kind: 'ok', report };
      else {
        const justSet = previous !== null && previous.lastUpdate !== report.lastUpdate && previous.scoresUrl === report.scoresUrl;
        outcome = justSet ? { kind: 'transient', report } : { kind: 'mismatch', report };
      }
      previous = report;
    } catch (err) {
      outcome = err instanceof AuditError ? { kind: 'error', code: err.code, message: err.message } : { kind: 'error', code: 'internal', message: (err as Error).message };
    }
    switch (outcome.kind) {
      case 'ok':
        options.log.info({ uid: outcome.report.validatorUid, uids: outcome.report.onChain.uids.length }, 'audit: on-chain weights match the published scores');
        break;
      case 'transient':
        options.log.warn({ differences: outcome.report.differences.length }, 'audit: weights changed since the last audit and the file has not followed yet; checking again next time');
        break;
      case 'mismatch':
        options.log.error({ differences: outcome.report.differences, inconsistent: outcome.report.publishedInconsistentUids, tasks: outcome.report.taskChecks?.problems }, 'audit: MISMATCH');
        break;
      case 'error':
        options.log.warn({ code: outcome.code, err: outcome.message }, 'audit could not run');
        break;
    }
    options.metrics?.audits.inc({ outcome: outcome.kind });
    options.onOutcome?.(outcome);
    try {
      await options.clock.sleep(options.intervalMs, options.signal);
    } catch {
      return;
    }
  }
}
