import { describe, expect, it } from 'vitest';
import { cumulativeSeries } from './history.ts';
import { progressOf, type TaskEvent } from './task-progress.ts';

const ev = (id: number, e: Partial<TaskEvent>): TaskEvent => ({ id, task_id: 't', event_type: 'status_changed', from_status: null, to_status: null, actor: null, detail: {}, created_at: '2026-01-01T00:00:00Z', ...e });

describe('task progress from events', () => {
  it('follows status changes in id order and fills in the happy path before the current status', () => {
    const p = progressOf('pending', [ev(3, { from_status: 'ready', to_status: 'training' }), ev(1, { event_type: 'created' })]);
    expect(p.status).toBe('training');
    expect(p.failed).toBe(false);
    expect([...p.reached].sort()).toEqual(['looking_for_nodes', 'pending', 'preparing_data', 'ready', 'training']);
  });

  it("keeps each miner's latest training progress and marks failures", () => {
    const p = progressOf('training', [
      ev(1, { event_type: 'training_progress', detail: { hotkey: 'm1', status: 'training', step: 1, total_steps: 10, loss: 2.5 } }),
      ev(2, { event_type: 'training_progress', detail: { hotkey: 'm1', status: 'training', step: 5, total_steps: 10, loss: 'bad' } }),
      ev(3, { from_status: 'training', to_status: 'failure' }),
    ]);
    expect(p.miners.get('m1')).toEqual({ hotkey: 'm1', status: 'training', step: 5, totalSteps: 10, loss: null });
    expect(p).toMatchObject({ status: 'failure', failed: true });
  });
});

describe('score history', () => {
  it('accumulates each miner\'s scores in time order, skipping bad points', () => {
    const s = cumulativeSeries([
      {
        hotkey: 'm',
        points: [
          { task_id: 'b', at: '2026-01-02T00:00:00Z', quality_score: -1, task_type: 'X' },
          { task_id: 'a', at: '2026-01-01T00:00:00Z', quality_score: 3, task_type: 'X' },
          { task_id: 'c', at: 'not a date', quality_score: 3, task_type: 'X' },
        ],
      },
    ]);
    expect(s).toEqual([{ name: 'm', points: [{ x: Date.parse('2026-01-01T00:00:00Z'), y: 3 }, { x: Date.parse('2026-01-02T00:00:00Z'), y: 2 }] }]);
  });
});
