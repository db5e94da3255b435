/**
 * The Prometheus metrics every role exports (prom-client). One registry per process role, never the library's
 * global one, so several roles in one process (the devnet) and parallel tests keep their numbers apart. Metric
 * names are `god_*`; every series carries a `role` label.
 *
 * The instruments are created up front (one list, below) so each role increments the same names: a counter
 * nobody increments still exports its zero, and dashboards do not depend on which role ran first.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const ROLES = ['validator', 'miner', 'trainer', 'api', 'auditor', 'chain', 'storage', 'devnet'] as const;
export type Role = (typeof ROLES)[number];

/** Seconds: from a quick evaluation on the CPU engine to a multi-hour GPU run. */
const EVALUATION_BUCKETS = [1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 14_400];
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const SANDBOX_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30];

export interface GodMetrics {
  readonly role: Role;
  readonly registry: Registry;
  /** Tasks by status (a gauge the validator/API refreshes from the database; see `setTaskCounts`). */
  readonly tasks: Gauge<'status'>;
  /** Task offers to miners by task type and outcome (`accepted`, `rejected`, `error`, `timeout`). */
  readonly offers: Counter<'task_type' | 'outcome'>;
  /** Evaluation runs by task type and outcome (`ok`, `failed`, `timeout`). */
  readonly evaluationSeconds: Histogram<'task_type' | 'outcome'>;
  /**
   * Python sandbox calls by kind (`validate`, `score`, `restricted`) and outcome (`ok`, `error`, `timeout`); fed by
   * the pool's `onCall` hook through `sandboxCallObserver`.
   */
  readonly sandboxCalls: Counter<'kind' | 'outcome'>;
  readonly sandboxSeconds: Histogram<'kind' | 'outcome'>;
  /** Trainer jobs by state (`training`, `success`, `failure`) and finished jobs by outcome (`success`, `failure`, `timeout`, `cancelled`). */
  readonly trainerJobs: Gauge<'state'>;
  readonly trainerJobsFinished: Counter<'outcome'>;
  /** Weight settings by outcome (`set`, `rate_limited`, `failed`, `nothing_to_set`, `fallback`). */
  readonly weightSets: Counter<'outcome'>;
  /** Audits by outcome (`ok`, `mismatch`, `transient`, `error`). */
  readonly audits: Counter<'outcome'>;
  /** HTTP requests served, by method, route pattern and status code. */
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpSeconds: Histogram<'method' | 'route'>;
  /** Replaces the task gauge with these counts (statuses not listed go to 0, so a drained status does not linger). */
  setTaskCounts(counts: Readonly<Record<string, number>>): void;
  /** Prometheus text exposition format. */
  text(): Promise<string>;
}

export interface MetricsOptions {
  /** Process metrics (CPU, memory, event-loop lag, GC) too; default true. */
  processMetrics?: boolean;
}

export function createMetrics(role: Role, options: MetricsOptions = {}): GodMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ role });
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'god_' });
  const registers = [registry];
  const tasks = new Gauge({ name: 'god_tasks', help: 'Tasks by status', labelNames: ['status'], registers });
  const knownStatuses = new Set<string>();
  return {
    role,
    registry,
    tasks,
    offers: new Counter({ name: 'god_offers_total', help: 'Task offers sent to miners, by task type and outcome', labelNames: ['task_type', 'outcome'], registers }),
    evaluationSeconds: new Histogram({
      name: 'god_evaluation_duration_seconds',
      help: 'Evaluation run durations, by task type and outcome',
      labelNames: ['task_type', 'outcome'],
      buckets: EVALUATION_BUCKETS,
      registers,
    }),
    sandboxCalls: new Counter({ name: 'god_sandbox_calls_total', help: 'Python sandbox calls, by kind and outcome', labelNames: ['kind', 'outcome'], registers }),
    sandboxSeconds: new Histogram({ name: 'god_sandbox_call_duration_seconds', help: 'Python sandbox call durations, by kind and outcome', labelNames: ['kind', 'outcome'], buckets: SANDBOX_BUCKETS, registers }),
    trainerJobs: new Gauge({ name: 'god_trainer_jobs', help: 'Trainer jobs by state', labelNames: ['state'], registers }),
    trainerJobsFinished: new Counter({ name: 'god_trainer_jobs_finished_total', help: 'Finished trainer jobs, by outcome', labelNames: ['outcome'], registers }),
    weightSets: new Counter({ name: 'god_weight_sets_total', help: 'Weight-setting attempts, by outcome', labelNames: ['outcome'], registers }),
    audits: new Counter({ name: 'god_audits_total', help: 'Audits of a validator, by outcome', labelNames: ['outcome'], registers }),
    httpRequests: new Counter({ name: 'god_http_requests_total', help: 'HTTP requests served, by method, route and status', labelNames: ['method', 'route', 'status'], registers }),
    httpSeconds: new Histogram({ name: 'god_http_request_duration_seconds', help: 'HTTP request durations, by method and route', labelNames: ['method', 'route'], buckets: HTTP_BUCKETS, registers }),
    setTaskCounts(counts) {
      for (const status of Object.keys(counts)) knownStatuses.add(status);
      for (const status of knownStatuses) tasks.set({ status }, counts[status] ?? 0);
    },
    text: () => registry.metrics(),
  };
}

/** The sandbox pool's `onCall` hook (src/sandbox `SandboxPoolOptions.onCall`) feeding `god_sandbox_*`. */
export function sandboxCallObserver(metrics: Pick<GodMetrics, 'sandboxCalls' | 'sandboxSeconds'>): (call: { kind: string; outcome: string; seconds: number }) => void {
  return ({ kind, outcome, seconds }) => {
    metrics.sandboxCalls.inc({ kind, outcome });
    metrics.sandboxSeconds.observe({ kind, outcome }, seconds);
  };
}
