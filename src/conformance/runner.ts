/**
 * Runs vector files (vectors/README.md) through the registered adapters and reports, per file and per case,
 * whether our code reproduces the original. Never throws for a bad file or a failing adapter: every problem
 * becomes a line in the report.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { decodeNonFinite, normaliseOutput } from './codec.ts';
import { compareValues, type Mismatch } from './compare.ts';
import { ruleSetForCommit, VectorError, type Json, type RuleSetName, type VectorAdapter } from './types.ts';

export type CaseStatus = 'pass' | 'fail' | 'deviation';

export interface CaseResult {
  readonly name: string;
  readonly status: CaseStatus;
  /** Set for deviation cases (and for failing ones that fall under a deviation). */
  readonly deviation?: { readonly id: string; readonly reason: string };
  /** For deviation cases: whether the original's output happens to equal the fixed result too. */
  readonly originalAgrees?: boolean;
  readonly mismatches: readonly Mismatch[];
}

export type FileStatus = 'pass' | 'fail' | 'unsupported' | 'invalid';

export interface FileReport {
  readonly file: string;
  readonly status: FileStatus;
  /** Why a file is unsupported or invalid. */
  readonly reason?: string;
  readonly function?: string;
  readonly commit?: string;
  readonly ruleSet?: RuleSetName;
  readonly cases: readonly CaseResult[];
  readonly passed: number;
  readonly failed: number;
  readonly deviations: number;
}

export interface Totals {
  /** Cases equal to the original's output. */
  readonly passed: number;
  /** Cases that differ, in files that ran. */
  readonly failed: number;
  /** Cases under a documented deviation that equal the fixed behaviour's expected result. */
  readonly deviations: number;
  /** Files not run: unknown function or rule set, not a vector file, or unreadable. */
  readonly unsupported: number;
}

export interface RunReport {
  readonly dir: string;
  readonly files: readonly FileReport[];
  readonly totals: Totals;
}

export interface VectorDocument {
  readonly function: string;
  readonly commit: string;
  readonly cases: readonly unknown[];
}

/** A vector file is an object with a string `function`, a string `commit` and a `cases` array. */
export function isVectorDocument(value: unknown): value is VectorDocument {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return typeof v.function === 'string' && typeof v.commit === 'string' && Array.isArray(v.cases);
}

function whyNotVector(value: unknown): string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return `not a vector file (top level is ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}, not an object)`;
  const v = value as Record<string, unknown>;
  const missing = [
    typeof v.function === 'string' ? null : '`function` (string)',
    typeof v.commit === 'string' ? null : '`commit` (string)',
    Array.isArray(v.cases) ? null : '`cases` (array)',
  ].filter((x) => x !== null);
  return `not a vector file (no ${missing.join(', ')})`;
}

/**
 * The adapters answering to a file's `function`: exact name first, then the name without a trailing
 * parenthesised note (`get_knockout_winners (+ … at HEAD)` → `get_knockout_winners`).
 */
export function adaptersFor(fn: string, adapters: readonly VectorAdapter[]): VectorAdapter[] {
  const exact = adapters.filter((a) => a.fn === fn);
  if (exact.length > 0) return exact;
  const bare = fn.replace(/\s+\(.*\)\s*$/s, '').trim();
  return bare === fn ? [] : adapters.filter((a) => a.fn === bare);
}

/** Runs one adapter call, turning "the original raised" into its vector form and any other throw into a failure. */
function invoke(call: () => unknown): { ok: true; value: Json } | { ok: false; message: string } {
  try {
    return { ok: true, value: normaliseOutput(call()) };
  } catch (err) {
    if (err instanceof VectorError) return { ok: true, value: { error: err.errorClass, message: err.message } };
    const e = err instanceof Error ? err : new Error(String(err));
    return { ok: false, message: `adapter threw ${e.name}: ${e.message}` };
  }
}

const MAX_MISMATCHES_PER_CASE = 20;

