/**
 * Watching a devnet and finishing a `--once` run: line output of what changes (task status, miner progress,
 * scores), the summary table with each task's base-model loss, and the weights the validator set on the chain.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TaskType } from '../core/enums.ts';
import { getTask } from '../db/queries/tasks.ts';
import { encodeDpo } from '../ml/dpo.ts';
import { evaluateDpoRepos, evaluateInstructRepos } from '../ml/evaluate.ts';
import { DEFAULT_IMG2IMG, diffusionLosses, imageLoss } from '../ml/image/evaluate.ts';
import { readImagePairs } from '../ml/image/folder.ts';
import { loadDenoiser } from '../ml/image/format.ts';
import { resolveModelDir } from '../ml/zoo.ts';
import { chatExamples, dpoRows, instructExamples } from '../validator/evaluation/builtin.ts';
import type { DataRow } from '../validator/ports.ts';
import { datasetTypeOf } from '../validator/training/requests.ts';
import { setWeightsOnce, type WeightsAttempt } from '../validator/weights/loop.ts';
import type { Devnet } from './devnet.ts';
import { baseGrpoScore, gainOverBase } from './grpo.ts';

const FINAL = new Set(['success', 'failure', 'prep_task_failure', 'failure_finding_nodes']);

export interface TaskRow {
  task_id: string;
  task_type: TaskType;
  status: string;
  model_id: string;
  test_data: string | null;
  termination_at: Date | string | null;
}

export interface ResultRow {
  task_id: string;
  hotkey: string;
  quality_score: number | null;
  test_loss: number | null;
  synth_loss: number | null;
  score_reason: string | null;
}

export async function listTasks(dn: Pick<Devnet, 'ctx'>): Promise<TaskRow[]> {
  const { rows } = await dn.ctx.db.query<TaskRow>('SELECT task_id::text AS task_id, task_type, status, model_id, test_data, termination_at FROM tasks ORDER BY created_at, task_id');
  return rows;
}

export async function taskResults(dn: Pick<Devnet, 'ctx'>, taskId: string): Promise<ResultRow[]> {
  const { rows } = await dn.ctx.db.query<ResultRow>(
    'SELECT task_id::text AS task_id, hotkey, quality_score, test_loss, synth_loss, score_reason FROM task_nodes WHERE task_id = $1 ORDER BY quality_score DESC NULLS LAST, hotkey',
    [taskId],
  );
  return rows;
}

export function minerName(dn: Pick<Devnet, 'miners'>, hotkey: string): string {
  return dn.miners.find((m) => m.hotkey === hotkey)?.spec.name ?? hotkey.slice(0, 8);
}

function short(id: string): string {
  return id.slice(0, 8);
}

/** Prints a line for every change it sees, every `intervalMs`, until `signal` aborts. */
export async function watch(dn: Devnet, out: (line: string) => void, signal: AbortSignal, intervalMs = 1000): Promise<void> {
  const started = Date.now();
  const seen = new Map<string, string>();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s`;
  while (!signal.aborted) {
    try {
      for (const t of await listTasks(dn)) {
        if (seen.get(t.task_id) !== t.status) {
          seen.set(t.task_id, t.status);
          let eta = '';
          if (t.status === 'training' && t.termination_at) {
            const left = (new Date(t.termination_at).getTime() - dn.clock.now()) / dn.clock.factor / 1000;
            eta = ` (deadline in ${Math.max(0, left).toFixed(0)}s)`;
          }
          out(`${elapsed()} task ${short(t.task_id)} ${t.task_type.padEnd(16)} → ${t.status}${eta}`);
          if (t.status === 'success' || t.status === 'failure') {
            for (const r of await taskResults(dn, t.task_id)) {
              out(`${elapsed()}   ${minerName(dn, r.hotkey).padEnd(8)} score ${fmt(r.quality_score)} test ${fmt(r.test_loss)} synth ${fmt(r.synth_loss)} ${r.score_reason ?? ''}`);
            }
          }
        }
      }
      for (const m of dn.miners) {
        const { rows } = await m.db.query<{ task_id: string; status: string; progress: Record<string, unknown> | null }>('SELECT task_id, status, progress FROM miner_jobs ORDER BY enqueued_at');
        for (const j of rows) {
          const p = j.progress ?? {};
          const stepText = typeof p.step === 'number' && typeof p.totalSteps === 'number' ? ` step ${p.step}/${p.totalSteps}` : '';
          const lossText = typeof p.loss === 'number' ? ` loss ${p.loss.toFixed(3)}` : '';
          const key = `${m.spec.name}:${j.task_id}`;
          const phase = `${j.status} ${typeof p.phase === 'string' ? p.phase : ''}`;
          // One line per phase change and roughly per quarter of the steps, not per step.
          const quarter = typeof p.step === 'number' && typeof p.totalSteps === 'number' && p.totalSteps > 0 ? Math.floor((4 * p.step) / p.totalSteps) : -1;
          const sig = `${phase}|${quarter}`;
          if (seen.get(key) !== sig) {
            seen.set(key, sig);
            out(`${elapsed()}   miner ${m.spec.name.padEnd(8)} task ${short(j.task_id)} ${phase.trim()}${stepText}${lossText}`);
          }
        }
      }
    } catch {
      // The databases close under us at shutdown.
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

function fmt(v: number | null | undefined, digits = 4): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits);
}

/** Test sets by task id, read while the task runs: the validator deletes its blobs once the task is scored. */
const testSets = new Map<string, Uint8Array>();

async function captureTestSets(dn: Pick<Devnet, 'ctx'>, tasks: readonly TaskRow[]): Promise<void> {
  for (const t of tasks) {
    if (!t.test_data || testSets.has(t.task_id) || FINAL.has(t.status)) continue;
    const bytes = await dn.ctx.fetch(t.test_data).catch(() => null);
    if (bytes) testSets.set(t.task_id, bytes);
  }
}

/** Waits until every task is in a final state (or `timeoutMs` passes). */
export async function waitForFinal(dn: Pick<Devnet, 'ctx'>, timeoutMs: number, signal?: AbortSignal): Promise<TaskRow[]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const tasks = await listTasks(dn);
    await captureTestSets(dn, tasks);
    if (tasks.length > 0 && tasks.every((t) => FINAL.has(t.status))) return tasks;
    if (Date.now() > end) throw new Error(`tasks not finished after ${Math.round(timeoutMs / 1000)}s: ${tasks.map((t) => `${t.task_type}=${t.status}`).join(', ')}`);
    if (signal?.aborted) throw new Error('stopped');
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The base model's loss on a task's test set, by the same evaluator the validator uses. */
export async function baseModelLoss(dn: Pick<Devnet, 'ctx'>, task: TaskRow, home: string): Promise<number | null> {
  const bytes = testSets.get(task.task_id) ?? (task.test_data ? await dn.ctx.fetch(task.test_data) : null);
  if (!bytes) return null;
  // The dataset-type object the validator sends its evaluator: the format fields live in the subtype tables.
  const stored = await getTask(dn.ctx.db, task.task_id);
  const dt = (stored ? datasetTypeOf(stored) : null) ?? {};
  const dir = await resolveModelDir(task.model_id, { home });
  if (task.task_type === 'ImageTask') return baseImageLoss(dir, bytes);
  if (task.task_type === 'GrpoTask') return baseGrpoScore(bytes, task.model_id, dt, home);
  const data = JSON.parse(new TextDecoder().decode(bytes)) as DataRow[];
  const repo = [{ id: 'base', dir }];
  let result: Record<string, unknown>;
  if (task.task_type === 'DpoTask') result = await evaluateDpoRepos(dir, repo, dpoRows(data, dt).map(encodeDpo));
  else if (task.task_type === 'ChatTask') result = await evaluateInstructRepos(dir, repo, chatExamples(data, dt));
  else if (task.task_type === 'InstructTextTask') result = await evaluateInstructRepos(dir, repo, instructExamples(data, dt));
  else return null;
  const r = result.base as { eval_loss?: number } | undefined;
  return typeof r?.eval_loss === 'number' ? r.eval_loss : null;
}

/** The base denoiser with no adapter, scored as the evaluator scores a LoRA (same img2img settings and weighting). */
async function baseImageLoss(baseDir: string, zip: Uint8Array): Promise<number> {
  const work = await mkdtemp(join(tmpdir(), 'god-devnet-base-'));
  try {
    const file = join(work, 'test_data.zip');
    await writeFile(file, zip);
    const tests = await readImagePairs(file);
    return imageLoss(diffusionLosses(await loadDenoiser(baseDir), null, tests, DEFAULT_IMG2IMG));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export interface SummaryLine {
  task: TaskRow;
  baseLoss: number | null;
  results: ResultRow[];
  winner: ResultRow | null;
}

export async function summarize(dn: Devnet, home: string): Promise<SummaryLine[]> {
  const out: SummaryLine[] = [];
  for (const task of await listTasks(dn)) {
    const results = await taskResults(dn, task.task_id);
    const baseLoss = await baseModelLoss(dn, task, home).catch((err: unknown) => {
      process.stderr.write(`base-model loss of ${task.task_id}: ${err instanceof Error ? err.message : String(err)}\n`);
      return null;
    });
    const winner = results.find((r) => (r.quality_score ?? 0) > 0 && r.test_loss !== null) ?? null;
    out.push({ task, baseLoss, results, winner });
  }
  return out;
}

export function summaryTable(dn: Pick<Devnet, 'miners'>, lines: readonly SummaryLine[]): string[] {
  const rows: string[][] = [['task', 'type', 'status', 'miner', 'base loss', 'test loss', 'synth loss', 'vs base', 'score', 'reason']];
  for (const l of lines) {
    if (l.results.length === 0) rows.push([short(l.task.task_id), l.task.task_type, l.task.status, '—', fmt(l.baseLoss), '—', '—', '—', '—', '']);
    for (const r of l.results) {
      const gain = l.baseLoss !== null && r.test_loss !== null && r.test_loss < 100 ? `${gainOverBase(l.task.task_type, r.test_loss, l.baseLoss).toFixed(1)}%` : '—';
      const winner = l.winner === r ? ' *' : '';
      rows.push([short(l.task.task_id), l.task.task_type, l.task.status, `${minerName(dn, r.hotkey)}${winner}`, fmt(l.baseLoss), fmt(r.test_loss), fmt(r.synth_loss), gain, fmt(r.quality_score, 3), (r.score_reason ?? '').slice(0, 60)]);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
}

/** Sets weights once (waiting out a rate limit) and reads back what the chain holds for the validator. */
export async function setAndReadWeights(dn: Devnet, timeoutMs = 60_000): Promise<{ attempt: WeightsAttempt; onChain: [number, number][] }> {
  const end = Date.now() + timeoutMs;
  let attempt = await setWeightsOnce(dn.ctx);
  while (attempt.kind === 'rate_limited' && Date.now() < end) {
    await new Promise((r) => setTimeout(r, Math.min(2000, ((attempt as { blocksRemaining: number }).blocksRemaining + 1) * (dn.chain.blockTimeMs / dn.clock.factor))));
    attempt = await setWeightsOnce(dn.ctx);
  }
  const { weights } = await dn.chain.weights(dn.ctx.netuid, dn.validatorUid);
  return { attempt, onChain: weights };
}

export function weightsTable(dn: Devnet, onChain: readonly [number, number][]): string[] {
  const total = onChain.reduce((s, [, w]) => s + w, 0) || 1;
  return onChain.map(([uid, w]) => {
    const who = uid === dn.validatorUid ? 'alice (validator: burn)' : (dn.miners.find((m) => m.uid === uid)?.spec.name ?? `uid ${uid}`);
    return `  uid ${String(uid).padStart(2)}  ${who.padEnd(24)} ${String(w).padStart(5)}  (${((w / total) * 100).toFixed(1)}%)`;
  });
}
