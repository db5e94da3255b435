/**
 * Duplicate submissions (`handle_duplicate_submissions` → `zero_duplicate_scores`, scoring.md §1.3): results with
 * exactly equal (test, synth) losses are copies of one model; only one of them keeps its result.
 */
import { scoringRulesRef2025_08, type ScoringRules } from '../../core/rules/scoring.ts';
import type { MinerResult } from './types.ts';

export const DUPLICATE_REASON = 'Duplicated submission';

/** When a repo was last modified on the model hub, in microseconds since the epoch; null when the lookup failed. */
export type UploadTimestampLookup = (repo: string) => number | null;

interface GroupMember {
  readonly hotkey: string;
  readonly repo: string;
}

/**
 * `group_by_losses`: results with a submission and non-NaN losses, grouped by exact (test, synth) equality.
 * Keys compare like Python float tuples: `String` maps -0 and 0 to one key, and every other double to its own.
 */
export function groupByLosses(results: readonly MinerResult[]): Map<string, GroupMember[]> {
  const groups = new Map<string, GroupMember[]>();
  for (const r of results) {
    if (!r.submission || Number.isNaN(r.testLoss) || Number.isNaN(r.synthLoss)) continue;
    const key = `${String(r.testLoss)}|${String(r.synthLoss)}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push({ hotkey: r.hotkey, repo: r.submission.repo });
  }
  return groups;
}

/**
 * The repos whose upload time `handleDuplicateSubmissions` will ask for: members of an identical-loss group in
 * which nobody has a model hash. Lets an async caller fetch just these before the pure call.
 */
export function reposNeedingUploadTimestamps(results: readonly MinerResult[]): string[] {
  const repos: string[] = [];
  for (const members of groupByLosses(results).values()) {
    if (members.length < 2) continue;
    if (members.some((m) => hashOf(results, m.hotkey) !== null)) continue;
    for (const m of members) repos.push(m.repo);
  }
  return repos;
}

/** The model hash of the first result with this hotkey (the original looks results up by hotkey). */
function hashOf(results: readonly MinerResult[], hotkey: string): string | null {
  const r = results.find((x) => x.hotkey === hotkey);
  return r?.submission?.modelHash ? r.submission.modelHash : null;
}

/**
 * `handle_duplicate_submissions`: which hotkeys keep their result (insertion order = first appearance).
 * In a group of identical losses: unhashed members lose to hashed ones; among equal hashes the first keeps it;
 * with no hashes the earliest upload keeps it, and if no upload time is known at all, every member loses
 * (including the original author; scoring.md §6 item 5 — kept as the original's policy).
 */
export function handleDuplicateSubmissions(
  results: readonly MinerResult[],
  uploadTimestamp: UploadTimestampLookup,
): Map<string, boolean> {
  const keep = new Map<string, boolean>();
  for (const r of results) keep.set(r.hotkey, true);

  for (const members of groupByLosses(results).values()) {
    if (members.length < 2) continue;
    const hashed: { hotkey: string; hash: string }[] = [];
    const unhashed: GroupMember[] = [];
    for (const m of members) {
      const hash = hashOf(results, m.hotkey);
      if (hash !== null) hashed.push({ hotkey: m.hotkey, hash });
      else unhashed.push(m);
    }
    if (hashed.length > 0 && unhashed.length > 0) {
      for (const m of unhashed) keep.set(m.hotkey, false);
    }
    if (hashed.length > 1) {
      const byHash = new Map<string, string[]>();
      for (const h of hashed) {
        const list = byHash.get(h.hash);
        if (list) list.push(h.hotkey);
        else byHash.set(h.hash, [h.hotkey]);
      }
      for (const hotkeys of byHash.values()) for (const hk of hotkeys.slice(1)) keep.set(hk, false);
    }
    if (unhashed.length > 1 && hashed.length === 0) {
      let earliest: { hotkey: string; at: number } | null = null;
      for (const m of unhashed) {
        const at = uploadTimestamp(m.repo);
        // min() keeps the first of equal minima.
        if (at !== null && (earliest === null || at < earliest.at)) earliest = { hotkey: m.hotkey, at };
      }
      for (const m of unhashed) if (earliest === null || m.hotkey !== earliest.hotkey) keep.set(m.hotkey, false);
    }
  }
  return keep;
}

/**
 * `zero_duplicate_scores`: a dropped duplicate gets NaN losses, is marked non-finetuned, keeps an existing reason
 * or gets `Duplicated submission`, and scores −1 when a valid kept result remains (else 0.0).
 * A hotkey absent from `keep` counts as kept.
 */
export function zeroDuplicateScores(
  results: readonly MinerResult[],
  keep: ReadonlyMap<string, boolean>,
  rules: ScoringRules = scoringRulesRef2025_08,
): MinerResult[] {
  let remainingValid = 0;
  for (const r of results) {
    if (r.isFinetune && !Number.isNaN(r.testLoss) && keep.get(r.hotkey) === true) remainingValid++;
  }
  return results.map((r) =>
    keep.get(r.hotkey) === false
      ? {
          ...r,
          testLoss: NaN,
          synthLoss: NaN,
          isFinetune: false,
          scoreReason: r.scoreReason || DUPLICATE_REASON,
          score: remainingValid > 0 ? rules.scorePenalty : 0.0,
        }
      : r,
  );
}