function runCase(raw: unknown, index: number, adapter: VectorAdapter, ruleSet: RuleSetName): CaseResult {
  const fallbackName = `#${index}`;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { name: fallbackName, status: 'fail', mismatches: [{ path: '$', message: 'malformed case: not an object' }] };
  }
  const c = raw as Record<string, unknown>;
  const name = typeof c.name === 'string' ? c.name : fallbackName;
  const absent = ['input', 'output'].filter((k) => !Object.hasOwn(c, k));
  if (absent.length > 0) {
    return { name, status: 'fail', mismatches: [{ path: '$', message: `malformed case: no ${absent.join(', ')}` }] };
  }
  const input = decodeNonFinite(c.input as Json);
  const original = decodeNonFinite(c.output as Json);
  const options = { orderedKeys: adapter.orderedKeys === true, limit: MAX_MISMATCHES_PER_CASE };
  // Each call gets its own copy, so an adapter that mutates its input cannot affect the next call.
  const fresh = (): Json => structuredClone(input);

  const dev = adapter.deviation ? invoke(() => adapter.deviation!(fresh(), ruleSet)) : { ok: true as const, value: null };
  if (!dev.ok) return { name, status: 'fail', mismatches: [{ path: '$', message: `deviation check: ${dev.message}` }] };
  const deviation = dev.value as { id: string; reason: string } | null;

  const actual = invoke(() => adapter.run(fresh(), ruleSet));
  if (!actual.ok) return { name, status: 'fail', ...(deviation ? { deviation } : {}), mismatches: [{ path: '$', message: actual.message }] };

  if (!deviation) {
    const mismatches = compareValues(original, actual.value, options);
    return { name, status: mismatches.length === 0 ? 'pass' : 'fail', mismatches };
  }
  if (!adapter.expectedFixed) {
    return { name, status: 'fail', deviation, mismatches: [{ path: '$', message: `deviation ${deviation.id} has no expected result` }] };
  }
  const fixed = invoke(() => adapter.expectedFixed!(fresh(), ruleSet));
  if (!fixed.ok) return { name, status: 'fail', deviation, mismatches: [{ path: '$', message: `expected result of ${deviation.id}: ${fixed.message}` }] };
  const mismatches = compareValues(fixed.value, actual.value, options);
  const originalAgrees = compareValues(original, fixed.value, { ...options, limit: 1 }).length === 0;
  return { name, status: mismatches.length === 0 ? 'deviation' : 'fail', deviation, originalAgrees, mismatches };
}

function tally(file: string, base: Omit<FileReport, 'file' | 'status' | 'cases' | 'passed' | 'failed' | 'deviations'>, cases: CaseResult[]): FileReport {
  const passed = cases.filter((c) => c.status === 'pass').length;
  const failed = cases.filter((c) => c.status === 'fail').length;
  const deviations = cases.filter((c) => c.status === 'deviation').length;
  return { file, ...base, status: failed > 0 ? 'fail' : 'pass', cases, passed, failed, deviations };
}

function notRun(file: string, status: 'unsupported' | 'invalid', reason: string, extra: Partial<FileReport> = {}): FileReport {
  return { file, ...extra, status, reason, cases: [], passed: 0, failed: 0, deviations: 0 };
}

/** Long composite function names (the miner's config file) are cut for the one-line report. */
function shorten(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Runs one parsed document (already JSON) as the file `file`. */
export function runVectorDocument(file: string, doc: unknown, adapters: readonly VectorAdapter[]): FileReport {
  if (!isVectorDocument(doc)) return notRun(file, 'invalid', whyNotVector(doc));
  const meta = { function: doc.function, commit: doc.commit };
  const ruleSet = ruleSetForCommit(doc.commit);
  if (ruleSet === null) return notRun(file, 'unsupported', `no rule set for commit ${shorten(doc.commit)}`, meta);
  const candidates = adaptersFor(doc.function, adapters);
  if (candidates.length === 0) return notRun(file, 'unsupported', `no adapter for function ${shorten(doc.function)}`, { ...meta, ruleSet });
  const fitting = candidates.filter((a) => a.ruleSets.includes(ruleSet));
  if (fitting.length === 0) {
    return notRun(file, 'unsupported', `${doc.function} is implemented for ${candidates.flatMap((a) => a.ruleSets).join(', ')}, not ${ruleSet}`, { ...meta, ruleSet });
  }
  if (fitting.length > 1) return notRun(file, 'invalid', `${fitting.length} adapters registered for ${doc.function} at ${ruleSet}`, { ...meta, ruleSet });
  const adapter = fitting[0] as VectorAdapter;
  const cases = doc.cases.map((c, i) => runCase(c, i, adapter, ruleSet));
  return tally(file, { ...meta, ruleSet }, cases);
}

/** Reads and runs one file; unreadable or malformed JSON is reported as invalid. */
export function runVectorFile(path: string, file: string, adapters: readonly VectorAdapter[]): FileReport {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return notRun(file, 'invalid', `unreadable: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return notRun(file, 'invalid', `malformed JSON: ${(err as Error).message}`);
  }
  return runVectorDocument(file, doc, adapters);
}

export function totalsOf(files: readonly FileReport[]): Totals {
  let passed = 0;
  let failed = 0;
  let deviations = 0;
  let unsupported = 0;
  for (const f of files) {
    passed += f.passed;
    failed += f.failed;
    deviations += f.deviations;
    if (f.status === 'unsupported' || f.status === 'invalid') unsupported += 1;
  }
  return { passed, failed, deviations, unsupported };
}

/** Every `*.json` directly in `dir`, in name order. Throws only when `dir` itself cannot be listed. */
export function runConformance(dir: string, adapters: readonly VectorAdapter[]): RunReport {
  const names = readdirSync(dir)
    .filter((n) => n.toLowerCase().endsWith('.json'))
    .filter((n) => {
      try {
        return statSync(join(dir, n)).isFile();
      } catch {
        return true; // let runVectorFile report why it cannot be read
      }
    })
    .sort();
  const files = names.map((n) => runVectorFile(join(dir, n), n, adapters));
  return { dir, files, totals: totalsOf(files) };
}
