/**
 * One audit of one validator (miner-protocol-chain.md §9, with netuid, uid and host as parameters instead of the
 * original's hard-coded 56/190/api.gradients.io): read its scores URL and file, recompute the weights, read what
 * its uid holds on the chain, compare exactly, and optionally check every task of the file against the
 * validator's own public per-task details. Never sets weights (the original's `audit.py` copies them to its own
 * hotkey; that is a separate decision for an operator).
 */
import { systemClock, type Clock } from '../clock/index.ts';
import type { Chain } from '../chain/types.ts';
import { scoringRulesRef2025_08, type ScoringRules } from '../core/rules/scoring.ts';
import { isoToMicros } from '../scoring/weights/index.ts';
import { compareWeights, pairsToSparse, type SparseWeights, type WeightDifference } from './compare.ts';
import { AuditError, getJson, redactUrl, type GetJsonOptions } from './http.ts';
import { RecomputeError, recomputeWeights } from './recompute.ts';
import { PublicTaskSchema, ScoresFileSchema, ScoresUrlSchema, type ScoresFile } from './schema.ts';

export type AuditChain = Pick<Chain, 'getNodes' | 'getUid' | 'getWeights' | 'getBlock' | 'lastUpdate'>;

export interface AuditOptions {
  /** Base URL of the validator's public API (serves `/auditing/*`). */
  validatorUrl: string;
  chain: AuditChain;
  netuid: number;
  /** The audited validator's hotkey (SS58). */
  hotkey: string;
  /** The rule set the validator scores with (default: the reference rules, as `god validator` uses). */
  rules?: ScoringRules;
  clock?: Pick<Clock, 'now'>;
  /** Cross-check up to this many of the file's tasks against `/auditing/tasks/{task_id}` (0: none). */
  checkTasks?: number;
  timeoutMs?: number;
  /** Largest scores file accepted (default 256 MiB). */
  maxFileBytes?: number;
  fetch?: typeof fetch;
}

export interface TaskProblem {
  task_id: string;
  problem: string;
}

