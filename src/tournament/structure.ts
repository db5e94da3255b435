/**
 * The tournament's pure rules over plain data (tournament spec §3): entrant ranking, round layout, the next
 * round's entrants, tasks per round, GPU requirement, identifiers. The loops in lifecycle.ts and orchestrator.ts
 * only read the database, call these, and write the result.
 */
import type { GpuRequirement, GpuType, TaskType, TournamentType } from '../core/enums.ts';
import type { TournamentRules } from '../core/rules/tournament.ts';
import type { RoundLayout } from '../db/queries/tournament-lifecycle.ts';
import { hex16, shuffled, weightedIndex, type Random } from '../validator/rng.ts';

// ---------------------------------------------------------------- entry (§3.3)

/** `calculate_boosted_stake`: +5 % per completed tournament entered, at most +25 %. */
export function boostedStake(alphaStake: number, completedEntries: number, rules: Pick<TournamentRules, 'repeatBoostPercentPerEntry' | 'repeatBoostMaxPercent'>): number {
  const boost = Math.min(completedEntries * rules.repeatBoostPercentPerEntry, rules.repeatBoostMaxPercent);
  return alphaStake * (1 + boost / 100);
}

export interface Responder {
  hotkey: string;
  alphaStake: number;
  completedEntries: number;
  trainingRepo: string;
  commitHash: string;
}

/**
 * The entrants: responders by boosted stake, highest first, the top N kept. Equal boosted stakes keep the order
 * the responders were asked in (the original's stable sort over its node list).
 */
export function selectEntrants(responders: readonly Responder[], rules: TournamentRules): Responder[] {
  return responders
    .map((r, i) => ({ r, i, boosted: boostedStake(r.alphaStake, r.completedEntries, rules) }))
    .sort((a, b) => b.boosted - a.boosted || a.i - b.i)
    .slice(0, rules.topNByStake)
    .map((x) => x.r);
}

// ---------------------------------------------------------------- round layout (§3.4, §3.10)

/**
 * `organise_tournament_round`: up to `maxMinersForKnockout` entrants play knockout pairs (an odd count gets the
 * champion placeholder added, or removed when it is already in); more play groups of about `expectedGroupSize`,
 * merged while groups would be smaller than `minGroupSize`.
 */
export function organiseRound(entrants: readonly string[], random: Random, rules: TournamentRules, burnHotkey: string): RoundLayout {
  const players = shuffled(random, entrants);
  if (players.length <= rules.maxMinersForKnockout) {
    let hotkeys = [...players];
    if (hotkeys.length % 2 === 1) {
      if (hotkeys.includes(burnHotkey)) hotkeys = hotkeys.filter((h) => h !== burnHotkey);
      else hotkeys.push(burnHotkey);
    }
    hotkeys = shuffled(random, hotkeys);
    const pairs: [string, string][] = [];
    for (let i = 0; i + 1 < hotkeys.length; i += 2) pairs.push([hotkeys[i]!, hotkeys[i + 1]!]);
    return { kind: 'knockout', pairs: shuffled(random, pairs) };
  }
  const n = players.length;
  let groups = Math.ceil(n / rules.expectedGroupSize);
  if (n / groups < rules.minGroupSize) groups = Math.max(1, Math.ceil(n / rules.expectedGroupSize - 1));
  const base = Math.floor(n / groups);
  const extra = n % groups;
  const reshuffled = shuffled(random, players);
  const out: string[][] = [];
  let at = 0;
  for (let g = 0; g < groups; g++) {
    const size = base + (g < extra ? 1 : 0);
    out.push(reshuffled.slice(at, at + size));
    at += size;
  }
  return { kind: 'group', groups: shuffled(random, out) };
}

export type NextRound =
  | { kind: 'round'; entrants: string[]; isFinal: boolean }
  /** Nobody is left to challenge: the champion's code (the placeholder) keeps the title. */
  | { kind: 'champion-retains' };

/**
 * `create_next_round`'s entrant rule: one winner meets the placeholder in the final; two winners one of whom is the
 * placeholder also make the final; an odd count gets the placeholder added (or dropped when it is in). The original
 * built a round with no pairs when the placeholder was the only winner, and the tournament stalled (spec §10);
 * here that case ends the tournament with the champion retaining.
 */
export function nextRound(winners: readonly string[], burnHotkey: string): NextRound {
  const unique = [...new Set(winners)];
  if (unique.length === 0 || (unique.length === 1 && unique[0] === burnHotkey)) return { kind: 'champion-retains' };
  if (unique.length === 1) return { kind: 'round', entrants: [unique[0]!, burnHotkey], isFinal: true };
  if (unique.length === 2 && unique.includes(burnHotkey)) return { kind: 'round', entrants: unique, isFinal: true };
  if (unique.length % 2 === 1) {
    if (unique.includes(burnHotkey)) return { kind: 'round', entrants: unique.filter((h) => h !== burnHotkey), isFinal: false };
    return { kind: 'round', entrants: [...unique, burnHotkey], isFinal: false };
  }
  return { kind: 'round', entrants: unique, isFinal: false };
}

// ---------------------------------------------------------------- tasks per round (§3.6)

/** What one round task is: its type and the model size range it draws from (billions of parameters). */
export interface TaskSpec {
  taskType: TaskType;
  /** Draw from the big-model range (12–71 B). */
  big: boolean;
  /** Explicit size range (a replacement task sized like the one it replaces). */
  paramsRangeB?: readonly [number, number];
}

export interface MixRules {
  instructTaskProbability: number;
  dpoTaskProbability: number;
  grpoTaskProbability: number;
}

