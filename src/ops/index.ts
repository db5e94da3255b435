/** Operations: Prometheus metrics, `/metrics` and `/health` on every role's server, and `god doctor`'s checks. See docs/operations.md. */
export { createMetrics, ROLES, type GodMetrics, type MetricsOptions, type Role } from './metrics.ts';
export { fail, formatChecks, ok, overall, runCheck, runChecks, warn, type CheckOutcome, type CheckResult, type CheckStatus, type HealthCheck } from './health.ts';
export { HealthResponseSchema, mountOperations, type MountOptions } from './mount.ts';
export {
  CLOCK_OK_SECONDS,
  chainCheck,
  clockCheck,
  databaseCheck,
  httpPeerOf,
  judgeSkew,
  keysCheck,
  sampleClock,
  storageCheck,
  storageUrls,
  type ClockSample,
  type DbTargetInfo,
  type KeySource,
} from './doctor.ts';
