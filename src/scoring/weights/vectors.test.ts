import { describe, expect, it } from 'vitest';
import { adapters } from './vectors.ts';
import { checkCase, loadVectorFile } from '../task/vector-test-kit.ts';
import type { RuleSetName } from '../../conformance/types.ts';

const FILES: [string, RuleSetName][] = [
  ['a7e666d7___normalise_scores.json', 'ref-2025-08'],
  ['a7e666d7__get_task_work_score.json', 'ref-2025-08'],
  ['a7e666d7__get_period_scores_from_results.json', 'ref-2025-08'],
  ['a7e666d7__get_period_scores_from_task_results.json', 'ref-2025-08'],
  ['a7e666d7__detect_suspicious_nodes.json', 'ref-2025-08'],
  ['a7e666d7__get_organic_proportion.json', 'ref-2025-08'],
  ['a7e666d7__calculate_weight_redistribution.json', 'ref-2025-08'],
  ['a7e666d7__get_tournament_burn_details.json', 'ref-2025-08'],
  ['a7e666d7__get_node_weights_from_period_scores.json', 'ref-2025-08'],
  ['fiber-2.1.0___normalize_and_quantize_weights.json', 'fiber-2.1.0'],
];

describe.each(FILES)('%s', (file, ruleSet) => {
  const vf = loadVectorFile(file);
  const adapter = adapters.find((a) => a.fn === vf.function);
  it('has an adapter for the rule set', () => expect(adapter?.ruleSets).toContain(ruleSet));
  it.each(vf.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { mismatch } = checkCase(adapter!, c, ruleSet);
    expect(mismatch).toBeNull();
  });
});

describe('adapters report what the original raised on inputs the folder may not hold', () => {
  const run = (fn: string, input: unknown) => adapters.find((a) => a.fn === fn)!.run(input as never, 'ref-2025-08');
  it('empty normalisation, null parameter count, all-zero and negative-uid weights', () => {
    expect(run('_normalise_scores', { quality_scores: [] })).toEqual({ error: 'AssertionError', message: 'Period scores list cannot be empty' });
    expect(run('get_task_work_score', { hours_to_complete: 1, model_id: 'm', model_params_count: null })).toMatchObject({ error: 'TypeError' });
    expect(run('get_task_work_score', { hours_to_complete: 1, model_id: '', model_params_count: 0 })).toEqual({ error: 'AssertionError', message: 'Model ID must be present' });
    expect(run('_normalize_and_quantize_weights', { node_ids: [0, 1], node_weights: [0, 0] })).toEqual({ uids: [], weights_u16: [] });
    expect(run('_normalize_and_quantize_weights', { node_ids: [-1], node_weights: [1] })).toMatchObject({ error: 'ValueError' });
  });
  it('flags D-weights-2 by rule and expects the original on the cleaned input', () => {
    const task = (hours: number) => ({ hours_to_complete: hours, model_id: 'org/m-7B', model_params_count: 0, task_type: 'DpoTask', is_organic: false, created_at: '2025-08-20T00:00:00+00:00' });
    const input = { task_results: [{ task: task(2), node_scores: [{ hotkey: 'a', quality_score: 3 }] }, { task: task(0), node_scores: [{ hotkey: 'b', quality_score: 3 }] }], weight_multiplier: 1 };
    const adapter = adapters.find((a) => a.fn === 'get_period_scores_from_results')!;
    expect(adapter.deviation!(input as never, 'ref-2025-08')?.id).toBe('D-weights-2');
    expect(adapter.run(input as never, 'ref-2025-08')).toEqual(adapter.expectedFixed!(input as never, 'ref-2025-08'));
    expect((adapter.run(input as never, 'ref-2025-08') as { hotkey: string }[]).map((p) => p.hotkey)).toEqual(['a']);
  });
});
