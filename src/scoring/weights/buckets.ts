/**
 * From the week's task results to every PeriodScore (`get_period_scores_from_task_results` and its helpers in
 * weight_setting.py; scoring.md §2.4): 1/3/7-day windows × task-type groups × organic/synthetic buckets, with the
 * organic share and the suspicious-node check per group.
 */
import { scoringRulesRef2025_08, type ScoringRules } from '../../core/rules/scoring.ts';
import type { TaskType } from '../../core/enums.ts';
import { MICROS_PER_DAY } from './numeric.ts';
import { PreparedTasks, aggregatePrepared, scorableTaskResults } from './period-scores.ts';
import type { PeriodScore, TaskResult } from './types.ts';

/** A task-type group and its share of regular emission. */
export interface TaskTypeGroup {
  /** In the order the group's bucket is assembled: the original iterates a Python set here; we fix Instruct first. */
  readonly types: readonly TaskType[];
  readonly weight: number;
}

export function taskTypeGroups(rules: ScoringRules = scoringRulesRef2025_08): TaskTypeGroup[] {
  return [
    { types: ['InstructTextTask', 'ChatTask'], weight: rules.instructTextTaskScoreWeight },
    { types: ['DpoTask'], weight: rules.dpoTaskScoreWeight },
    { types: ['ImageTask'], weight: rules.imageTaskScoreWeight },
    { types: ['GrpoTask'], weight: rules.grpoTaskScoreWeight },
  ];
}

function cutoff(now: number, days: number): number {
  return now - days * MICROS_PER_DAY;
}

/** `get_organic_proportion`: organic share of the group's tasks created after now − days (0.0 when none). */
export function organicProportion(
  taskResults: readonly TaskResult[],
  taskTypes: readonly TaskType[],
  now: number,
  days: number,
): number {
  const after = cutoff(now, days);
  let organic = 0;
  let total = 0;
  for (const { task } of taskResults) {
    if (task.createdAt > after && taskTypes.includes(task.taskType)) {
      total++;
      if (task.isOrganic) organic++;
    }
  }
  return total > 0 ? organic / total : 0.0;
}

function suspiciousAmong(
  prepared: PreparedTasks,
  taskTypes: readonly TaskType[],
  now: number,
  days: number,
  rules: ScoringRules,
): Set<string> {
  const after = cutoff(now, days);
  const organicIdx: number[] = [];
  const synthIdx: number[] = [];
  prepared.taskResults.forEach(({ task }, t) => {
    if (taskTypes.includes(task.taskType) && task.createdAt > after) (task.isOrganic ? organicIdx : synthIdx).push(t);
  });
  const organicScores = aggregatePrepared(prepared, organicIdx, 1.0, rules);
  const synthScores = aggregatePrepared(prepared, synthIdx, 1.0, rules);

  // Synthetic jobs per hotkey: one per kept row on a synthetic task of the window.
  const synthJobs = new Int32Array(prepared.hotkeys.length);
  for (const t of synthIdx) {
    for (let r = prepared.rowStart[t]!; r < prepared.rowStart[t + 1]!; r++) {
      const id = prepared.hotkeyIds[r]!;
      synthJobs[id] = synthJobs[id]! + 1;
    }
  }
  const idOf = new Map(prepared.hotkeys.map((h, i) => [h, i]));
  const synthByHotkey = new Map(synthScores.map((s) => [s.hotkey, s]));

  const minJobs = rules.minSynthJobsRequiredPerDay * days;
  const suspicious = new Set<string>();
  for (const o of organicScores) {
    const synth = synthByHotkey.get(o.hotkey);
    if (synthJobs[idOf.get(o.hotkey)!]! < minJobs) suspicious.add(o.hotkey);
    else if (synth === undefined) suspicious.add(o.hotkey);
    else if (o.averageScore > synth.averageScore + rules.suspiciousStdFactor * synth.stdScore) suspicious.add(o.hotkey);
  }
  return suspicious;
}

/**
 * `detect_suspicious_nodes`: a hotkey with an organic score in the window is suspicious when it ran fewer than
 * 3 synthetic jobs per day of the window, when it has no synthetic score, or when its organic average beats its
 * synthetic average by more than half a synthetic std dev. Returned in detection order.
 */
export function detectSuspiciousNodes(
  taskResults: readonly TaskResult[],
  taskTypes: readonly TaskType[],
  now: number,
  days: number,
  rules: ScoringRules = scoringRulesRef2025_08,
): Set<string> {
  return suspiciousAmong(new PreparedTasks(scorableTaskResults(taskResults), rules), taskTypes, now, days, rules);
}

/**
 * `get_period_scores_from_task_results` with the clock at `now` (µs): every PeriodScore in production order —
 * windows (1, 3, 7 days) × groups (Instruct+Chat, DPO, Image, GRPO) × organic bucket then synthetic bucket.
 * multiplier = window weight · group weight · organic share (or 1 − share); suspicious hotkeys' organic
 * multipliers are 0. A bucket without tasks contributes nothing. Unscorable tasks are left out (D-weights-2).
 */
export function periodScoresFromTaskResults(
  taskResults: readonly TaskResult[],
  now: number,
  rules: ScoringRules = scoringRulesRef2025_08,
): PeriodScore[] {
  return periodScoresFromScorableTaskResults(scorableTaskResults(taskResults), now, rules);
}

/** As periodScoresFromTaskResults without D-weights-2's filter: raises where the original raises. */
export function periodScoresFromScorableTaskResults(
  taskResults: readonly TaskResult[],
  now: number,
  rules: ScoringRules = scoringRulesRef2025_08,
): PeriodScore[] {
  if (taskResults.length === 0) return [];
  const prepared = new PreparedTasks(taskResults, rules);
  const groups = taskTypeGroups(rules).map((g) => {
    // The original assembles a group's bucket type by type (Instruct tasks, then Chat tasks).
    const organic: number[] = [];
    const synth: number[] = [];
    for (const type of g.types) {
      taskResults.forEach(({ task }, t) => {
        if (task.taskType === type) (task.isOrganic ? organic : synth).push(t);
      });
    }
    return {
      ...g,
      organic,
      synth,
      organicShare: organicProportion(taskResults, g.types, now, rules.organicWindowDays),
      suspicious: suspiciousAmong(prepared, g.types, now, rules.organicWindowDays, rules),
    };
  });
  const windowWeights = [rules.oneDayScoreWeight, rules.threeDayScoreWeight, rules.sevenDayScoreWeight];
  const inWindow = (idx: number[], after: number) => idx.filter((t) => taskResults[t]!.task.createdAt > after);
  const all: PeriodScore[] = [];
  rules.periodWindowDays.forEach((days, w) => {
    const after = cutoff(now, days);
    const windowWeight = windowWeights[w]!;
    for (const g of groups) {
      const synthShare = 1 - g.organicShare;
      if (g.organicShare > 0) {
        const scores = aggregatePrepared(prepared, inWindow(g.organic, after), windowWeight * g.weight * g.organicShare, rules);
        for (const s of scores) if (g.suspicious.has(s.hotkey)) s.weightMultiplier = 0.0;
        for (const s of scores) all.push(s);
      }
      if (synthShare > 0) {
        for (const s of aggregatePrepared(prepared, inWindow(g.synth, after), windowWeight * g.weight * synthShare, rules)) {
          all.push(s);
        }
      }
    }
  });
  return all;
}
