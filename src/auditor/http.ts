/**
 * Plain JSON GETs against a validator's public API and the scores file URL, with a timeout and a size cap checked
 * while reading. Every failure is an `AuditError` whose code says whose fault it is.
 */
import type { z } from 'zod';
import { issuesText } from './schema.ts';

export const AUDIT_ERROR_CODES = [
  /** The validator or the file host could not be reached (refused, timeout, DNS). */
  'unreachable',
  /** The validator answered `/auditing/scores-url` with 400: it has not set weights (or published a file) yet. */
  'no_scores',
  /** Any other non-2xx answer. */
  'http_status',
  /** A body that is not JSON, larger than allowed, or does not match the documented shape. */
  'bad_document',
  /** The validator's hotkey has no uid on the subnet. */
  'not_registered',
  /** The file cannot be turned into weights (e.g. tournament results without the split). */
  'cannot_recompute',
  /** The chain could not be read. */
  'chain',
] as const;
export type AuditErrorCode = (typeof AUDIT_ERROR_CODES)[number];

export class AuditError extends Error {
  readonly code: AuditErrorCode;
  readonly status: number | undefined;
  constructor(code: AuditErrorCode, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AuditError';
    this.code = code;
    this.status = options.status;
  }
}

export interface GetJsonOptions {
  timeoutMs: number;
  maxBytes: number;
  fetch?: typeof fetch;
  /** HTTP 400 means "nothing published yet" (`/auditing/scores-url`), not a generic failure. */
  badRequestIsNoScores?: boolean;
}

/** Strips the query (signatures of presigned URLs) before a URL goes into a message or a log. */
export function redactUrl(url: string): string {
  return url.split('?')[0] ?? url;
}

async function readCapped(response: Response, maxBytes: number, what: string): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) throw new AuditError('bad_document', `${what} is ${declared} bytes, over the ${maxBytes}-byte limit`);
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    total += chunk.length;
    if (total > maxBytes) throw new AuditError('bad_document', `${what} exceeds the ${maxBytes}-byte limit`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** GET `url` and parse the JSON body with `schema`; `what` names the document in errors. */
export async function getJson<S extends z.ZodType>(url: string, schema: S, what: string, options: GetJsonOptions): Promise<{ status: number; data: z.output<S> }> {
  const scheme = url.split(':', 1)[0]?.toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') throw new AuditError('bad_document', `${what}: unsupported URL ${redactUrl(url).slice(0, 120)}`);
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, { redirect: 'follow', signal: AbortSignal.timeout(options.timeoutMs), headers: { accept: 'application/json' } });
  } catch (err) {
    const reason = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    throw new AuditError('unreachable', `${what} at ${redactUrl(url)} is unreachable (${reason})`, { cause: err });
  }
  const text = await readCapped(response, options.maxBytes, what);
  if (!response.ok) {
    throw new AuditError(response.status === 400 && options.badRequestIsNoScores ? 'no_scores' : 'http_status', `${what} at ${redactUrl(url)} answered HTTP ${response.status}: ${text.slice(0, 200)}`, {
      status: response.status,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new AuditError('bad_document', `${what} at ${redactUrl(url)} is not JSON`, { cause: err });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new AuditError('bad_document', `${what} does not have the documented shape: ${issuesText(parsed.error)}`);
  return { status: response.status, data: parsed.data };
}
