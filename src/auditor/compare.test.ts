import { describe, expect, it } from 'vitest';
import { compareWeights, denseOf, pairsToSparse } from './compare.ts';

describe('compareWeights', () => {
  const expected = { uids: [1, 2, 5], weights: [65535, 1000, 7] };

  it('matches only when every uid holds exactly the expected u16, absent meaning 0', () => {
    expect(compareWeights({ expected, onChain: pairsToSparse([[1, 65535], [2, 1000], [5, 7]]) })).toEqual({ match: true, differences: [], publishedInconsistentUids: [] });
    // A zero weight carried by set_weights is the same as the chain dropping it.
    expect(compareWeights({ expected: { uids: [1, 3], weights: [65535, 0] }, onChain: pairsToSparse([[1, 65535]]) }).match).toBe(true);
    // One unit off is a mismatch (cosine similarity would call it 0.99999…).
    const off = compareWeights({ expected, onChain: pairsToSparse([[1, 65535], [2, 1001], [5, 7]]) });
    expect(off.differences).toEqual([{ uid: 2, hotkey: null, expected: 1000, onChain: 1001, published: null, reason: 'chain_differs_from_recomputed' }]);
  });

  it('names the reason from which of the three vectors agree', () => {
    const hotkeys = ['v', 'a', 'b', 'c', 'd', 'e'];
    const onChain = pairsToSparse([[1, 65535], [2, 999], [3, 10], [5, 8]]);
    const published = { uids: [1, 2, 3, 5], weights: [65535, 1000, 10, 9] };
    const r = compareWeights({ expected, onChain, published, hotkeys });
    expect(r.match).toBe(false);
    expect(r.differences).toEqual([
      { uid: 2, hotkey: 'b', expected: 1000, onChain: 999, published: 1000, reason: 'chain_differs_from_published' },
      { uid: 3, hotkey: 'c', expected: 0, onChain: 10, published: 10, reason: 'published_weights_not_backed_by_scores' },
      { uid: 5, hotkey: 'e', expected: 7, onChain: 8, published: 9, reason: 'all_three_differ' },
    ]);
    expect(r.publishedInconsistentUids).toEqual([3, 5]);
  });

  it('reports a published vector that disagrees even where the chain matches the recomputation', () => {
    const r = compareWeights({ expected, onChain: pairsToSparse([[1, 65535], [2, 1000], [5, 7]]), published: { uids: [1, 2], weights: [65535, 1000] } });
    expect(r.match).toBe(true);
    expect(r.publishedInconsistentUids).toEqual([5]);
  });

  it('densifies sparse vectors', () => {
    expect([...denseOf({ uids: [4, 2], weights: [3, 9] })]).toEqual([
      [4, 3],
      [2, 9],
    ]);
  });
});
