/** What the task page shows of a task's events, pure: the statuses reached and each miner's latest progress. */

export interface TaskEvent {
  id: number;
  task_id: string;
  event_type: string;
  from_status: string | null;
  to_status: string | null;
  actor: string | null;
  detail: Record<string, unknown>;
  created_at: string;
}

/** The statuses an organic task passes through on its way to success (validator.md §3). */
export const FLOW = ['pending', 'preparing_data', 'looking_for_nodes', 'ready', 'training', 'preevaluation', 'evaluating', 'success'];
const FAILED = new Set(['failure', 'prep_task_failure', 'failure_finding_nodes', 'node_training_failure']);

export interface MinerProgress {
  hotkey: string;
  status: string;
  step: number | null;
  totalSteps: number | null;
  loss: number | null;
}

export interface Progress {
  status: string;
  failed: boolean;
  reached: Set<string>;
  miners: Map<string, MinerProgress>;
}

const numberOr = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function progressOf(initialStatus: string, events: readonly TaskEvent[]): Progress {
  let status = initialStatus;
  const reached = new Set<string>(['pending']);
  const miners = new Map<string, MinerProgress>();
  for (const e of [...events].sort((a, b) => a.id - b.id)) {
    if (e.to_status) {
      status = e.to_status;
      if (e.from_status) reached.add(e.from_status);
      reached.add(e.to_status);
    }
    if (e.event_type === 'training_progress' && typeof e.detail.hotkey === 'string') {
      const d = e.detail;
      miners.set(d.hotkey as string, {
        hotkey: d.hotkey as string,
        status: typeof d.status === 'string' ? d.status : 'training',
        step: numberOr(d.step),
        totalSteps: numberOr(d.total_steps ?? d.totalSteps),
        loss: numberOr(d.loss),
      });
    }
  }
  // A later status implies the earlier ones of the happy path (events before the page opened may be missing).
  const at = FLOW.indexOf(status);
  for (let i = 0; i < at; i++) reached.add(FLOW[i]!);
  return { status, failed: FAILED.has(status), reached, miners };
}
