/**
 * Reading a Kubernetes Job the same way for the evaluation backend (src/k8s/backend.ts) and the trainer executor
 * (src/trainer/k8s/executor.ts): its status by conditions, and the pod it created by label.
 */
import { ApiException, type BatchV1Api, type CoreV1Api, type V1Job, type V1Pod } from '@kubernetes/client-node';

export type JobStatus =
  /** 404: deleted, or never created. */
  | { kind: 'gone' }
  /** Still running, or the API answered with a transient error (the caller's deadlines still apply). */
  | { kind: 'active' }
  | { kind: 'complete' }
  | { kind: 'failed'; reason: string; message: string };

/** The Job's state from its `Complete` / `Failed` conditions. */
export function jobStatusOf(job: V1Job): Exclude<JobStatus, { kind: 'gone' }> {
  const conditions = job.status?.conditions ?? [];
  const failed = conditions.find((c) => c.type === 'Failed' && c.status === 'True');
  if (failed) return { kind: 'failed', reason: failed.reason ?? 'Failed', message: failed.message ?? '' };
  if (conditions.some((c) => c.type === 'Complete' && c.status === 'True')) return { kind: 'complete' };
  return { kind: 'active' };
}

export async function readJobStatus(batch: BatchV1Api, namespace: string, name: string): Promise<JobStatus> {
  let job: V1Job;
  try {
    job = await batch.readNamespacedJobStatus({ name, namespace });
  } catch (err) {
    if (err instanceof ApiException && err.code === 404) return { kind: 'gone' };
    return { kind: 'active' };
  }
  return jobStatusOf(job);
}

/** The (single, `backoffLimit: 0`) pod of a Job, found by the label both manifests put on it; null when none yet. */
export async function podOfJob(core: CoreV1Api, namespace: string, label: string, jobName: string): Promise<V1Pod | null> {
  try {
    const list = await core.listNamespacedPod({ namespace, labelSelector: `${label}=${jobName}` });
    return list.items[0] ?? null;
  } catch {
    return null;
  }
}

/** Waits `ms` between polls, or less when `signal` aborts (the caller then sees the abort and stops). */
export function pollPause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const t = setTimeout(done, Math.max(0, ms));
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
