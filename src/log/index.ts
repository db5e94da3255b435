/**
 * The one logger: structured JSON lines through pino, one child per role and component, secrets redacted
 * before anything is written. A TTY gets a compact human format instead (no pino-pretty dependency).
 */
import { pino } from 'pino';
import type { DestinationStream, Logger as PinoLogger } from 'pino';
import { z } from 'zod';
import { createPrettyStream } from './pretty.ts';

export type Logger = PinoLogger;

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];
const LogLevelSchema = z.enum(logLevels);

/** Keys whose values never reach a log line, wherever they sit (up to three levels deep). */
export const secretKeys = [
  'api_key', 'apiKey', 'key_hash', 'keyHash', 'seed', 'secret', 'password', 'token', 'access_token',
  'private_key', 'privateKey', 'mnemonic', 'secret_key', 'secretKey', 'authorization', 'signature',
] as const;

/** Header names that carry credentials or signatures, as they appear in request objects. */
const secretHeaders = ['authorization', 'signature', 'x-api-key', 'cookie', 'set-cookie'] as const;

export const REDACTED = '[Redacted]';

/**
 * pino's redaction matches fixed paths; a wildcard stands for exactly one level. We list the depths we
 * actually log at rather than scanning every object, which keeps logging cheap.
 */
export function redactPaths(): string[] {
  const paths: string[] = [];
  for (const key of secretKeys) paths.push(key, `*.${key}`, `*.*.${key}`);
  for (const header of secretHeaders) {
    const prop = `["${header}"]`;
    paths.push(`headers${prop}`, `*.headers${prop}`, `*.*.headers${prop}`);
  }
  return paths;
}

export interface CreateLoggerOptions {
  name: string;
  /** Defaults to GOD_LOG_LEVEL, then `info`. */
  level?: LogLevel | string;
  /** Where lines go; defaults to stdout (JSON) or a human format when stdout is a TTY. */
  destination?: DestinationStream;
  /** `json` or `pretty`; defaults to GOD_LOG_FORMAT, then pretty on a TTY and JSON otherwise. */
  format?: 'json' | 'pretty';
}

export function parseLogLevel(value: string, source: string): LogLevel {
  const parsed = LogLevelSchema.safeParse(value.trim().toLowerCase());
  if (!parsed.success) throw new Error(`${source}: invalid log level "${value}" (expected one of ${logLevels.join(', ')})`);
  return parsed.data;
}

function resolveFormat(format: CreateLoggerOptions['format']): 'json' | 'pretty' {
  if (format) return format;
  const env = process.env.GOD_LOG_FORMAT;
  if (env === 'json' || env === 'pretty') return env;
  if (env !== undefined && env !== '') throw new Error(`GOD_LOG_FORMAT: invalid value "${env}" (expected json or pretty)`);
  return process.stdout.isTTY ? 'pretty' : 'json';
}

export function createLogger(options: CreateLoggerOptions): Logger {
  const envLevel = process.env.GOD_LOG_LEVEL;
  const level =
    options.level !== undefined
      ? parseLogLevel(options.level, 'log level')
      : envLevel !== undefined && envLevel !== ''
        ? parseLogLevel(envLevel, 'GOD_LOG_LEVEL')
        : 'info';
  const destination =
    options.destination ?? (resolveFormat(options.format) === 'pretty' ? createPrettyStream(process.stdout) : pino.destination(1));
  return pino(
    {
      name: options.name,
      level,
      redact: { paths: redactPaths(), censor: REDACTED },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

/** A child for one component of a role: `child(log, 'offers')` adds `component: "offers"` to every line. */
export function componentLogger(parent: Logger, component: string, bindings: Record<string, unknown> = {}): Logger {
  return parent.child({ component, ...bindings });
}

/** A logger that writes nothing, for tests and library callers that pass no logger. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
