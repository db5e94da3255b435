/**
 * Live task events for the event streams. The database is the only channel between the processes that write
 * events (validator loops, evaluation, the API itself) and the API, so one poller reads new `task_events` rows
 * of the subscribed tasks and hands them to the subscribers in id order.
 *
 * On PostgreSQL a transaction that took an id early can commit after one that took a later id, so a cursor
 * that only moves forward could step over an event. Each poll therefore re-reads `eventLookback` ids behind
 * every subscriber's position, and a subscriber remembers which of those it has already been given.
 */
import type { Clock, Timer } from '../clock/index.ts';
import type { EventRow } from '../db/queries/api-events.ts';
import type { Queryable } from '../db/types.ts';
import type { Logger } from '../log/index.ts';

export type EventListener = (events: EventRow[]) => void;

interface Subscriber {
  taskId: string;
  /** The client's cursor: it has every event with an id at or below this. */
  from: number;
  delivered: number;
  seen: Set<number>;
  listener: EventListener;
}

export interface EventBusOptions {
  db: Queryable;
  clock: Clock;
  log: Logger;
  pollMs: number;
  lookback: number;
  batch?: number;
}

export class EventBus {
  private readonly subscribers = new Set<Subscriber>();
  private timer: Timer | undefined;
  private polling = false;
  private closed = false;

  constructor(private readonly options: EventBusOptions) {}

  get size(): number {
    return this.subscribers.size;
  }

  /**
   * Delivers the task's events with id > `from` as they appear, except those in `given` (what the caller
   * already sent from its own backlog read); returns the unsubscribe function.
   */
  subscribe(taskId: string, from: number, given: readonly number[], listener: EventListener): () => void {
    const sub: Subscriber = { taskId: taskId.toLowerCase(), from, delivered: Math.max(from, ...given), seen: new Set(given), listener };
    this.subscribers.add(sub);
    this.schedule();
    return () => {
      this.subscribers.delete(sub);
    };
  }

  close(): void {
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.subscribers.clear();
  }

  private schedule(): void {
    if (this.closed || this.timer || this.subscribers.size === 0) return;
    this.timer = this.options.clock.setTimer(this.options.pollMs, () => {
      this.timer = undefined;
      void this.poll().finally(() => this.schedule());
    });
  }

  /** One read of every subscribed task's recent events; exposed for tests. */
  async poll(): Promise<void> {
    if (this.polling || this.subscribers.size === 0) return;
    this.polling = true;
    try {
      const subs = [...this.subscribers];
      const taskIds = [...new Set(subs.map((s) => s.taskId))];
      const floor = Math.min(...subs.map((s) => Math.max(s.from, s.delivered - this.options.lookback)));
      const { rows } = await this.options.db.query<EventRow>(
        `SELECT id::int8 AS id, task_id::text AS task_id, event_type, from_status, to_status, actor, detail, created_at
           FROM task_events WHERE task_id = ANY($1::uuid[]) AND id > $2 ORDER BY id LIMIT $3`,
        [taskIds, floor, this.options.batch ?? 2000],
      );
      const events = rows.map((r) => ({ ...r, id: Number(r.id) }));
      for (const sub of subs) {
        if (!this.subscribers.has(sub)) continue;
        const fresh = events.filter((e) => e.task_id === sub.taskId && e.id > sub.from && !sub.seen.has(e.id));
        if (fresh.length === 0) continue;
        for (const e of fresh) {
          sub.seen.add(e.id);
          sub.delivered = Math.max(sub.delivered, e.id);
        }
        const keepAbove = sub.delivered - this.options.lookback;
        for (const id of sub.seen) if (id <= keepAbove) sub.seen.delete(id);
        try {
          sub.listener(fresh);
        } catch (err) {
          this.options.log.warn({ err, task_id: sub.taskId }, 'event listener failed');
        }
      }
    } catch (err) {
      this.options.log.warn({ err }, 'event poll failed');
    } finally {
      this.polling = false;
    }
  }
}
