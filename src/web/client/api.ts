/**
 * The dashboard's HTTP client: the validator API on the same origin, the API key from localStorage sent as
 * `Authorization: Bearer`, and errors turned into one readable line (FastAPI's 422 list names each field path).
 */
import { storage } from './dom.ts';

const KEY_ITEM = 'god.dashboard.apiKey';

export function apiKey(): string {
  return storage().getItem(KEY_ITEM) ?? '';
}

export function setApiKey(key: string): void {
  if (key.trim()) storage().setItem(KEY_ITEM, key.trim());
  else storage().removeItem(KEY_ITEM);
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
  }
}

interface ValidationItem {
  loc?: unknown[];
  msg?: string;
}

/** `{"detail": …}` as one line plus, for 422s, the message per field (`training_data` → "Field required"). */
export function describeError(status: number, body: unknown): ApiError {
  const detail = (body as { detail?: unknown } | null)?.detail;
  if (Array.isArray(detail)) {
    const fields: Record<string, string> = {};
    const lines = (detail as ValidationItem[]).map((d) => {
      const path = (d.loc ?? []).filter((p, i) => !(i === 0 && (p === 'body' || p === 'query' || p === 'path'))).join('.');
      if (path && !(path in fields)) fields[path] = d.msg ?? 'invalid';
      return path ? `${path}: ${d.msg ?? 'invalid'}` : (d.msg ?? 'invalid');
    });
    return new ApiError(status, lines.join('; '), fields);
  }
  if (typeof detail === 'string') return new ApiError(status, `${status}: ${detail}`);
  return new ApiError(status, `HTTP ${status}`);
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const key = apiKey();
  return key ? { authorization: `Bearer ${key}`, ...extra } : extra;
}

async function parse<T>(res: Response): Promise<T> {
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = { detail: text };
  }
  if (!res.ok) throw describeError(res.status, body);
  return body as T;
}

export async function get<T>(path: string): Promise<T> {
  return parse<T>(await fetch(path, { headers: headers() }));
}

/** POST a JSON body (`raw`: already serialised, as for an uploaded file's bytes). */
export async function post<T>(path: string, body: unknown, raw = false): Promise<T> {
  return parse<T>(
    await fetch(path, { method: 'POST', headers: headers({ 'content-type': 'application/json' }), body: raw ? (body as string) : JSON.stringify(body) }),
  );
}

/** An authorised streaming GET (EventSource cannot send an Authorization header). */
export function openStream(path: string, signal: AbortSignal): Promise<Response> {
  return fetch(path, { headers: headers({ accept: 'text/event-stream' }), signal });
}
