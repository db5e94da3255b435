/**
 * The built-in library of generic reward functions (ours, not the reference's 35: those depend on textstat,
 * langcheck and detoxify, which Pyodide cannot load offline; evaluation.md §9.7). Each lives in `library/<name>.py`
 * as plain Python with the calling convention `f(completions, **kwargs)`, so miners' trainers can run it unchanged;
 * `code_output_match` additionally needs `restricted_execution`, which the sandbox provides as a global.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rewardFuncHash } from '../core/models/reward-functions.ts';

export const libraryNames = [
  'think_answer_format',
  'concise_length',
  'exact_answer_match',
  'numeric_answer_match',
  'code_output_match',
] as const;
export type LibraryName = (typeof libraryNames)[number];

export interface LibraryFunction {
  name: LibraryName;
  /** First docstring of the source, as the reference's API extracts it. */
  description: string;
  code: string;
  funcHash: string;
  /** True when the function reads `extra_data` (needs a dataset column with expected answers). */
  usesExtraData: boolean;
}

const libraryDir = join(dirname(fileURLToPath(import.meta.url)), 'library');

/** First triple-quoted string of a source, or the reference's placeholder. */
export function docstringOf(code: string): string {
  const match = /("""|''')([\s\S]*?)\1/.exec(code);
  return match?.[2]?.trim().replace(/\s+/g, ' ') ?? 'No description available';
}

/** Name of the first `def` (how the reference's API and miners name a function). */
export function functionNameOf(code: string): string | null {
  return /^\s*def\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(/m.exec(code)?.[1] ?? null;
}

export function libraryFunction(name: LibraryName): LibraryFunction {
  const code = readFileSync(join(libraryDir, `${name}.py`), 'utf8');
  return { name, description: docstringOf(code), code, funcHash: rewardFuncHash(code), usesExtraData: /\bextra_data\s*=\s*None/.test(code) };
}

export function libraryFunctions(): LibraryFunction[] {
  return libraryNames.map(libraryFunction);
}
