/**
 * `npm run bench -- scoring [--runs N]`: the reference weight computation on bench/data/weights_256x10k_input.json
 * (256 hotkeys, 10,000 task results, two scenarios; see bench/data/README.md for the original's figures).
 *
 * Phases, timed apart: parse (JSON.parse of the file), read (the database read's shaping: success tasks of the
 * last 7 days with their kept rows), period scores (step 2), node weights (step 3: burn split, tournament weights,
 * participation, burn), and the floor — a plain loop that only sums the kept rows' scores per hotkey.
 * Writes both weight vectors (float and u16) per scenario to bench/out/.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { TaskType } from '../../src/core/enums.ts';
import { scoringRulesRef2025_08 as rules } from '../../src/core/rules/scoring.ts';
import type { TournamentResults } from '../../src/scoring/tournament/index.ts';
import {
  burnUidWeightBeforeBurn,
  combinedTournamentWeights,
  isoToMicros,
  MICROS_PER_DAY,
  nodeWeightsFromPeriodScores,
  normalizeAndQuantizeWeights,
  periodScoresFromTaskResults,
  tournamentBurnDetails,
  type CompletedTournamentFacts,
  type PeriodScore,
  type TaskResult,
  type TournamentHistory,
} from '../../src/scoring/weights/index.ts';

interface BenchTask {
  task_type: TaskType;
  is_organic: boolean;
  created_at: string;
  hours_to_complete: number;
  model_id: string;
  model_params_count: number;
  status: string;
  nodes: [number, number][];
}
interface BenchFacts {
  tournament_id: string;
  winner_hotkey: string | null;
  base_winner_hotkey: string | null;
  synth_complete: boolean;
  performance_difference: number | null;
}
interface BenchTournament {
  latest: BenchFacts;
  results: { rounds: { round_number: number; is_final_round: boolean; tasks: { winner: string | null }[] }[] };
}
interface BenchInput {
  now: string;
  metagraph_size: number;
  hotkeys: string[];
  tasks: BenchTask[];
  scenarios: { name: string; participants: string[]; tournaments: Partial<Record<'text' | 'image', BenchTournament>> }[];
}

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '15' } }, allowPositionals: true });
const runs = Math.max(1, Number(args.runs));
const root = join(fileURLToPath(import.meta.url), '..', '..', '..');

function time<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const out = fn();
  return [out, performance.now() - t0];
}

function stats(ms: number[]): { min: number; median: number; max: number } {
  const s = [...ms].sort((a, b) => a - b);
  return { min: s[0]!, median: s[Math.floor(s.length / 2)]!, max: s[s.length - 1]! };
}
const fmt = (x: { min: number; median: number; max: number }) =>
  `${x.min.toFixed(2)} / ${x.median.toFixed(2)} / ${x.max.toFixed(2)}`;

/** The database read: success tasks created since now − 7 days with a kept row; only rows ≥ 1 or < 0, as floats. */
function readTaskResults(input: BenchInput, now: number): TaskResult[] {
  const since = now - rules.scoringWindowDays * MICROS_PER_DAY;
  const out: TaskResult[] = [];
  for (const t of input.tasks) {
    const createdAt = isoToMicros(t.created_at);
    if (t.status !== 'success' || createdAt < since) continue;
    const nodeScores = [];
    for (const [idx, q] of t.nodes) if (q >= 1 || q < 0) nodeScores.push({ hotkey: input.hotkeys[idx]!, qualityScore: q });
    if (nodeScores.length === 0) continue;
    out.push({
      task: {
        taskType: t.task_type,
        isOrganic: t.is_organic,
        createdAt,
        hoursToComplete: t.hours_to_complete,
        modelId: t.model_id,
        modelParamsCount: t.model_params_count,
      },
      nodeScores,
    });
  }
  return out;
}

function facts(f: BenchFacts | undefined): CompletedTournamentFacts | null {
  return f
    ? { tournamentId: f.tournament_id, winnerHotkey: f.winner_hotkey, synthComplete: f.synth_complete, performanceDifference: f.performance_difference }
    : null;
}
function results(t: BenchTournament | undefined): TournamentResults | null {
  if (!t) return null;
  return {
    winnerHotkey: t.latest.winner_hotkey,
    baseWinnerHotkey: t.latest.base_winner_hotkey,
    rounds: t.results.rounds.map((r) => ({ roundNumber: r.round_number, isFinalRound: r.is_final_round, tasks: r.tasks })),
  };
}

function nodeWeights(scenario: BenchInput['scenarios'][number], metagraph: string[], periodScores: PeriodScore[]) {
  const history: TournamentHistory = {
    text: { latest: facts(scenario.tournaments.text?.latest) },
    image: { latest: facts(scenario.tournaments.image?.latest) },
  };
  const burn = tournamentBurnDetails(history, rules);
  const input = {
    metagraphHotkeys: metagraph,
    split: burn,
    participants: scenario.participants,
    periodScores,
    tournamentWeights: combinedTournamentWeights(results(scenario.tournaments.text), results(scenario.tournaments.image), rules),
  };
  return { input, burn, weights: nodeWeightsFromPeriodScores(input, rules) };
}

