/**
 * The orchestrator's side of the trainer API: signed with the validator's hotkey (fiber headers, addressed to the
 * trainer's hotkey) or with a bearer token. Results use the signed client's `CallResult` shape either way.
 */
import type { z } from 'zod';
import {
  TRAINER_ENDPOINTS,
  gpuAvailabilityResponseSchema,
  recentTasksResponseSchema,
  trainerStartResponseSchema,
  trainerTaskLogSchema,
  type GpuInfo,
  type TrainerProxyRequest,
  type TrainerStartResponse,
  type TrainerTaskLog,
} from '../core/models/trainer.ts';
import type { CallResult, SignedClient } from '../net/client.ts';
import { pythonJsonDumps } from '../net/python-json.ts';
import { TRAINER_EXTRA_ENDPOINTS, jobLogsResponseSchema, type JobLogsResponse } from './server.ts';

export type TrainerCredentials = { kind: 'signed'; client: SignedClient; trainerHotkey: string } | { kind: 'token'; token: string };

export interface TrainerClientOptions {
  /** `http://host:port` (8001 is the original's default port). */
  baseUrl: string;
  credentials: TrainerCredentials;
  /** The orchestrator's TRAINER_HTTP_TIMEOUT (30 s). */
  timeoutMs?: number;
}

export class TrainerClient {
  private readonly timeoutMs: number;

  constructor(private readonly options: TrainerClientOptions) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  startTraining(request: TrainerProxyRequest): Promise<CallResult<TrainerStartResponse>> {
    return this.post(TRAINER_ENDPOINTS.startTraining, request, trainerStartResponseSchema);
  }

  gpuAvailability(): Promise<CallResult<GpuInfo[]>> {
    return this.get(TRAINER_ENDPOINTS.gpuAvailability, gpuAvailabilityResponseSchema);
  }

  recentTasks(hours: number): Promise<CallResult<TrainerTaskLog[]>> {
    return this.get(`${TRAINER_ENDPOINTS.recentTasks}?hours=${encodeURIComponent(String(hours))}`, recentTasksResponseSchema);
  }

  taskDetails(taskId: string, hotkey: string): Promise<CallResult<TrainerTaskLog>> {
    const path = TRAINER_ENDPOINTS.taskDetails.replace('{task_id}', encodeURIComponent(taskId));
    return this.get(`${path}?hotkey=${encodeURIComponent(hotkey)}`, trainerTaskLogSchema);
  }

  taskLogs(taskId: string, hotkey: string): Promise<CallResult<JobLogsResponse>> {
    const path = TRAINER_EXTRA_ENDPOINTS.taskLogs.replace('{task_id}', encodeURIComponent(taskId));
    return this.get(`${path}?hotkey=${encodeURIComponent(hotkey)}`, jobLogsResponseSchema);
  }

  private post<T>(path: string, payload: unknown, schema: z.ZodType<T>): Promise<CallResult<T>> {
    const c = this.options.credentials;
    if (c.kind === 'signed') return c.client.post({ baseUrl: this.options.baseUrl, minerHotkey: c.trainerHotkey, path, payload, schema, timeout: this.timeoutMs });
    return this.fetchJson('POST', path, schema, pythonJsonDumps(payload));
  }

  private get<T>(path: string, schema: z.ZodType<T>): Promise<CallResult<T>> {
    const c = this.options.credentials;
    if (c.kind === 'signed') return c.client.get({ baseUrl: this.options.baseUrl, minerHotkey: c.trainerHotkey, path, schema, timeout: this.timeoutMs });
    return this.fetchJson('GET', path, schema);
  }

  private async fetchJson<T>(method: 'GET' | 'POST', path: string, schema: z.ZodType<T>, body?: string): Promise<CallResult<T>> {
    const c = this.options.credentials as { kind: 'token'; token: string };
    let response: Response;
    try {
      response = await fetch(this.options.baseUrl + path, {
        method,
        headers: { authorization: `Bearer ${c.token}`, 'content-type': 'application/json' },
        ...(body !== undefined ? { body } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'manual',
      });
    } catch (error) {
      const e = error as Error & { cause?: { code?: string } };
      if (e.name === 'TimeoutError' || e.name === 'AbortError') return { kind: 'timeout' };
      return { kind: 'refused', code: e.cause?.code ?? e.message };
    }
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      if (response.ok) return { kind: 'invalid_body', status: response.status, error: 'not JSON' };
    }
    if (!response.ok) return { kind: 'http_error', status: response.status, body: parsed };
    const checked = schema.safeParse(parsed);
    if (!checked.success) return { kind: 'invalid_body', status: response.status, error: checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
    return { kind: 'ok', status: response.status, body: checked.data };
  }
}
