/**
 * Subsample, train/test split and multi-dataset balancing (validator.md §5.1, §5.3). Shuffles use a seeded
 * generator (the original seeds with 42) so a task's split is reproducible from its data alone.
 */
import { seededRandom, shuffled, uniform, type Random } from '../rng.ts';

export interface SplitRules {
  testSplitFraction: number;
  maxTestDataPoints: number;
  subsampleMinFraction: number;
  subsampleMaxFraction: number;
  splitSeed: number;
}

/** A random 50–100 % share of one dataset (stops miners memorising whole public sets). */
export function subsample<T>(rows: readonly T[], rules: SplitRules, random: Random): T[] {
  const share = uniform(random, rules.subsampleMinFraction, rules.subsampleMaxFraction);
  return shuffled(seededRandom(rules.splitSeed), rows).slice(0, Math.floor(share * rows.length));
}

/** test = min(int(10 % of rows), 1000), drawn after a seeded shuffle; the rest is train. */
export function trainTestSplit<T>(rows: readonly T[], rules: SplitRules): { train: T[]; test: T[] } {
  const testN = Math.min(Math.floor(rules.testSplitFraction * rows.length), rules.maxTestDataPoints);
  const order = shuffled(seededRandom(rules.splitSeed), rows);
  return { test: order.slice(0, testN), train: order.slice(testN) };
}

/**
 * `load_and_merge_multiple_datasets` balancing: with T rows over k datasets each is capped at T/2, then an equal
 * share of the capped total (remainder spread one each) is drawn from each after a shuffle; the merge is shuffled
 * again.
 */
export function balanceDatasets<T>(datasets: readonly (readonly T[])[], random: Random): T[] {
  const k = datasets.length;
  if (k === 0) return [];
  const total = datasets.reduce((s, d) => s + d.length, 0);
  const capped = datasets.map((d) => shuffled(random, d).slice(0, Math.floor(total / 2) || d.length));
  const cappedTotal = capped.reduce((s, d) => s + d.length, 0);
  const base = Math.floor(cappedTotal / k);
  let remainder = cappedTotal - base * k;
  const merged: T[] = [];
  for (const d of capped) {
    const want = base + (remainder > 0 ? 1 : 0);
    if (remainder > 0) remainder--;
    merged.push(...d.slice(0, want));
  }
  return shuffled(random, merged);
}
