/**
 * Building blocks shared by the wire models: date-times and UUIDs as the original serialises them,
 * pydantic's "smart" union for untagged unions, and `complete()`, which fills pydantic defaults.
 *
 * Policy (see docs/domain-model.md): parsing never adds keys. A field with a pydantic default is
 * `.optional()` here, so parse → JSON.stringify returns the body that came in. Code that needs the
 * effective values (or must emit every key, as pydantic's model_dump does) calls `complete()`.
 */
import { z } from 'zod';

/**
 * An ISO-8601 date-time as pydantic emits it (`2025-08-01T10:00:00.123456+00:00`, `…Z`, or naive) or as
 * Postgres prints it (space instead of `T`). Kept as the string it was, so round trips are lossless.
 */
export const dateTimeSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|z|[+-]\d{2}(:?\d{2})?)?$/, 'expected ISO 8601 date-time');
export type DateTime = z.infer<typeof dateTimeSchema>;

/** For the DB layer: a driver's Date (or string) as the wire string. */
export function toDateTime(value: Date | string): DateTime {
  return typeof value === 'string' ? value : value.toISOString();
}

/** A UUID in 8-4-4-4-12 hex form (any version, the nil UUID included, as Python's `uuid.UUID` accepts). */
export const uuidSchema = z.guid();

/** A pydantic `float`: any finite JSON number (ints included). */
export const floatSchema = z.number();
/** A pydantic `int`: a safe integer (a JSON `3.0` arrives as 3 and is accepted, as pydantic does). */
export const intSchema = z.int();

/** Keys of T whose value may be undefined, i.e. the fields with a pydantic default. */
export type OptionalKeys<T> = { [K in keyof T]-?: undefined extends T[K] ? K : never }[keyof T];
/** The pydantic default of every optional field of T (null where the original's default is None). */
export type DefaultsOf<T> = { [K in OptionalKeys<T>]-?: Exclude<T[K], undefined> };
/** T with every field present: what pydantic's model_dump() emits. */
export type Complete<T> = { [K in keyof T]-?: Exclude<T[K], undefined> };

/**
 * Fills each absent field with its default. An explicit null stays null (pydantic applies a default only
 * when the key is missing). Defaults are cloned, so a `[]` default is never shared between results.
 */
export function complete<T extends object>(value: T, defaults: DefaultsOf<T>): Complete<T> {
  const out: Record<string, unknown> = structuredClone(defaults) as Record<string, unknown>;
  for (const [key, v] of Object.entries(value)) if (v !== undefined) out[key] = v;
  return out as Complete<T>;
}

type AnyObjectSchema = z.ZodObject<z.ZodRawShape>;

export interface SmartUnionMember<N extends string, S extends AnyObjectSchema> {
  readonly name: N;
  readonly schema: S;
}

/**
 * Picks a member of an untagged union of objects the way pydantic (>= 2.8, smart mode) does for the
 * original's bodies: the member declaring the most of the keys present wins; ties go to the member
 * listed first. `{}` therefore picks the first member.
 *
 * Deliberate difference: pydantic counts only members that validate, so a body whose best member fails
 * silently becomes a lesser member (a GRPO type with a bad reward function turns into a DPO type). Here
 * the best member's own errors are reported instead.
 */
export function pickMember<N extends string>(
  members: readonly SmartUnionMember<N, AnyObjectSchema>[],
  value: Record<string, unknown>,
): SmartUnionMember<N, AnyObjectSchema> {
  const present = Object.keys(value);
  let best = members[0];
  if (best === undefined) throw new Error('pickMember: no members');
  let bestCount = -1;
  for (const member of members) {
    const count = present.filter((key) => key in member.schema.shape).length;
    if (count > bestCount) {
      best = member;
      bestCount = count;
    }
  }
  return best;
}

/** A zod schema for an untagged union resolved by `pickMember`; its input side documents every member. */
export function smartUnion<const M extends readonly SmartUnionMember<string, AnyObjectSchema>[]>(members: M) {
  const loose = members.map((m) => m.schema.loose()) as unknown as [AnyObjectSchema, AnyObjectSchema, ...AnyObjectSchema[]];
  return z.union(loose).transform((value, ctx) => {
    const member = pickMember(members, value as Record<string, unknown>);
    const result = member.schema.safeParse(value, { reportInput: true });
    if (!result.success) {
      // Re-raise the member's issues as they are; object parsing prefixes them with this field's path.
      for (const issue of result.error.issues) ctx.issues.push(issue as unknown as (typeof ctx.issues)[number]);
      return z.NEVER;
    }
    return result.data as z.output<M[number]['schema']>;
  });
}
