/**
 * Offer order (validator.md §7.2, `_weighted_random_shuffle`): newcomers and miners that did well today first,
 * with randomness so the same miners do not always win the queue.
 */
import type { ValidatorRules } from '../../core/rules/validator.ts';
import type { DailyParticipation } from '../../db/queries/validator-nodes.ts';
import { weightedIndex, type Random } from '../rng.ts';

/** 2.0 for a hotkey with no scored task today, else max(today's average quality, 0.01). */
export function offerPriority(
  hotkey: string,
  daily: ReadonlyMap<string, DailyParticipation>,
  rules: Pick<ValidatorRules, 'offerScoreNotParticipated' | 'offerScoreFloor'>,
): number {
  const d = daily.get(hotkey);
  if (!d || d.tasks === 0) return rules.offerScoreNotParticipated;
  const avg = d.avg_quality ?? rules.offerScoreFloor;
  return Math.max(avg, rules.offerScoreFloor);
}

/**
 * Sorted by priority (descending, stable), then drawn without replacement with positional weights falling
 * linearly from `offerShuffleTopWeight` (3 − i·2/n). The result's first item is the most favoured draw.
 */
export function weightedRandomShuffle<T extends { hotkey: string }>(
  items: readonly T[],
  daily: ReadonlyMap<string, DailyParticipation>,
  rules: Pick<ValidatorRules, 'offerScoreNotParticipated' | 'offerScoreFloor' | 'offerShuffleTopWeight' | 'offerShuffleWeightSpan'>,
  random: Random,
): T[] {
  const sorted = items
    .map((item, i) => ({ item, i, score: offerPriority(item.hotkey, daily, rules) }))
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .map((x) => x.item);
  const n = sorted.length;
  const weights = sorted.map((_, i) => rules.offerShuffleTopWeight - (i * rules.offerShuffleWeightSpan) / n);
  const remaining = sorted.map((item, i) => ({ item, w: Math.max(weights[i]!, 0) }));
  const out: T[] = [];
  while (remaining.length > 0) {
    const ws = remaining.map((r) => r.w);
    const at = ws.some((w) => w > 0) ? weightedIndex(random, ws) : 0;
    out.push(remaining[at]!.item);
    remaining.splice(at, 1);
  }
  return out;
}

/**
 * The order offers are sent in. The original pops from the end of the shuffled list, so the least favoured
 * miner is asked first (quirk 13.1); we ask the most favoured first unless `offerLeastFavouredFirst` is set
 * (D-validator-1).
 */
export function offerOrder<T extends { hotkey: string }>(
  items: readonly T[],
  daily: ReadonlyMap<string, DailyParticipation>,
  rules: Pick<
    ValidatorRules,
    'offerScoreNotParticipated' | 'offerScoreFloor' | 'offerShuffleTopWeight' | 'offerShuffleWeightSpan' | 'offerLeastFavouredFirst'
  >,
  random: Random,
): T[] {
  const order = weightedRandomShuffle(items, daily, rules, random);
  return rules.offerLeastFavouredFirst ? order.reverse() : order;
}

/** Midnight UTC of the day `now` falls in (the original's `CURRENT_DATE` on a UTC database). */
export function dayStart(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}
