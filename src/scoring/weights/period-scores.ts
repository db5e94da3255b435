/**
 * Per-bucket aggregation and normalisation (`get_period_scores_from_results`, `_normalise_scores`; scoring.md
 * §2.3): each hotkey's work-weighted sum of quality scores times its average, squashed through a sigmoid and
 * normalised so a bucket sums to 1.
 */
import { scoringRulesRef2025_08, type ScoringRules } from '../../core/rules/scoring.ts';
import { check } from '../task/errors.ts';
import { npMean, npStd, pySum } from './numeric.ts';
import type { PeriodScore, TaskResult } from './types.ts';
import { hasWorkScore, taskWorkScore } from './work-score.ts';

/**
 * `_normalise_scores`: for q > 0, 0.7·sigmoid(9·(q/max − 0.5))^0.75 + 0.05·q/max, then divided by the bucket's
 * total; q ≤ 0 (or every q ≤ 0) gives 0. Mutates and returns the same objects, like the original.
 * An empty list is a ScoringError (the original asserts); callers never pass one.
 */
export function normaliseScores<T extends { readonly qualityScore: number; normalisedScore: number }>(
  periodScores: T[],
  rules: ScoringRules = scoringRulesRef2025_08,
): T[] {
  check(periodScores.length > 0, 'Period scores list cannot be empty');
  // Python's max(): the first element, replaced only by a strictly greater one.
  let max = periodScores[0]!.qualityScore;
  for (const ps of periodScores) if (ps.qualityScore > max) max = ps.qualityScore;
  if (max <= 0) {
    for (const ps of periodScores) ps.normalisedScore = 0.0;
    return periodScores;
  }
  for (const ps of periodScores) {
    const q = ps.qualityScore;
    if (q <= 0) {
      ps.normalisedScore = 0.0;
    } else {
      const x = q / max;
      const sigmoid = 1 / (1 + Math.exp(-rules.sigmoidSteepness * (x - rules.sigmoidShift)));
      ps.normalisedScore = rules.sigmoidWeight * sigmoid ** rules.sigmoidPower + rules.linearWeight * x;
    }
  }
  const total = pySum(periodScores.map((ps) => ps.normalisedScore));
  if (total > 0) for (const ps of periodScores) ps.normalisedScore = ps.normalisedScore / total;
  return periodScores;
}

/**
 * A task result period scoring can use: its work score is defined (hours > 0, a model id, a parameter count)
 * and it has at least one row with a finite quality score. The database read never returns a task without kept
 * rows; the rest is what would make the original raise (D-weights-2).
 */
export function isScorableTask(tr: TaskResult): boolean {
  return hasWorkScore(tr.task) && tr.nodeScores.some((ns) => Number.isFinite(ns.qualityScore));
}

/**
 * The input with D-weights-2 applied: rows with a non-finite quality score dropped, then unscorable tasks
 * dropped, as if the read had not returned them. Returns the same array when nothing is dropped.
 */
export function scorableTaskResults(taskResults: readonly TaskResult[]): readonly TaskResult[] {
  const clean = (tr: TaskResult): TaskResult =>
    tr.nodeScores.every((ns) => Number.isFinite(ns.qualityScore))
      ? tr
      : { task: tr.task, nodeScores: tr.nodeScores.filter((ns) => Number.isFinite(ns.qualityScore)) };
  let changed = false;
  const out: TaskResult[] = [];
  for (const tr of taskResults) {
    const c = clean(tr);
    if (c !== tr) changed = true;
    if (isScorableTask(c)) out.push(c);
    else changed = true;
  }
  return changed ? out : taskResults;
}

/** True when D-weights-2 changes anything for this input. */
export function hasUnscorableTasks(taskResults: readonly TaskResult[]): boolean {
  return scorableTaskResults(taskResults) !== taskResults;
}

/**
 * Task results laid out for aggregation, once per computation: buckets overlap (a task falls into up to four),
 * so hotkeys are numbered once (first-seen order), rows are flattened into typed arrays, and each task's work
 * score is computed on first use — as lazily as the original, which only scores tasks that land in a bucket.
 */
export class PreparedTasks {
  readonly hotkeys: string[] = [];
  /** Rows of task t are rowStart[t] .. rowStart[t+1]. */
  readonly rowStart: Int32Array;
  readonly hotkeyIds: Int32Array;
  readonly quality: Float64Array;
  /** NaN until computed (a defined work score is ≥ 1). */
  private readonly work: Float64Array;

