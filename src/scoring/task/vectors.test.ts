import { describe, expect, it } from 'vitest';
import { adapters } from './vectors.ts';
import { checkCase, loadVectorFile } from './vector-test-kit.ts';

const FILES = [
  'a7e666d7__calculate_miner_ranking_and_scores.json',
  'a7e666d7__score_task_with_duplicate_handling.json',
  'a7e666d7__calculate_weighted_loss.json',
  'a7e666d7___calculate_weighted_loss_for_image_eval.json',
  'a7e666d7___is_synth_loss_valid_for_group.json',
];

describe.each(FILES)('%s', (file) => {
  const vf = loadVectorFile(file);
  const adapter = adapters.find((a) => a.fn === vf.function);
  it('has an adapter', () => expect(adapter).toBeDefined());
  it.each(vf.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { mismatch } = checkCase(adapter!, c, 'ref-2025-08');
    expect(mismatch).toBeNull();
  });
});

describe('D-task-1 is recognised by rule', () => {
  it('flags exactly the ranking cases where the original raised', () => {
    for (const file of FILES.slice(0, 2)) {
      const vf = loadVectorFile(file);
      const adapter = adapters.find((a) => a.fn === vf.function)!;
      for (const c of vf.cases) {
        const raised = typeof c.output === 'object' && c.output !== null && 'error' in c.output;
        expect(checkCase(adapter, c, 'ref-2025-08').deviation !== null, c.name).toBe(raised);
      }
    }
  });
});