/** A knockout pair's text task type: instruct, DPO or GRPO in proportion to the synthetic task mix. */
export function knockoutTextType(random: Random, mix: MixRules): TaskType {
  const types: TaskType[] = ['InstructTextTask', 'DpoTask', 'GrpoTask'];
  return types[weightedIndex(random, [mix.instructTaskProbability, mix.dpoTaskProbability, mix.grpoTaskProbability])]!;
}

/**
 * The tasks one group or pair plays, by slot: text groups 1 instruct + 1 DPO + 1 GRPO; a knockout pair one task of
 * a drawn type; the boss round a big-model instruct, a DPO and a GRPO; image rounds only image tasks.
 */
export function slotSpecs(
  type: TournamentType,
  container: 'group' | 'pair',
  isFinal: boolean,
  random: Random,
  rules: TournamentRules,
  mix: MixRules,
): TaskSpec[] {
  const image = (n: number): TaskSpec[] => Array.from({ length: n }, () => ({ taskType: 'ImageTask', big: false }));
  if (type === 'image') {
    if (container === 'group') return image(rules.imageTasksPerGroup);
    return image(isFinal ? rules.finalRoundImageTasks : rules.knockoutPairTasks);
  }
  const oneOfEach = (bigInstruct: boolean, n: number): TaskSpec[] => {
    const base: TaskSpec[] = [
      { taskType: 'InstructTextTask', big: bigInstruct },
      { taskType: 'DpoTask', big: false },
      { taskType: 'GrpoTask', big: false },
    ];
    return Array.from({ length: n }, (_, i) => base[i % base.length]!);
  };
  if (container === 'group') return oneOfEach(false, rules.textTasksPerGroup);
  if (isFinal) return oneOfEach(true, rules.finalRoundTextTasks);
  return Array.from({ length: rules.knockoutPairTasks }, () => ({ taskType: knockoutTextType(random, mix), big: false }));
}

/**
 * A replacement's size range (§3.7): image tasks any image model; text tasks 0.8–1.2× the failed task's model, or
 * the default 1–10 B range when that model was under 1 B (or its size is unknown).
 */
export function replacementSpec(taskType: TaskType, paramsCount: number | null, rules: TournamentRules): TaskSpec {
  if (taskType === 'ImageTask') return { taskType, big: false };
  const b = (paramsCount ?? 0) / 1e9;
  if (b < 1) return { taskType, big: false, paramsRangeB: [rules.defaultModelMinParamsB, rules.defaultModelMaxParamsB] };
  return { taskType, big: false, paramsRangeB: [b * rules.replacementSizeMinFactor, b * rules.replacementSizeMaxFactor] };
}

// ---------------------------------------------------------------- GPUs (§3.6)

/** `get_tournament_gpu_requirement`: image A100; text by effective size (DPO ×3, GRPO ×2) 4 / 12 / 40 B thresholds. */
export function gpuRequirement(taskType: string, paramsCount: number | null, rules: TournamentRules): GpuRequirement {
  if (taskType === 'ImageTask') return 'A100';
  let b = (paramsCount ?? 0) / 1e9;
  if (taskType === 'DpoTask') b *= rules.dpoParamsMultiplier;
  else if (taskType === 'GrpoTask') b *= rules.grpoParamsMultiplier;
  if (b <= rules.oneH100MaxParamsB) return '1xH100';
  if (b <= rules.twoH100MaxParamsB) return '2xH100';
  if (b <= rules.fourH100MaxParamsB) return '4xH100';
  return '8xH100';
}

/** How many GPUs of which types a requirement books. */
export function gpuNeed(req: GpuRequirement, rules: TournamentRules): { count: number; types: readonly GpuType[] } {
  if (req === 'A100') return { count: 1, types: rules.imageGpuTypes };
  return { count: Number(req.split('x')[0]), types: rules.textGpuTypes };
}

export interface FreeGpu {
  trainerIp: string;
  gpuId: number;
  gpuType: string;
}

/**
 * Picks a trainer with enough free GPUs of an allowed type: the one left with the fewest free GPUs after the
 * booking (best fit, as HEAD does, so big jobs still find whole machines), ties by trainer address; the lowest
 * GPU ids on it. Null when no trainer has enough.
 */
export function pickGpus(free: readonly FreeGpu[], need: { count: number; types: readonly string[] }): { trainerIp: string; gpuIds: number[] } | null {
  const byTrainer = new Map<string, number[]>();
  for (const g of free) {
    if (!need.types.includes(g.gpuType)) continue;
    const list = byTrainer.get(g.trainerIp) ?? [];
    list.push(g.gpuId);
    byTrainer.set(g.trainerIp, list);
  }
  let best: { trainerIp: string; gpuIds: number[]; spare: number } | null = null;
  for (const [trainerIp, ids] of [...byTrainer].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    if (ids.length < need.count) continue;
    const spare = ids.length - need.count;
    if (best === null || spare < best.spare) best = { trainerIp, gpuIds: [...ids].sort((a, b) => a - b).slice(0, need.count), spare };
  }
  return best && { trainerIp: best.trainerIp, gpuIds: best.gpuIds };
}

// ---------------------------------------------------------------- identifiers (§1.2)

/** `tourn_<16 hex>_<YYYYMMDD>` (UTC date). */
export function newTournamentId(random: Random, now: Date): string {
  const d = now.toISOString().slice(0, 10).replace(/-/g, '');
  return `tourn_${hex16(random)}_${d}`;
}

export function roundId(tournamentId: string, roundNumber: number): string {
  return `${tournamentId}_round_${String(roundNumber).padStart(3, '0')}`;
}

/** Published winner repository name: `god-<type>-<tournament_id>-position-<n>` with `_` → `-`. */
export function publishedRepoName(type: TournamentType, tournamentId: string, position: number): string {
  return `god-${type}-${tournamentId}-position-${position}`.replace(/_/g, '-');
}
