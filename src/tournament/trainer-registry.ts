/**
 * The trainer nodes an operator configures (`orchestrator.trainers`: address + bearer token each) and the client
 * that talks to them. Tokens are scoped: a call carries the token of the trainer it goes to and no other, so a
 * trainer (or whoever runs it) never learns the credential of another. Trainers that are not configured — added at
 * run time through `add_trainer`, or listed without a token — get the fallback token when one is set, else no
 * credential (and answer 401).
 */
import { z } from 'zod';
import type { TournamentRules } from '../core/rules/tournament.ts';
import { listTrainerIps } from '../db/queries/tournament-training.ts';
import { errorText, type TournamentContext } from './context.ts';
import { registerTrainer } from './orchestrator.ts';
import { HttpTrainerClient, isValidTrainerAddress, trainerBaseUrl } from './trainer-client.ts';

export interface TrainerEntry {
  /** `host[:port]` (port 8001 when absent) or an `http(s)://host:port` base URL. */
  url: string;
  token: string | null;
}

export const trainerEntrySchema = z.strictObject({
  url: z.string().min(1).max(300).refine(isValidTrainerAddress, 'must be host[:port] or a bare http(s)://host:port base URL'),
  token: z.string().min(1).max(1000).nullable().optional(),
});

/** Validates the configured list; errors name the entry (`orchestrator.trainers[1].url: …`). */
export function parseTrainerEntries(raw: unknown, path = 'orchestrator.trainers'): TrainerEntry[] {
  const parsed = z.array(trainerEntrySchema).safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = (issue?.path ?? []).map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    throw new Error(`${path}${where}: ${issue?.message ?? 'invalid'}`);
  }
  const seen = new Set<string>();
  return parsed.data.map((e, i) => {
    const key = trainerBaseUrl(e.url);
    if (seen.has(key)) throw new Error(`${path}[${i}].url: ${e.url} is listed twice`);
    seen.add(key);
    return { url: e.url, token: e.token ?? null };
  });
}

/**
 * Request headers per trainer address: the configured trainer's own token, matched on the normalised base URL
 * (`10.0.0.5` and `http://10.0.0.5:8001` are the same trainer); else (not listed, or listed without a token) the
 * fallback token; else none.
 */
export function scopedTrainerHeaders(entries: readonly TrainerEntry[], fallbackToken: string | null = null): (trainerIp: string) => Record<string, string> {
  const tokens = new Map<string, string | null>();
  for (const e of entries) tokens.set(trainerBaseUrl(e.url), e.token);
  return (trainerIp): Record<string, string> => {
    let key: string;
    try {
      key = trainerBaseUrl(trainerIp);
    } catch {
      return {};
    }
    const token = tokens.get(key) ?? fallbackToken;
    return token ? { authorization: `Bearer ${token}` } : {};
  };
}

export interface TrainerClientConfig {
  trainers: readonly TrainerEntry[];
  fallbackToken?: string | null;
}

/** The orchestrator's trainer client with the rules' timeouts and back-off and scoped credentials. */
export function scopedTrainerClient(rules: Pick<TournamentRules, 'trainerHttpTimeoutSeconds' | 'trainerCallAttempts' | 'trainerBackoffMinSeconds' | 'trainerBackoffMaxSeconds' | 'expectedStartMessage'>, c: TrainerClientConfig): HttpTrainerClient {
  return new HttpTrainerClient({
    timeoutMs: rules.trainerHttpTimeoutSeconds * 1000,
    attempts: rules.trainerCallAttempts,
    backoffMinMs: rules.trainerBackoffMinSeconds * 1000,
    backoffMaxMs: rules.trainerBackoffMaxSeconds * 1000,
    startedMessage: rules.expectedStartMessage,
    headers: scopedTrainerHeaders(c.trainers, c.fallbackToken ?? null),
  });
}

/** Reads `orchestrator.trainers` / `orchestrator.trainerToken` out of a loaded config. */
export function trainerClientConfig(config: { orchestrator: { trainers: unknown; trainerToken: string | null } }): TrainerClientConfig {
  return { trainers: parseTrainerEntries(config.orchestrator.trainers), fallbackToken: config.orchestrator.trainerToken };
}

/**
 * Registers every configured trainer the database does not list yet (its GPUs read from it). A trainer that cannot
 * be reached is logged and tried again on the next call; returns the addresses registered now.
 */
export async function registerConfiguredTrainers(ctx: TournamentContext, entries: readonly TrainerEntry[]): Promise<string[]> {
  const known = new Set((await listTrainerIps(ctx.db)).map((ip) => safeBase(ip)));
  const added: string[] = [];
  for (const e of entries) {
    if (known.has(safeBase(e.url))) continue;
    try {
      await registerTrainer(ctx, e.url);
      added.push(e.url);
    } catch (err) {
      ctx.log.warn({ trainer_ip: e.url, err: errorText(err) }, 'configured trainer not registered yet; retrying on the next pass');
    }
  }
  return added;
}

function safeBase(ip: string): string {
  try {
    return trainerBaseUrl(ip);
  } catch {
    return ip;
  }
}
