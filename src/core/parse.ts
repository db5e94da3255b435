/**
 * The one way every boundary turns untrusted JSON into typed values: `parseWire(schema, data)`.
 * Errors name the failing field path in the wire's own (snake_case) names, e.g.
 * `dataset_type.reward_functions[0].reward_weight: expected number, received string`.
 */
import type { z } from 'zod';

export interface WireIssue {
  /** Dotted path with `[i]` for array positions; `(root)` for the value itself. */
  readonly path: string;
  readonly message: string;
  /** The zod issue code (`invalid_type`, `invalid_value`, `custom`, …). */
  readonly code: string;
}

/** A payload that does not match its schema. `message` lists every issue as `path: reason`, joined by `; `. */
export class WireError extends Error {
  readonly issues: readonly WireIssue[];
  constructor(issues: readonly WireIssue[], label?: string) {
    const text = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
    super(label ? `${label}: ${text}` : text);
    this.name = 'WireError';
    this.issues = issues;
  }
}

export type WireResult<T> = { ok: true; value: T } | { ok: false; error: WireError };

export interface ParseOptions {
  /** Prefixed to the error message, e.g. the payload's name (`TrainRequestText`). */
  label?: string;
}

/** Parses `data` or throws a WireError naming each failing field path. */
export function parseWire<S extends z.ZodType>(schema: S, data: unknown, options: ParseOptions = {}): z.output<S> {
  const result = safeParseWire(schema, data, options);
  if (!result.ok) throw result.error;
  return result.value;
}

/** As parseWire, but returns the error as a value. */
export function safeParseWire<S extends z.ZodType>(
  schema: S,
  data: unknown,
  options: ParseOptions = {},
): WireResult<z.output<S>> {
  // reportInput lets the messages say what was received; the inputs are not kept in the WireError.
  const result = schema.safeParse(data, { reportInput: true });
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, error: new WireError(toWireIssues(result.error.issues), options.label) };
}

/** `['dataset_type', 'reward_functions', 0, 'reward_weight']` → `dataset_type.reward_functions[0].reward_weight`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

type LooseIssue = z.core.$ZodIssue & { input?: unknown };

/** Flattens zod issues into path + reason pairs; union failures report the branch that came closest. */
export function toWireIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): WireIssue[] {
  const out: WireIssue[] = [];
  for (const issue of issues as readonly LooseIssue[]) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // The branch that came closest: fewest issues, then the one that got deepest into the value.
      const closest = issue.errors.reduce((best, branch) =>
        branch.length < best.length || (branch.length === best.length && depth(branch) > depth(best)) ? branch : best,
      );
      out.push(...toWireIssues(closest, path));
      continue;
    }
    out.push({ path: formatPath(path), message: describe(issue), code: issue.code });
  }
  return out;
}

function depth(issues: readonly z.core.$ZodIssue[]): number {
  return Math.max(0, ...issues.map((i) => i.path.length));
}

function describe(issue: LooseIssue): string {
  switch (issue.code) {
    case 'invalid_type': {
      const isInt = issue.expected === 'int' || (issue as { format?: string }).format === 'safeint';
      const expected = isInt ? 'integer' : String(issue.expected);
      if (!('input' in issue) || issue.input === undefined) return `required (expected ${expected})`;
      return `expected ${expected}, received ${kindOf(issue.input)}`;
    }
    case 'invalid_value': {
      const allowed = issue.values.map((v) => JSON.stringify(v)).join(' | ');
      const got = 'input' in issue ? `, received ${preview(issue.input)}` : '';
      return issue.values.length === 1 ? `expected ${allowed}${got}` : `expected one of ${allowed}${got}`;
    }
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    case 'invalid_format': {
      // Regex checks carry their own message (e.g. "expected ISO 8601 date-time").
      const what = issue.format === 'regex' ? issue.message : `expected ${FORMAT_NAMES[issue.format] ?? issue.format}`;
      return `${what}${'input' in issue ? `, received ${preview(issue.input)}` : ''}`;
    }
    case 'too_small':
    case 'too_big':
      return issue.message.replace(/^Too (small|big): /, '');
    default:
      return issue.message;
  }
}

const FORMAT_NAMES: Record<string, string> = { guid: 'a UUID', uuid: 'a UUID', datetime: 'an ISO 8601 date-time' };

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && Number.isFinite(value) && !Number.isInteger(value)) return `number ${value}`;
  return typeof value;
}

function preview(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
