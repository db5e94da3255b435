/**
 * Type normalisation shared by both drivers. `pg` returns int8 and numeric as strings and `timestamp`
 * (without time zone) in the process's local zone; PGlite returns int8 as a number, numeric as a string and
 * `timestamp` as UTC. Both are told to return the types below, so a row reads the same on either driver.
 *
 * int8 → number: our int8 columns are counts, identities and parameter counts, all far below 2^53.
 * numeric → number: only small decimals (stake_required) are stored as numeric.
 */
export const OID = {
  INT8: 20,
  NUMERIC: 1700,
  TIMESTAMP: 1114,
  DATE: 1082,
  INT8_ARRAY: 1016,
  NUMERIC_ARRAY: 1231,
  TIMESTAMP_ARRAY: 1115,
  DATE_ARRAY: 1182,
} as const;

export function parseNumber(text: string): number {
  return Number(text);
}

/** `timestamp` has no zone; we read it as UTC on both drivers (our own tables only use timestamptz). */
export function parseTimestampUtc(text: string): Date | string {
  if (text === 'infinity' || text === '-infinity') return text;
  const bc = text.endsWith(' BC');
  const iso = `${(bc ? text.slice(0, -3) : text).replace(' ', 'T')}Z`;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? text : date;
}

/** `date` stays a 'YYYY-MM-DD' string: a calendar day is not an instant. */
export function parseDate(text: string): string {
  return text;
}

type Nested<T> = T | null | Nested<T>[];

export function mapNested<T>(value: Nested<string>, fn: (s: string) => T): Nested<T> {
  if (value === null) return null;
  if (Array.isArray(value)) return value.map((v) => mapNested(v, fn));
  return fn(value);
}

/** Scalar parsers by type oid, the same table for both drivers. */
export const scalarParsers: Record<number, (text: string) => unknown> = {
  [OID.INT8]: parseNumber,
  [OID.NUMERIC]: parseNumber,
  [OID.TIMESTAMP]: parseTimestampUtc,
  [OID.DATE]: parseDate,
};

/** Array oid → element oid, for the arrays whose element parser we override. */
export const arrayElementOid: Record<number, number> = {
  [OID.INT8_ARRAY]: OID.INT8,
  [OID.NUMERIC_ARRAY]: OID.NUMERIC,
  [OID.TIMESTAMP_ARRAY]: OID.TIMESTAMP,
  [OID.DATE_ARRAY]: OID.DATE,
};
