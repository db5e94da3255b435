import { describe, expect, it } from 'vitest';
import type { AnyTask } from '../core/models/tasks.ts';
import { hideWhileInFlight, taskDetailsSchema, toTaskDetails } from './views.ts';

const base = {
  task_id: '8a4e3f0c-5d1b-4c2a-9e7f-0123456789ab',
  is_organic: true,
  model_id: 'm/base',
  ds: 'org/data',
  account_id: '00000000-0000-0000-0000-000000000001',
  hours_to_complete: 2,
  created_at: '2025-08-01T00:00:00.000Z',
  test_data: 'https://x/test',
  training_data: 'https://x/train',
  trained_model_repository: null,
};

describe('hiding while in flight', () => {
  it('hides data URLs, dataset and synthetic data of every text type (chat too) until a terminal status', () => {
    for (const type of ['InstructTextTask', 'DpoTask', 'GrpoTask', 'ChatTask'] as const) {
      const task = { ...base, task_type: type, status: 'training', synthetic_data: 'https://x/synth' } as unknown as AnyTask;
      expect(hideWhileInFlight(task)).toMatchObject({ ds: 'Hidden', test_data: null, training_data: null, synthetic_data: null });
      const done = { ...task, status: 'success' } as AnyTask;
      expect(hideWhileInFlight(done)).toBe(done);
      expect(hideWhileInFlight(done, true)).toMatchObject({ ds: 'Hidden' });
    }
  });

  it('replaces image pairs by one hidden pair; unknown statuses count as in flight', () => {
    const image = { ...base, task_type: 'ImageTask', status: 'something_new', image_text_pairs: [{ image_url: 'a', text_url: 'b' }] } as unknown as AnyTask;
    expect(hideWhileInFlight(image)).toMatchObject({ image_text_pairs: [{ image_url: 'hidden', text_url: 'hidden' }], ds: 'Hidden' });
    const legacy = { ...image, status: 'node_training_failure' } as AnyTask;
    expect(hideWhileInFlight(legacy)).toBe(legacy);
  });
});

describe('TaskDetails', () => {
  it('renders chat tasks (the original has no chat details) and legacy statuses', () => {
    const chat = { ...base, task_type: 'ChatTask', status: 'idle', chat_template: null, chat_column: 'conversations' } as unknown as AnyTask;
    const details = toTaskDetails(chat);
    expect(taskDetailsSchema.parse(details)).toMatchObject({ task_type: 'ChatTask', chat_template: 'chatml', chat_column: 'conversations', status: 'idle', ds_repo: 'org/data' });
  });

  it('maps termination_at to finished_at and model_id to base_model_repository', () => {
    const t = { ...base, task_type: 'ImageTask', status: 'success', termination_at: '2025-08-01T02:00:00.000Z', model_type: 'flux', image_text_pairs: [] } as unknown as AnyTask;
    expect(toTaskDetails(t)).toMatchObject({ finished_at: '2025-08-01T02:00:00.000Z', base_model_repository: 'm/base', model_type: 'flux' });
  });
});
