import type { DestinationStream } from 'pino';

const levelColours: Record<string, string> = {
  fatal: '\x1b[41m', error: '\x1b[31m', warn: '\x1b[33m', info: '\x1b[32m', debug: '\x1b[36m', trace: '\x1b[90m',
};
const reset = '\x1b[0m';
const omitted = new Set(['level', 'time', 'name', 'msg', 'pid', 'hostname', 'component']);

/** Formats one pino JSON line as `12:00:01 INFO  validator/offers: message {extra fields}`. */
export function formatPrettyLine(line: string, colour: boolean): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const level = typeof rec.level === 'string' ? rec.level : String(rec.level ?? '');
  const time = typeof rec.time === 'string' ? rec.time.slice(11, 23) : '';
  const who = [rec.name, rec.component].filter((v) => typeof v === 'string' && v !== '').join('/');
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rec)) if (!omitted.has(k)) extra[k] = v;
  const levelText = level.toUpperCase().padEnd(5);
  const shownLevel = colour ? `${levelColours[level] ?? ''}${levelText}${reset}` : levelText;
  const rest = Object.keys(extra).length > 0 ? ` ${JSON.stringify(extra)}` : '';
  return `${time} ${shownLevel} ${who}: ${String(rec.msg ?? '')}${rest}\n`;
}

/** A pino destination that turns JSON lines (already redacted by pino) into the human format. */
export function createPrettyStream(out: NodeJS.WritableStream & { isTTY?: boolean }): DestinationStream {
  const colour = out.isTTY === true && !process.env.NO_COLOR;
  return {
    write(line: string) {
      out.write(formatPrettyLine(line, colour));
    },
  };
}