  constructor(
    readonly taskResults: readonly TaskResult[],
    private readonly rules: ScoringRules,
  ) {
    const t = taskResults.length;
    this.rowStart = new Int32Array(t + 1);
    let rows = 0;
    for (let i = 0; i < t; i++) {
      this.rowStart[i] = rows;
      rows += taskResults[i]!.nodeScores.length;
    }
    this.rowStart[t] = rows;
    this.hotkeyIds = new Int32Array(rows);
    this.quality = new Float64Array(rows);
    this.work = new Float64Array(t).fill(NaN);
    const ids = new Map<string, number>();
    let r = 0;
    for (const tr of taskResults) {
      for (const ns of tr.nodeScores) {
        let id = ids.get(ns.hotkey);
        if (id === undefined) {
          id = this.hotkeys.length;
          ids.set(ns.hotkey, id);
          this.hotkeys.push(ns.hotkey);
        }
        this.hotkeyIds[r] = id;
        this.quality[r] = ns.qualityScore;
        r++;
      }
    }
  }

  /** The work score of task t; raises (ScoringError) where the original does. */
  workOf(t: number): number {
    let w = this.work[t]!;
    if (Number.isNaN(w)) {
      w = taskWorkScore(this.taskResults[t]!.task, this.rules);
      this.work[t] = w;
    }
    return w;
  }

  /** Indices of all tasks. */
  all(): Int32Array {
    return Int32Array.from({ length: this.taskResults.length }, (_, i) => i);
  }
}

/**
 * The original's aggregation over the tasks `taskIdx` of `prepared`, unguarded: raises (ScoringError) where the
 * original raises — on a task whose work score is undefined, a NaN quality score, or a non-empty list of tasks
 * without any row.
 *
 * Each hotkey's raw scores are gathered in visit order into one flat array (a counting sort), so numpy's
 * pairwise mean and std run over exactly the sequence the original's list holds.
 */
export function aggregatePrepared(
  prepared: PreparedTasks,
  taskIdx: ArrayLike<number>,
  weightMultiplier: number,
  rules: ScoringRules,
): PeriodScore[] {
  if (taskIdx.length === 0) return [];
  const { rowStart, hotkeyIds, quality } = prepared;
  const h = prepared.hotkeys.length;
  const summed = new Float64Array(h);
  const counts = new Int32Array(h);
  const order: number[] = [];
  let rows = 0;
  for (let k = 0; k < taskIdx.length; k++) {
    const t = taskIdx[k]!;
    const work = prepared.workOf(t);
    const end = rowStart[t + 1]!;
    for (let r = rowStart[t]!; r < end; r++) {
      const q = quality[r]!;
      check(!Number.isNaN(q), 'Quality score cannot be NaN');
      const id = hotkeyIds[r]!;
      if (counts[id] === 0) order.push(id);
      summed[id] = summed[id]! + q * work;
      counts[id] = counts[id]! + 1;
    }
    rows += end - rowStart[t]!;
  }
  check(order.length > 0, 'Node aggregations dictionary cannot be empty');

  const offsets = new Int32Array(h);
  let next = 0;
  for (const id of order) {
    offsets[id] = next;
    next += counts[id]!;
  }
  const raw = new Float64Array(rows);
  const fill = offsets.slice();
  for (let k = 0; k < taskIdx.length; k++) {
    const t = taskIdx[k]!;
    const end = rowStart[t + 1]!;
    for (let r = rowStart[t]!; r < end; r++) {
      const id = hotkeyIds[r]!;
      raw[fill[id]!] = quality[r]!;
      fill[id] = fill[id]! + 1;
    }
  }

  const scratch = new Float64Array(rows);
  const scores: PeriodScore[] = [];
  for (const id of order) {
    const n = counts[id]!;
    const average = npMean(raw, offsets[id]!, n);
    scores.push({
      hotkey: prepared.hotkeys[id]!,
      qualityScore: average < 0 ? 0.0 : summed[id]! * average,
      summedTaskScore: summed[id]!,
      averageScore: average,
      stdScore: npStd(raw, average, offsets[id]!, n, scratch),
      weightMultiplier,
      normalisedScore: 0.0,
    });
  }
  return normaliseScores(scores, rules);
}

/** The original's `get_period_scores_from_results`, unguarded (raises where it raises; see aggregatePrepared). */
export function aggregatePeriodScores(
  taskResults: readonly TaskResult[],
  weightMultiplier: number,
  rules: ScoringRules = scoringRulesRef2025_08,
): PeriodScore[] {
  const prepared = new PreparedTasks(taskResults, rules);
  return aggregatePrepared(prepared, prepared.all(), weightMultiplier, rules);
}

/**
 * `get_period_scores_from_results`: one PeriodScore per hotkey (first-seen order) with
 * quality = Σ(q·work) · mean(q), or 0 when mean(q) < 0; then normalised. Empty input gives [].
 * Unscorable tasks and rows are left out (D-weights-2); the original raises on them instead, which aborts the
 * whole weight-setting round.
 */
export function periodScoresFromResults(
  taskResults: readonly TaskResult[],
  weightMultiplier: number,
  rules: ScoringRules = scoringRulesRef2025_08,
): PeriodScore[] {
  return aggregatePeriodScores(scorableTaskResults(taskResults), weightMultiplier, rules);
}
