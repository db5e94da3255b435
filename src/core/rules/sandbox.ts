import { z } from 'zod';
import { count, flag, seconds, structured, valuesOf, type ValuesOf } from './define.ts';

/**
 * Limits of the isolated Python pool that runs reward functions and `restricted_execution` code. The original has
 * none (evaluation.md §10.1: no timeout, memory or output limit, same process); these values follow the spec's
 * recommendations and measurements (evaluation.md §12–§13) and are ours, not the reference's.
 */
export const sandboxDefs = {
  callTimeoutSeconds: seconds(5, 'evaluation.md §12.4 (REF: none)', 'deadline of one sandboxed call; an infinite loop in miner output must not stall evaluation'),
  validationTimeoutSeconds: seconds(30, 'evaluation.md §12.3 (REF: none)', 'deadline of a reward-function admission check (module-level code plus a trial call)'),
  memoryLimitMb: count(4096, 'evaluation.md §13.1 (wasm32 cap)', 'memory cap of a sandbox process, so a list bomb cannot OOM the host', 64),
  maxOutputBytes: count(1_048_576, 'evaluation.md §12.3 (REF: none)', 'captured stdout per call; longer output is an error'),
  executionTimeoutSeconds: seconds(2, 'evaluation.md §12.4', 'deadline of one restricted_execution run inside a reward function, so one hanging completion costs that completion only'),
  scoreTimeoutSeconds: seconds(120, 'evaluation.md §12.4 (REF: none)', 'deadline of one batch-scoring call (all reward functions over all completions of a batch)'),
  startTimeoutSeconds: seconds(60, 'evaluation.md §13.1', 'deadline for a sandbox process to boot (cold start is 3–10 s on a loaded 2-core box)'),
  useSnapshot: flag(true, 'evaluation.md §13.1', 'start sandbox processes from a Pyodide memory snapshot (≈0.7 s instead of 4–10 s)'),
  poolSize: count(2, 'evaluation.md §13.1', 'warm sandbox processes (a cold start costs 3–6 s)', 1),
  callsPerProcess: count(1000, 'evaluation.md §13.1', 'calls after which a sandbox process is replaced, bounding leaked state between tasks', 1),
  allowedImports: structured<readonly string[]>(['re', 'json', 'math', 'string', 'collections', 'itertools', 'functools', 'statistics', 'difflib', 'unicodedata'], z.array(z.string().min(1)), 'a JSON list of module names', 'evaluation.md §13.1', 'modules sandboxed code may import; everything else (os, subprocess, js, …) is refused'),
} as const;

export type SandboxRules = ValuesOf<typeof sandboxDefs>;
export const sandboxRules: SandboxRules = valuesOf(sandboxDefs);
