/**
 * The error bodies of the original (FastAPI): every error is `{"detail": ...}`; request validation errors
 * are 422 with `detail` a list of `{type, loc, msg}`, where `loc` starts with where the value was
 * (`body`, `query`, `path`, `header`) followed by the field path.
 */
import type { z } from 'zod';

export type Location = 'body' | 'query' | 'path' | 'header';

export interface ValidationDetail {
  type: string;
  loc: (string | number)[];
  msg: string;
  ctx?: Record<string, unknown>;
}

/** Throw from a handler or hook to answer `status` with `{detail}`. */
export class HttpError extends Error {
  readonly statusCode: number;
  readonly detail: unknown;
  readonly headers: Record<string, string>;

  constructor(statusCode: number, detail: unknown, headers: Record<string, string> = {}) {
    super(typeof detail === 'string' ? detail : `HTTP ${statusCode}`);
    this.name = 'HttpError';
    this.statusCode = statusCode;
    this.detail = detail;
    this.headers = headers;
  }
}

export class RequestValidationError extends HttpError {
  constructor(readonly details: ValidationDetail[]) {
    super(422, details);
    this.name = 'RequestValidationError';
  }
}

function pathOf(issue: z.core.$ZodIssue): (string | number)[] {
  return issue.path.map((p) => (typeof p === 'number' ? p : String(p)));
}

const typeNames: Record<string, [string, string]> = {
  string: ['string_type', 'Input should be a valid string'],
  number: ['float_type', 'Input should be a valid number'],
  int: ['int_type', 'Input should be a valid integer'],
  bigint: ['int_type', 'Input should be a valid integer'],
  boolean: ['bool_type', 'Input should be a valid boolean'],
  object: ['dict_type', 'Input should be a valid dictionary'],
  record: ['dict_type', 'Input should be a valid dictionary'],
  array: ['list_type', 'Input should be a valid list'],
  tuple: ['tuple_type', 'Input should be a valid tuple'],
  null: ['none_required', 'Input should be None'],
  date: ['datetime_type', 'Input should be a valid datetime'],
};

function quoteValues(values: readonly unknown[]): string {
  const shown = values.map((v) => (typeof v === 'string' ? `'${v}'` : String(v)));
  if (shown.length <= 1) return shown.join('');
  return `${shown.slice(0, -1).join(', ')} or ${shown[shown.length - 1]}`;
}

/** One zod issue as FastAPI/pydantic would have reported it (same `type` names where there is one). */
export function issueToDetails(issue: z.core.$ZodIssue, location: Location): ValidationDetail[] {
  const loc: (string | number)[] = [location, ...pathOf(issue)];
  switch (issue.code) {
    case 'invalid_type': {
      // With `reportInput` zod attaches the offending value; a missing one means the field was absent.
      if (issue.input === undefined) return [{ type: 'missing', loc, msg: 'Field required' }];
      const [type, msg] = typeNames[issue.expected] ?? [`${issue.expected}_type`, issue.message];
      return [{ type, loc, msg }];
    }
    case 'too_small': {
      const n = Number(issue.minimum);
      if (issue.origin === 'string') return [{ type: 'string_too_short', loc, msg: `String should have at least ${n} character${n === 1 ? '' : 's'}`, ctx: { min_length: n } }];
      if (issue.origin === 'array' || issue.origin === 'set') return [{ type: 'too_short', loc, msg: `List should have at least ${n} item${n === 1 ? '' : 's'}`, ctx: { min_length: n } }];
      return issue.inclusive
        ? [{ type: 'greater_than_equal', loc, msg: `Input should be greater than or equal to ${n}`, ctx: { ge: n } }]
        : [{ type: 'greater_than', loc, msg: `Input should be greater than ${n}`, ctx: { gt: n } }];
    }
    case 'too_big': {
      const n = Number(issue.maximum);
      if (issue.origin === 'string') return [{ type: 'string_too_long', loc, msg: `String should have at most ${n} character${n === 1 ? '' : 's'}`, ctx: { max_length: n } }];
      if (issue.origin === 'array' || issue.origin === 'set') return [{ type: 'too_long', loc, msg: `List should have at most ${n} item${n === 1 ? '' : 's'}`, ctx: { max_length: n } }];
      return issue.inclusive
        ? [{ type: 'less_than_equal', loc, msg: `Input should be less than or equal to ${n}`, ctx: { le: n } }]
        : [{ type: 'less_than', loc, msg: `Input should be less than ${n}`, ctx: { lt: n } }];
    }
    case 'invalid_value':
      return [{ type: issue.values.length === 1 ? 'literal_error' : 'enum', loc, msg: `Input should be ${quoteValues(issue.values)}`, ctx: { expected: quoteValues(issue.values) } }];
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ type: 'extra_forbidden', loc: [...loc, key], msg: 'Extra inputs are not permitted' }));
    case 'invalid_format':
      if (issue.format === 'uuid' || issue.format === 'guid') return [{ type: 'uuid_parsing', loc, msg: 'Input should be a valid UUID' }];
      if (issue.format === 'url') return [{ type: 'url_parsing', loc, msg: 'Input should be a valid URL' }];
      return [{ type: 'string_pattern_mismatch', loc, msg: issue.message }];
    case 'not_multiple_of':
      return [{ type: 'multiple_of', loc, msg: `Input should be a multiple of ${String(issue.divisor)}` }];
    case 'custom':
      return [{ type: 'value_error', loc, msg: `Value error, ${issue.message}` }];
    default:
      return [{ type: 'value_error', loc, msg: issue.message }];
  }
}

export function zodErrorToDetails(error: z.ZodError, location: Location): ValidationDetail[] {
  return error.issues.flatMap((issue) => issueToDetails(issue, location));
}

/** Where in the text a JSON.parse error happened, when the engine says. */
function jsonErrorPosition(message: string, text: string): number {
  const pos = /position (\d+)/.exec(message);
  if (pos) return Number(pos[1]);
  return /Unexpected end of JSON input/.test(message) ? text.length : 0;
}

/** FastAPI's answer to a body that is not JSON: 422, `json_invalid` at `["body", <char offset>]`. */
export function jsonDecodeError(err: unknown, text: string): RequestValidationError {
  const message = err instanceof Error ? err.message : String(err);
  return new RequestValidationError([
    { type: 'json_invalid', loc: ['body', jsonErrorPosition(message, text)], msg: 'JSON decode error', ctx: { error: message } },
  ]);
}
