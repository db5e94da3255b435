/**
 * HTTP client for trainer nodes (tournament spec §5.1, §6): start a training, read GPU availability and one job's
 * status. Plain HTTP to `<trainer_ip>` (port 8001 when it has none), JSON validated with the core schemas, a
 * timeout per call and a few attempts with back-off, as the original's tenacity wrapper. The trainer service
 * authenticates its callers; `headers` supplies the credential (e.g. a bearer token) without this client knowing
 * the scheme.
 */
import { z } from 'zod';
import {
  DEFAULT_TRAINER_PORT,
  gpuAvailabilityResponseSchema,
  TRAINER_ENDPOINTS,
  trainerStartResponseSchema,
  trainerTaskLogSchema,
  type GpuInfo,
  type TrainerProxyRequest,
  type TrainerTaskLog,
} from '../core/models/trainer.ts';
import { TrainerHttpError, TrainerUnreachable, type StartOutcome, type TrainerApi } from './ports.ts';

export interface TrainerClientOptions {
  timeoutMs: number;
  attempts: number;
  backoffMinMs: number;
  backoffMaxMs: number;
  /** The start reply that counts as started. */
  startedMessage: string;
  /**
   * Extra request headers (the trainer's credential), per trainer: `trainerIp` is the address the call goes to, so a
   * credential can be scoped to the one trainer it was issued by (`scopedTrainerHeaders` in trainer-registry.ts).
   */
  headers?: (trainerIp: string) => Record<string, string>;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

const HOST_PORT = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?$/;

/** `host[:port]` (or an `http(s)://` base URL, for local setups) → the base URL; throws on anything else. */
export function trainerBaseUrl(trainerIp: string): string {
  if (/^https?:\/\//.test(trainerIp)) {
    const u = new URL(trainerIp);
    if (u.pathname !== '/' || u.search || u.hash || u.username || u.password) throw new Error(`trainer address ${trainerIp} must be a bare base URL`);
    return `${u.protocol}//${u.host}`;
  }
  if (!HOST_PORT.test(trainerIp)) throw new Error(`trainer address ${JSON.stringify(trainerIp)} is not host[:port]`);
  const hasPort = trainerIp.startsWith('[') ? /\]:\d+$/.test(trainerIp) : trainerIp.includes(':');
  return `http://${hasPort ? trainerIp : `${trainerIp}:${DEFAULT_TRAINER_PORT}`}`;
}

export function isValidTrainerAddress(trainerIp: string): boolean {
  try {
    trainerBaseUrl(trainerIp);
    return true;
  } catch {
    return false;
  }
}

interface RawReply {
  status: number;
  body: unknown;
}

export class HttpTrainerClient implements TrainerApi {
  private readonly fetch: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly o: TrainerClientOptions) {
    this.fetch = o.fetch ?? globalThis.fetch;
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** One call with retries on connection errors, timeouts and 5xx; 4xx answers are returned at once. */
  private async call(trainerIp: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<RawReply> {
    const url = `${trainerBaseUrl(trainerIp)}${path}`;
    let last: Error = new TrainerUnreachable(`${url}: no attempt made`);
    for (let attempt = 0; attempt < Math.max(1, this.o.attempts); attempt++) {
      if (attempt > 0) await this.sleep(Math.min(this.o.backoffMaxMs, this.o.backoffMinMs * 2 ** (attempt - 1)));
      let res: Response;
      try {
        res = await this.fetch(url, {
          method,
          headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(this.o.headers?.(trainerIp) ?? {}) },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(this.o.timeoutMs),
          redirect: 'error',
        });
      } catch (err) {
        last = new TrainerUnreachable(`${method} ${url}: ${err instanceof Error ? err.message : String(err)}`);
        continue;
      }
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text === '' ? null : JSON.parse(text);
      } catch {
        // not JSON: keep the text for the error message
      }
      if (res.status >= 500) {
        last = new TrainerHttpError(res.status, `${method} ${url}: HTTP ${res.status} ${text.slice(0, 200)}`);
        continue;
      }
      return { status: res.status, body: parsed };
    }
    throw last;
  }

  async startTraining(trainerIp: string, request: TrainerProxyRequest): Promise<StartOutcome> {
    let reply: RawReply;
    try {
      reply = await this.call(trainerIp, 'POST', TRAINER_ENDPOINTS.startTraining, request);
    } catch (err) {
      return { kind: 'refused', retry: true, error: err instanceof Error ? err.message : String(err) };
    }
    const detail = (b: unknown) => (typeof b === 'object' && b !== null && 'detail' in b ? JSON.stringify((b as { detail: unknown }).detail) : JSON.stringify(b));
    if (reply.status === 200) {
      const parsed = trainerStartResponseSchema.safeParse(reply.body);
      if (!parsed.success) return { kind: 'refused', retry: true, error: `unexpected start reply: ${JSON.stringify(reply.body).slice(0, 200)}` };
      if (parsed.data.message === this.o.startedMessage && parsed.data.success !== false) return { kind: 'started' };
      return { kind: 'refused', retry: parsed.data.no_retry !== true, error: parsed.data.error ?? parsed.data.message };
    }
    // 409: GPUs busy, 429: throttled: worth retrying. 401/403: our credential is wrong for this trainer — the
    // operator's fault, never the miner's, so the training must not be failed for good over it. Other 4xx: the
    // request itself is refused (bad repo, clone failure).
    if (reply.status === 401 || reply.status === 403) {
      return { kind: 'refused', retry: true, error: `trainer refused our credentials (HTTP ${reply.status}): ${detail(reply.body).slice(0, 300)}` };
    }
    const retry = reply.status === 409 || reply.status === 429 || reply.status === 408;
    return { kind: 'refused', retry, error: `HTTP ${reply.status}: ${detail(reply.body).slice(0, 300)}` };
  }

  async gpuAvailability(trainerIp: string): Promise<GpuInfo[]> {
    const reply = await this.call(trainerIp, 'GET', TRAINER_ENDPOINTS.gpuAvailability);
    if (reply.status !== 200) throw new TrainerHttpError(reply.status, `gpu availability: HTTP ${reply.status}`);
    return parseOrThrow(gpuAvailabilityResponseSchema, reply.body, 'gpu availability');
  }

  async taskDetails(trainerIp: string, taskId: string, hotkey: string): Promise<TrainerTaskLog | null> {
    const path = `${TRAINER_ENDPOINTS.taskDetails.replace('{task_id}', encodeURIComponent(taskId))}?hotkey=${encodeURIComponent(hotkey)}`;
    const reply = await this.call(trainerIp, 'GET', path);
    if (reply.status === 404) return null;
    if (reply.status !== 200) throw new TrainerHttpError(reply.status, `task details: HTTP ${reply.status}`);
    return parseOrThrow(trainerTaskLogSchema, reply.body, 'task details');
  }
}

function parseOrThrow<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const r = schema.safeParse(body);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new TrainerHttpError(200, `${what}: invalid reply at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  return r.data;
}
