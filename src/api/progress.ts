/**
 * Per-miner training progress in the task event log (ours). While a task is `training`, each assigned miner is
 * asked for its progress (our miner's `GET /training_progress/{task_id}`, signed like every validator call);
 * a `training_progress` event is appended whenever a miner's answer changes. Miners that do not answer (the
 * original's miners have no such route) are skipped silently.
 */
import { z } from 'zod';
import type { Timer } from '../clock/index.ts';
import { appendTaskEvent, latestProgress } from '../db/queries/api-events.ts';
import { minerBaseUrl, type CallResult, type GetCall } from '../net/client.ts';
import { now, type ApiContext } from './context.ts';

export interface TrainingNode {
  taskId: string;
  hotkey: string;
  ip: string;
  port: number;
}

/** One miner's progress on one task, or null when it has none to report. */
export type ProgressSource = (node: TrainingNode) => Promise<Record<string, unknown> | null>;

const progressReplySchema = z.object({
  status: z.string(),
  progress: z.record(z.string(), z.unknown()).nullable(),
  finished_at: z.string().nullable().optional(),
});

/** The progress source over a signed miner client (src/net SignedClient or the validator's MinerClient port). */
export function minerProgressSource(client: { get<T = unknown>(call: GetCall<T>): Promise<CallResult<T>> }): ProgressSource {
  return async (node) => {
    const result = await client.get({
      baseUrl: minerBaseUrl(node.ip, node.port),
      minerHotkey: node.hotkey,
      path: `/training_progress/${node.taskId}`,
      schema: progressReplySchema,
    });
    if (result.kind !== 'ok') return null;
    return { status: result.body.status, ...(result.body.progress ?? {}) };
  };
}

/** JSON with object keys sorted: jsonb stores keys in its own order, so plain JSON.stringify would differ. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function same(a: Record<string, unknown> | undefined, b: Record<string, unknown>): boolean {
  return a !== undefined && canonical(a) === canonical(b);
}

export class ProgressPoller {
  private timer: Timer | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = true;

  constructor(
    private readonly ctx: ApiContext,
    private readonly source: ProgressSource,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    await this.running;
  }

  private schedule(): void {
    if (this.stopped || this.timer) return;
    this.timer = this.ctx.clock.setTimer(this.intervalMs, () => {
      this.timer = undefined;
      this.running = this.tick()
        .catch((err: unknown) => this.ctx.log.warn({ err }, 'progress round failed'))
        .finally(() => {
          this.running = undefined;
          this.schedule();
        });
    });
  }

  /** One round over every training task's miners; returns how many events were written. */
  async tick(): Promise<number> {
    const { rows } = await this.ctx.db.query<{ task_id: string; hotkey: string; ip: string; port: number }>(
      `SELECT t.task_id::text AS task_id, tn.hotkey, n.ip, n.port
         FROM tasks t JOIN task_nodes tn ON tn.task_id = t.task_id AND tn.netuid = $1
         JOIN nodes n ON n.hotkey = tn.hotkey AND n.netuid = tn.netuid
        WHERE t.status = 'training' ORDER BY t.started_at NULLS LAST, t.task_id, tn.hotkey LIMIT 2000`,
      [this.ctx.netuid],
    );
    let written = 0;
    const byTask = new Map<string, typeof rows>();
    for (const r of rows) byTask.set(r.task_id, [...(byTask.get(r.task_id) ?? []), r]);
    for (const [taskId, nodes] of byTask) {
      const known = await latestProgress(this.ctx.db, taskId);
      const answers = await Promise.all(
        nodes.map(async (n) => ({ n, p: await this.source({ taskId, hotkey: n.hotkey, ip: n.ip, port: n.port }).catch(() => null) })),
      );
      for (const { n, p } of answers) {
        if (!p) continue;
        const detail = { hotkey: n.hotkey, ...p };
        if (same(known.get(n.hotkey), detail)) continue;
        await appendTaskEvent(this.ctx.db, { taskId, type: 'training_progress', actor: 'progress', detail, now: now(this.ctx) });
        written++;
      }
    }
    return written;
  }
}
