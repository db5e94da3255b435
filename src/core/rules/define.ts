import { z } from 'zod';

/**
 * A rule is a value plus what a reader and the config loader need to know about it: where the spec states it,
 * what goes wrong without it, and which values are acceptable. Keeping the schema beside the value lets the
 * config loader validate overrides without a second hand-written list that could drift from the defaults.
 */

/** How a raw text value (environment variable, `--set`) is turned into the rule's type before validation. */
export type RuleKind = 'number' | 'string' | 'boolean' | 'json';

export interface RuleDef<T> {
  readonly value: T;
  /** Spec file and section the reference value comes from, e.g. `validator.md §4.3`. */
  readonly spec: string;
  /** One line: what the value controls and what failure it guards against. */
  readonly doc: string;
  readonly kind: RuleKind;
  readonly schema: z.ZodType<T>;
  /** Phrase completing "expected …" in error messages, e.g. `a whole number ≥ 0`. */
  readonly expected: string;
  /** Secrets are masked wherever config is printed; `url` masks only the password part of a URL. */
  readonly secret?: 'value' | 'url';
  /** Parses a raw environment text where plain JSON would be awkward (e.g. `GPU_IDS=0,1`). */
  readonly parseText?: (raw: string) => unknown;
}

// The `any` here is deliberate and local: a record of defs of differing value types. Using `unknown` would make
// RuleDef<number> unassignable because zod schemas are invariant in their input type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RuleDefs = Readonly<Record<string, RuleDef<any>>>;

export type ValuesOf<D extends RuleDefs> = { readonly [K in keyof D]: D[K] extends RuleDef<infer T> ? T : never };

export function valuesOf<D extends RuleDefs>(defs: D): ValuesOf<D> {
  const out: Record<string, unknown> = {};
  for (const [key, def] of Object.entries(defs)) out[key] = def.value;
  return Object.freeze(out) as ValuesOf<D>;
}

interface NumberOpts {
  readonly min?: number;
  readonly max?: number;
  readonly int?: boolean;
}

function numberDef(value: number, spec: string, doc: string, opts: NumberOpts, noun?: string): RuleDef<number> {
  let schema = z.number().finite();
  if (opts.int) schema = schema.int();
  if (opts.min !== undefined) schema = schema.min(opts.min);
  if (opts.max !== undefined) schema = schema.max(opts.max);
  const base = noun ?? (opts.int ? 'a whole number' : 'a number');
  const range =
    opts.min !== undefined && opts.max !== undefined
      ? ` between ${opts.min} and ${opts.max}`
      : opts.min !== undefined
        ? ` ≥ ${opts.min}`
        : opts.max !== undefined
          ? ` ≤ ${opts.max}`
          : '';
  return { value, spec, doc, kind: 'number', schema, expected: base + range };
}

/** Any finite number (weights, scores, factors that may be negative). */
export const num = (value: number, spec: string, doc: string, opts: NumberOpts = {}): RuleDef<number> =>
  numberDef(value, spec, doc, opts);

/** A whole number ≥ 0 (or ≥ `min`): pool sizes, caps, attempts. */
export const count = (value: number, spec: string, doc: string, min = 0): RuleDef<number> =>
  numberDef(value, spec, doc, { int: true, min });

/** A probability or share in [0, 1]. */
export const fraction = (value: number, spec: string, doc: string): RuleDef<number> =>
  numberDef(value, spec, doc, { min: 0, max: 1 });

/** A duration in seconds ≥ 0 (fractions allowed, so tests and the devnet can shrink them). */
export const seconds = (value: number, spec: string, doc: string): RuleDef<number> =>
  numberDef(value, spec, doc, { min: 0 }, 'a number of seconds');

/** A duration in milliseconds ≥ 0, for timers that were always specified in ms (poll intervals, heartbeats). */
export const milliseconds = (value: number, spec: string, doc: string): RuleDef<number> =>
  numberDef(value, spec, doc, { min: 0 }, 'a number of milliseconds');

/** A size in bytes: a whole number ≥ `min` (1 by default, since a zero-byte cap refuses everything). */
export const bytes = (value: number, spec: string, doc: string, min = 1): RuleDef<number> =>
  numberDef(value, spec, doc, { int: true, min }, 'a number of bytes');

export const hours = (value: number, spec: string, doc: string): RuleDef<number> =>
  numberDef(value, spec, doc, { min: 0 }, 'a number of hours');

export const days = (value: number, spec: string, doc: string): RuleDef<number> =>
  numberDef(value, spec, doc, { min: 0 }, 'a number of days');

export const port = (value: number, spec: string, doc: string): RuleDef<number> =>
  numberDef(value, spec, doc, { int: true, min: 0, max: 65535 }, 'a port number');

export const text = (value: string, spec: string, doc: string): RuleDef<string> => ({
  value,
  spec,
  doc,
  kind: 'string',
  schema: z.string(),
  expected: 'a string',
});

/** A string that may be absent (null); `secret` masks it in every printout. */
export function optionalText(
  spec: string,
  doc: string,
  opts: { secret?: 'value' | 'url'; value?: string | null } = {},
): RuleDef<string | null> {
  return {
    value: opts.value ?? null,
    spec,
    doc,
    kind: 'string',
    schema: z.string().nullable(),
    expected: 'a string or null',
    ...(opts.secret ? { secret: opts.secret } : {}),
  };
}

export function choice<const V extends readonly [string, ...string[]]>(
  values: V,
  value: V[number],
  spec: string,
  doc: string,
): RuleDef<V[number]> {
  return {
    value,
    spec,
    doc,
    kind: 'string',
    schema: z.enum(values) as unknown as z.ZodType<V[number]>,
    expected: `one of ${values.join(', ')}`,
  };
}

export const flag = (value: boolean, spec: string, doc: string): RuleDef<boolean> => ({
  value,
  spec,
  doc,
  kind: 'boolean',
  schema: z.boolean(),
  expected: 'true or false',
});

/** Structured values (lists, tables); set from the environment as JSON unless `parseText` says otherwise. */
export function structured<T>(
  value: T,
  schema: z.ZodType<T>,
  expected: string,
  spec: string,
  doc: string,
  parseText?: (raw: string) => unknown,
): RuleDef<T> {
  return { value, spec, doc, kind: 'json', schema, expected, ...(parseText ? { parseText } : {}) };
}
