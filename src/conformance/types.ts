/**
 * How a vector file (see vectors/README.md) is matched to our code. Each area of the code base that
 * reproduces one of the original's functions exports adapters; the conformance runner only dispatches.
 */

/** A named rule set: the original's behaviour at one commit. `ref-2025-08` is commit a7e666d7. */
export type RuleSetName = 'ref-2025-08' | 'head-2025-12' | 'fiber-2.1.0';

/** Maps a vector file's `commit` field to the rule set that reproduces it. Unknown commits are unsupported. */
export const ruleSetByCommit: Readonly<Record<string, RuleSetName>> = {
  a7e666d7: 'ref-2025-08',
  'fiber-2.1.0': 'fiber-2.1.0',
  // The fiber vector file spells its commit this way (rayonlabs/fiber at edd328c, package 2.1.0).
  'fiber 2.1.0 (edd328c)': 'fiber-2.1.0',
};

/**
 * The rule set for a vector file's `commit`: an exact key of `ruleSetByCommit`, or a git hash that one of its
 * hexadecimal keys abbreviates (`a7e666d7…` of any length from 7 characters). Null when unknown.
 */
export function ruleSetForCommit(commit: string): RuleSetName | null {
  if (Object.hasOwn(ruleSetByCommit, commit)) return ruleSetByCommit[commit] ?? null;
  const hash = commit.trim().toLowerCase();
  if (!/^[0-9a-f]{7,40}$/.test(hash)) return null;
  for (const [key, ruleSet] of Object.entries(ruleSetByCommit)) {
    if (/^[0-9a-f]{7,40}$/.test(key) && (hash.startsWith(key) || key.startsWith(hash))) return ruleSet;
  }
  return null;
}

/** JSON as it appears in vector files after decoding ("NaN"/"Infinity" strings stay strings here). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface VectorAdapter {
  /** The value of the vector file's `function` field this adapter answers to. */
  readonly fn: string;
  /** Rule sets this adapter implements; a file whose commit maps elsewhere is unsupported. */
  readonly ruleSets: readonly RuleSetName[];
  /**
   * Runs one case. Receives the case's `input` with non-finite floats already decoded to numbers, and
   * returns the output in the vector's shape (numbers may be NaN/Infinity; the runner encodes them).
   * When the original raised, return `{ error, message }` in the vector's shape, or throw a VectorError.
   */
  run(input: Json, ruleSet: RuleSetName): unknown;
  /**
   * Where we knowingly differ from the original (docs/deviations.md): returns the deviation's id and reason
   * when this input falls under a documented deviation, else null. Decided from the input by rule, never by
   * case name. For such cases the runner compares against `expectedFixed(input)` instead of the vector.
   */
  deviation?(input: Json, ruleSet: RuleSetName): { id: string; reason: string } | null;
  /** The fixed behaviour's expected output for a deviation case (as docs/deviations.md states it). */
  expectedFixed?(input: Json, ruleSet: RuleSetName): unknown;
  /**
   * True when the key order of object outputs is part of the result (the original returned a dict whose
   * insertion order callers see, e.g. `tournament_scores_to_weights`). Return a `Map` or an object built in
   * that order; the runner then compares key order too.
   */
  readonly orderedKeys?: boolean;
}

/** Thrown by an adapter to report "the original raised this" in vector form. */
export class VectorError extends Error {
  constructor(
    readonly errorClass: string,
    message: string,
  ) {
    super(message);
  }
}
