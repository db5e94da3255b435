import type { RuleDef } from '../core/rules/index.ts';
import type { LoadedConfig, Source } from './load.ts';
import { configDefs, configGroups, defOf, type ConfigGroup } from './schema.ts';

const MASK = '****';
/** Key names that look secret even if a rule forgot to say so (belt and braces for printed output). */
const SECRET_NAME = /(token|secret|password|apikey|api_key|accesskey|privatekey)$/i;

/** A value as it may be printed: secrets replaced, URL passwords hidden, null kept (it says "unset"). */
export function maskValue(def: RuleDef<unknown> | undefined, key: string, value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (def?.secret === 'url' && typeof value === 'string') return maskUrlPassword(value);
  if (def?.secret === 'value' || SECRET_NAME.test(key)) return MASK;
  return value;
}

/** `postgres://user:pw@host/db` → `postgres://user:****@host/db`; anything unparsable is masked whole. */
export function maskUrlPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === '') return url;
    parsed.password = MASK;
    return parsed.toString();
  } catch {
    return MASK;
  }
}

export interface ShownEntry {
  readonly value: unknown;
  readonly source: Source;
}

function groupsToShow(only?: string): ConfigGroup[] {
  if (only === undefined) return configGroups;
  if (!(configGroups as string[]).includes(only)) {
    throw new Error(`config: --only ${JSON.stringify(only)}: unknown group; groups are ${configGroups.join(', ')}`);
  }
  return [only as ConfigGroup];
}

/** `{ group: { key: { value, source } } }` with secrets masked. */
export function configToJson(loaded: LoadedConfig, only?: string): Record<string, Record<string, ShownEntry>> {
  const out: Record<string, Record<string, ShownEntry>> = {};
  for (const group of groupsToShow(only)) {
    const entries: Record<string, ShownEntry> = {};
    for (const key of Object.keys(configDefs[group])) {
      const value = (loaded.config[group] as Record<string, unknown>)[key];
      entries[key] = { value: maskValue(defOf(group, key), key, value), source: loaded.sources[`${group}.${key}`] ?? 'default' };
    }
    out[group] = entries;
  }
  return out;
}

function display(value: unknown): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value) ?? String(value);
}

/** Aligned `KEY  VALUE  SOURCE` table, one row per leaf, a blank line between groups. */
export function configToTable(loaded: LoadedConfig, only?: string): string {
  const shown = configToJson(loaded, only);
  const rows: Array<[string, string, string] | null> = [];
  for (const [group, entries] of Object.entries(shown)) {
    if (rows.length > 0) rows.push(null);
    for (const [key, { value, source }] of Object.entries(entries)) rows.push([`${group}.${key}`, display(value), source]);
  }
  const real = rows.filter((r): r is [string, string, string] => r !== null);
  const keyWidth = Math.max(3, ...real.map((r) => r[0].length));
  const valueWidth = Math.min(60, Math.max(5, ...real.map((r) => r[1].length)));
  const line = (k: string, v: string, s: string): string => `${k.padEnd(keyWidth)}  ${v.padEnd(valueWidth)}  ${s}`.trimEnd();
  const out = [line('KEY', 'VALUE', 'SOURCE')];
  for (const row of rows) out.push(row === null ? '' : line(...row));
  return `${out.join('\n')}\n`;
}