/** The floor: only sum the same kept rows' scores per hotkey (Map, like the original's dict loop). */
function floorLoop(rows: readonly { hotkey: string; qualityScore: number }[]): Map<string, number> {
  const sums = new Map<string, number>();
  for (const r of rows) sums.set(r.hotkey, (sums.get(r.hotkey) ?? 0) + r.qualityScore);
  return sums;
}

const file = join(root, 'bench', 'data', 'weights_256x10k_input.json');
// Parsed once: the original's figures exclude parsing, and a second copy would only inflate peak memory.
const [input, parseMs] = time(() => JSON.parse(readFileSync(file, 'utf8')) as BenchInput);
const rssAfterParseMiB = process.memoryUsage().rss / 2 ** 20;
const now = isoToMicros(input.now);
const metagraph = input.hotkeys.slice(0, input.metagraph_size);
const outDir = join(root, 'bench', 'out');
mkdirSync(outDir, { recursive: true });

const lines: string[] = [];
const summary: string[] = [];
for (const scenario of input.scenarios) {
  const readMs: number[] = [];
  const periodMs: number[] = [];
  const weightsMs: number[] = [];
  const floorMs: number[] = [];
  let last!: ReturnType<typeof nodeWeights>;
  let taskResults: TaskResult[] = [];
  let periodScores: PeriodScore[] = [];
  for (let i = 0; i <= runs; i++) {
    const [trs, tRead] = time(() => readTaskResults(input, now));
    const rows = trs.flatMap((t) => t.nodeScores);
    const [, tFloor] = time(() => floorLoop(rows));
    const [ps, tPeriod] = time(() => periodScoresFromTaskResults(trs, now, rules));
    const [nw, tWeights] = time(() => nodeWeights(scenario, metagraph, ps));
    if (i === 0) continue; // warm-up
    readMs.push(tRead);
    floorMs.push(tFloor);
    periodMs.push(tPeriod);
    weightsMs.push(tWeights);
    [taskResults, periodScores, last] = [trs, ps, nw];
  }
  const computeMs = periodMs.map((p, i) => p + weightsMs[i]!);
  const q = normalizeAndQuantizeWeights(last.weights.nodeIds, last.weights.nodeWeights, rules);
  const floatSum = last.weights.nodeWeights.reduce((a, b) => a + b, 0);
  const outFile = join(outDir, `scoring_${scenario.name}.json`);
  writeFileSync(
    outFile,
    `${JSON.stringify(
      {
        scenario: scenario.name,
        reference_commit: 'a7e666d7',
        split: { tournament: last.burn.tournamentWeight, regular: last.burn.regularWeight, burn: last.burn.burnWeight },
        burn_uid_weight_before_burn: burnUidWeightBeforeBurn(last.input, rules),
        node_ids: last.weights.nodeIds,
        node_weights: last.weights.nodeWeights,
        uids: q.uids,
        weights_u16: q.weightsU16,
      },
      null,
      1,
    )}\n`,
  );
  const c = stats(computeMs);
  const f = stats(floorMs);
  lines.push(
    `${scenario.name}: ${taskResults.length} tasks, ${taskResults.reduce((n, t) => n + t.nodeScores.length, 0)} kept rows, ` +
      `${periodScores.length} period scores, float sum ${floatSum.toFixed(12)}, ${q.uids.length} nonzero u16 → ${outFile}`,
    `  ms min / median / max over ${runs} runs:`,
    `  read           ${fmt(stats(readMs))}`,
    `  period scores  ${fmt(stats(periodMs))}`,
    `  node weights   ${fmt(stats(weightsMs))}`,
    `  compute (2+3)  ${fmt(c)}`,
    `  floor          ${fmt(f)}`,
    `  compute / floor (medians) ${(c.median / f.median).toFixed(1)}×`,
  );
  summary.push(`${scenario.name} compute ${c.median.toFixed(2)} ms = ${(c.median / f.median).toFixed(1)}× floor ${f.median.toFixed(2)} ms`);
}
const rssMiB = process.resourceUsage().maxRSS / 1024;
console.log(`parse (readFile + JSON.parse of ${file}): ${parseMs.toFixed(1)} ms; RSS after parse ${rssAfterParseMiB.toFixed(1)} MiB`);
for (const l of lines) console.log(l);
console.log(`peak RSS ${rssMiB.toFixed(1)} MiB; heap used now ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1)} MiB`);
console.log(`scoring: ${summary.join('; ')}; peak RSS ${rssMiB.toFixed(0)} MiB`);
