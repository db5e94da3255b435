/**
 * Test-only helpers: load a vector file, decode its non-finite floats, and compare an adapter's output with the
 * recorded one (relative tolerance 1e-12, NaN equal to NaN, ints and floats compared as numbers).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Json, RuleSetName, VectorAdapter } from '../../conformance/types.ts';

export interface VectorCase {
  readonly name: string;
  readonly input: Json;
  readonly output: Json;
}
export interface VectorFile {
  readonly function: string;
  readonly commit: string;
  readonly cases: readonly VectorCase[];
}

const NON_FINITE: Readonly<Record<string, number>> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

/** Replaces the vectors' "NaN"/"Infinity"/"-Infinity" strings by numbers, everywhere in a JSON value. */
export function decodeNonFinite(v: unknown): unknown {
  if (typeof v === 'string' && v in NON_FINITE) return NON_FINITE[v];
  if (Array.isArray(v)) return v.map(decodeNonFinite);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decodeNonFinite(x)]));
  }
  return v;
}

export function loadVectorFile(fileName: string): VectorFile {
  const path = join(import.meta.dirname, '..', '..', '..', 'vectors', fileName);
  return JSON.parse(readFileSync(path, 'utf8')) as VectorFile;
}

/** First difference between `actual` and `expected` as `path: detail`, or null when they match. */
export function firstMismatch(actual: unknown, expected: unknown, path = '$', rel = 1e-12): string | null {
  if (typeof expected === 'number' || typeof actual === 'number') {
    if (typeof expected !== 'number' || typeof actual !== 'number') {
      return `${path}: ${JSON.stringify(actual)} vs ${JSON.stringify(expected)}`;
    }
    if (Number.isNaN(expected) || Number.isNaN(actual)) {
      return Number.isNaN(expected) && Number.isNaN(actual) ? null : `${path}: ${actual} vs ${expected}`;
    }
    if (actual === expected) return null;
    const scale = Math.max(Math.abs(actual), Math.abs(expected));
    return Math.abs(actual - expected) <= rel * scale ? null : `${path}: ${actual} vs ${expected}`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      return `${path}: length ${Array.isArray(actual) ? actual.length : typeof actual} vs ${expected.length}`;
    }
    for (let i = 0; i < expected.length; i++) {
      const m = firstMismatch(actual[i], expected[i], `${path}[${i}]`, rel);
      if (m) return m;
    }
    return null;
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return `${path}: not an object`;
    const ek = Object.keys(expected);
    const ak = Object.keys(actual);
    if (ek.join(',') !== ak.join(',')) return `${path}: keys [${ak.join(',')}] vs [${ek.join(',')}]`;
    for (const k of ek) {
      const m = firstMismatch(
        (actual as Record<string, unknown>)[k],
        (expected as Record<string, unknown>)[k],
        `${path}.${k}`,
        rel,
      );
      if (m) return m;
    }
    return null;
  }
  return actual === expected ? null : `${path}: ${JSON.stringify(actual)} vs ${JSON.stringify(expected)}`;
}

/** Runs one case the way the conformance runner does; returns the mismatch (or null) and the deviation id. */
export function checkCase(
  adapter: VectorAdapter,
  c: VectorCase,
  ruleSet: RuleSetName,
): { mismatch: string | null; deviation: string | null } {
  const input = decodeNonFinite(c.input) as Json;
  const dev = adapter.deviation?.(input, ruleSet) ?? null;
  if (dev) {
    if (!adapter.expectedFixed) return { mismatch: 'deviation without expectedFixed', deviation: dev.id };
    const expected = decodeNonFinite(adapter.expectedFixed(input, ruleSet));
    return { mismatch: firstMismatch(decodeNonFinite(adapter.run(input, ruleSet)), expected), deviation: dev.id };
  }
  const actual = decodeNonFinite(adapter.run(input, ruleSet));
  return { mismatch: firstMismatch(actual, decodeNonFinite(c.output)), deviation: null };
}
