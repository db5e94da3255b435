/**
 * Exact comparison of weight vectors, u16 for u16 (the original's auditor uses cosine similarity > 0.98, which
 * lets a validator move up to a few percent of emission unnoticed). Three vectors take part: what the scores
 * file implies (recomputed), what the validator says it sent (the file's `weights`, when present) and what the
 * chain holds (`Weights(netuid, uid)`). Which of them agree tells the reason of each difference.
 */

/** A sparse vector as the chain and `set_weights` carry it. */
export interface SparseWeights {
  uids: readonly number[];
  weights: readonly number[];
}

export type DifferenceReason =
  /** The validator set what it published, but the published task results do not produce it. */
  | 'published_weights_not_backed_by_scores'
  /** The file is self-consistent, but the chain holds something else for this uid. */
  | 'chain_differs_from_published'
  /** All three disagree. */
  | 'all_three_differ'
  /** No published vector to compare with (a file from the original validator): recomputed ≠ chain. */
  | 'chain_differs_from_recomputed';

export interface WeightDifference {
  uid: number;
  /** Hotkey at this uid in the current metagraph, when known. */
  hotkey: string | null;
  expected: number;
  onChain: number;
  /** What the file says was sent; null when the file has no `weights` block. */
  published: number | null;
  reason: DifferenceReason;
}

export interface Comparison {
  match: boolean;
  differences: WeightDifference[];
  /** Uids where the published vector differs from the recomputed one (whatever the chain holds). */
  publishedInconsistentUids: number[];
}

/** Dense lookup: uid → weight (absent = 0, as the chain drops zero weights). */
export function denseOf(v: SparseWeights): Map<number, number> {
  const m = new Map<number, number>();
  v.uids.forEach((uid, i) => m.set(uid, (m.get(uid) ?? 0) + (v.weights[i] ?? 0)));
  return m;
}

export function pairsToSparse(pairs: readonly (readonly [number, number])[]): SparseWeights {
  return { uids: pairs.map(([u]) => u), weights: pairs.map(([, w]) => w) };
}

function reasonOf(expected: number, onChain: number, published: number | null): DifferenceReason {
  if (published === null) return 'chain_differs_from_recomputed';
  if (published === onChain) return 'published_weights_not_backed_by_scores';
  if (published === expected) return 'chain_differs_from_published';
  return 'all_three_differ';
}

export function compareWeights(input: {
  expected: SparseWeights;
  onChain: SparseWeights;
  published?: SparseWeights | null;
  hotkeys?: readonly string[];
}): Comparison {
  const expected = denseOf(input.expected);
  const onChain = denseOf(input.onChain);
  const published = input.published ? denseOf(input.published) : null;
  const uids = [...new Set([...expected.keys(), ...onChain.keys(), ...(published?.keys() ?? [])])].sort((a, b) => a - b);
  const differences: WeightDifference[] = [];
  const publishedInconsistentUids: number[] = [];
  for (const uid of uids) {
    const e = expected.get(uid) ?? 0;
    const c = onChain.get(uid) ?? 0;
    const p = published ? (published.get(uid) ?? 0) : null;
    if (p !== null && p !== e) publishedInconsistentUids.push(uid);
    if (e === c) continue;
    differences.push({ uid, hotkey: input.hotkeys?.[uid] ?? null, expected: e, onChain: c, published: p, reason: reasonOf(e, c, p) });
  }
  return { match: differences.length === 0, differences, publishedInconsistentUids };
}

/** What each reason means, for reports. */
export const REASON_TEXT: Record<DifferenceReason, string> = {
  published_weights_not_backed_by_scores: 'the validator set what it published, but its published task results do not produce that weight',
  chain_differs_from_published: 'the published file is self-consistent, but the chain holds a different weight (set from other data, or changed after publishing)',
  all_three_differ: 'recomputed, published and on-chain weights all differ',
  chain_differs_from_recomputed: 'the on-chain weight differs from the weight recomputed from the published task results',
};