export interface AuditReport {
  /** True when the chain, the published vector and the recomputation agree exactly and every checked task does. */
  ok: boolean;
  netuid: number;
  validatorHotkey: string;
  validatorUid: number;
  block: number;
  /** Block of the validator's last weight setting (`LastUpdate`). */
  lastUpdate: number | null;
  /** Without its query (presigned URLs carry signatures). */
  scoresUrl: string;
  taskCount: number;
  recomputed: SparseWeights & { periodScores: number; splitSource: string; split: { tournament: number; regular: number; burn: number }; computedAt: string };
  published: (SparseWeights & { createdAt: string; versionKey: number; netuid: number }) | null;
  onChain: SparseWeights;
  differences: WeightDifference[];
  /** Uids where the file's own `weights` block disagrees with what its task results produce. */
  publishedInconsistentUids: number[];
  taskChecks: { checked: number; problems: TaskProblem[] } | null;
  notes: string[];
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024;

function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path}`;
}

async function chainRead<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new AuditError('chain', `could not read ${what} from the chain: ${(err as Error).message}`, { cause: err });
  }
}

function sameInstant(a: string, b: string): boolean {
  try {
    return isoToMicros(a) === isoToMicros(b);
  } catch {
    return false;
  }
}

/** Compares one task of the file with the validator's public details of it. */
export async function checkTask(result: ScoresFile['task_results'][number], base: string, http: GetJsonOptions): Promise<TaskProblem[]> {
  const id = result.task.task_id;
  let task;
  try {
    task = (await getJson(joinUrl(base, `/auditing/tasks/${encodeURIComponent(id)}`), PublicTaskSchema, `task ${id}`, http)).data;
  } catch (err) {
    if (err instanceof AuditError && err.status === 404) return [{ task_id: id, problem: 'the scores file names a task the validator does not publish (404)' }];
    throw err;
  }
  const problems: string[] = [];
  const t = result.task;
  if (task.status !== 'success') problems.push(`published status is ${task.status}, but only successful tasks are scored`);
  if (task.task_type !== t.task_type) problems.push(`task_type ${t.task_type} in the file, ${task.task_type} published`);
  if (task.is_organic !== t.is_organic) problems.push(`is_organic ${t.is_organic} in the file, ${task.is_organic} published`);
  if (task.model_id !== t.model_id) problems.push(`model_id ${t.model_id} in the file, ${task.model_id} published`);
  if (task.hours_to_complete != null && task.hours_to_complete !== t.hours_to_complete) problems.push(`hours_to_complete ${t.hours_to_complete} in the file, ${task.hours_to_complete} published`);
  if (!sameInstant(task.created_at, t.created_at)) problems.push(`created_at ${t.created_at} in the file, ${task.created_at} published`);
  const publicScores = new Map(task.hotkey_details.map((d) => [d.hotkey, d.quality_score]));
  for (const n of result.node_scores) {
    if (!publicScores.has(n.hotkey)) problems.push(`hotkey ${n.hotkey} has a score in the file but none published`);
    else if (publicScores.get(n.hotkey) !== n.quality_score) problems.push(`hotkey ${n.hotkey}: quality_score ${n.quality_score} in the file, ${publicScores.get(n.hotkey)} published`);
  }
  const inFile = new Set(result.node_scores.map((n) => n.hotkey));
  for (const d of task.hotkey_details) {
    // The weight setter keeps only scores ≥ 1 or < 0 (scoring.md §2.1); a kept score missing from the file changes weights.
    if (d.quality_score !== null && (d.quality_score >= 1 || d.quality_score < 0) && !inFile.has(d.hotkey)) {
      problems.push(`hotkey ${d.hotkey} has a counted quality_score ${d.quality_score} published, but none in the file`);
    }
  }
  return problems.map((problem) => ({ task_id: id, problem }));
}

async function checkTasks(file: ScoresFile, base: string, http: GetJsonOptions, limit: number): Promise<{ checked: number; problems: TaskProblem[] }> {
  const todo = file.task_results.slice(0, limit);
  const problems: TaskProblem[][] = new Array(todo.length);
  let next = 0;
  // A few requests at a time: a week of tasks is hundreds of requests, and the validator's API is rate limited.
  const worker = async () => {
    while (next < todo.length) {
      const i = next++;
      problems[i] = await checkTask(todo[i]!, base, http);
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, todo.length) }, worker));
  return { checked: todo.length, problems: problems.flat() };
}

export async function auditOnce(options: AuditOptions): Promise<AuditReport> {
  const rules = options.rules ?? scoringRulesRef2025_08;
  const clock = options.clock ?? systemClock;
  const base: GetJsonOptions = { timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxBytes: 1024 * 1024, ...(options.fetch ? { fetch: options.fetch } : {}) };
  const { netuid, hotkey, chain } = options;

  const { url } = (await getJson(joinUrl(options.validatorUrl, '/auditing/scores-url'), ScoresUrlSchema, 'the scores URL', { ...base, badRequestIsNoScores: true })).data;
  // A relative URL (a validator serving its own blobs) resolves against the validator's base.
  const scoresUrl = new URL(url, options.validatorUrl.replace(/\/*$/, '/')).toString();
  const file = (await getJson(scoresUrl, ScoresFileSchema, 'the scores file', { ...base, maxBytes: options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES })).data;

  const uid = await chainRead(`the uid of ${hotkey}`, () => chain.getUid(netuid, hotkey));
  if (uid === null) throw new AuditError('not_registered', `validator hotkey ${hotkey} is not registered on netuid ${netuid}`);
  const [nodes, pairs, block, lastUpdate] = await Promise.all([
    chainRead(`the metagraph of netuid ${netuid}`, () => chain.getNodes(netuid)),
    chainRead(`Weights(${netuid}, ${uid})`, () => chain.getWeights(netuid, uid)),
    chainRead('the block number', () => chain.getBlock()),
    chainRead(`LastUpdate(${netuid})`, () => chain.lastUpdate(netuid)),
  ]);
  const hotkeys: string[] = [];
  for (const n of nodes) hotkeys[n.node_id] = n.hotkey;
  for (let i = 0; i < hotkeys.length; i++) hotkeys[i] ??= '';

  let recomputed;
  try {
    recomputed = recomputeWeights({ file, metagraphHotkeys: hotkeys, rules, fallbackNowMs: clock.now() });
  } catch (err) {
    if (err instanceof RecomputeError) throw new AuditError('cannot_recompute', err.message, { cause: err });
    throw err;
  }
  const notes = [...recomputed.notes];
  const published = file.weights ?? null;
  if (published && published.netuid !== netuid) notes.push(`the file's weights were set on netuid ${published.netuid}, not ${netuid}`);
  if (published && published.version_key !== rules.versionKey) notes.push(`the file's version_key is ${published.version_key}; the rules say ${rules.versionKey}`);

  const expected = { uids: recomputed.uids, weights: recomputed.weightsU16 };
  const publishedSparse = published ? { uids: published.uids, weights: published.weights } : null;
  const onChain = pairsToSparse(pairs);
  const comparison = compareWeights({ expected, onChain, published: publishedSparse, hotkeys });
  if (pairs.length === 0) notes.push(`uid ${uid} holds no weights on the chain`);
  const tasks = (options.checkTasks ?? 0) > 0 ? await checkTasks(file, options.validatorUrl, base, options.checkTasks ?? 0) : null;
  if (tasks && tasks.checked < file.task_results.length) notes.push(`checked ${tasks.checked} of ${file.task_results.length} tasks against the public task details`);

  const ok =
    comparison.match &&
    comparison.publishedInconsistentUids.length === 0 &&
    (tasks?.problems.length ?? 0) === 0 &&
    (published === null || published.netuid === netuid);
  return {
    ok,
    netuid,
    validatorHotkey: hotkey,
    validatorUid: uid,
    block,
    lastUpdate: lastUpdate[uid] ?? null,
    scoresUrl: redactUrl(scoresUrl),
    taskCount: file.task_results.length,
    recomputed: {
      ...expected,
      periodScores: recomputed.periodScoreCount,
      splitSource: recomputed.splitSource,
      split: { tournament: recomputed.split.tournamentWeight, regular: recomputed.split.regularWeight, burn: recomputed.split.burnWeight },
      computedAt: new Date(Math.floor(recomputed.nowMicros / 1000)).toISOString(),
    },
    published: published ? { uids: published.uids, weights: published.weights, createdAt: published.created_at, versionKey: published.version_key, netuid: published.netuid } : null,
    onChain,
    differences: comparison.differences,
    publishedInconsistentUids: comparison.publishedInconsistentUids,
    taskChecks: tasks,
    notes,
  };
}
