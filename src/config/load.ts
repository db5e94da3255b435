import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { RuleDef } from '../core/rules/index.ts';
import { ruleInvariants } from '../core/rules/index.ts';
import { configDefs, configGroups, configPaths, configSchema, defOf, defaultConfig, envNameFor, wellKnownEnv, type Config } from './schema.ts';

/** Where a leaf's effective value came from. */
export type Source = 'default' | 'cli' | `file:${string}` | `env:${string}`;

export interface ConfigFileInfo {
  /** Absolute path of the file that is (or would be) read. */
  readonly path: string;
  readonly exists: boolean;
  /** How the path was chosen: `$GOD_CONFIG`, or `<home>/config.json` with home from cli/env/default. */
  readonly chosenBy: 'GOD_CONFIG' | 'home';
}

export interface LoadedConfig {
  readonly config: Config;
  /** `group.key` → source of its effective value; every leaf is present. */
  readonly sources: Readonly<Record<string, Source>>;
  readonly file: ConfigFileInfo;
}

export interface LoadOptions {
  /** Environment to read (default `process.env`); tests pass their own. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Directory relative paths resolve against (default `process.cwd()`). */
  readonly cwd?: string;
  /** Highest-precedence overrides, `group.key` → value; strings are parsed like environment text. */
  readonly cli?: Readonly<Record<string, unknown>>;
}

/** A config problem: every line names the key, where the bad value came from and what was expected. */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const HOME_DEFAULT = defaultConfig.general.home;

/** Which file `loadConfig` reads: `$GOD_CONFIG` if set, else `<home>/config.json`. */
export function locateConfigFile(opts: LoadOptions = {}): ConfigFileInfo {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const explicit = env.GOD_CONFIG;
  if (explicit !== undefined && explicit !== '') {
    const path = resolve(cwd, explicit);
    return { path, exists: existsSync(path), chosenBy: 'GOD_CONFIG' };
  }
  const cliHome = opts.cli?.['general.home'];
  const home =
    (typeof cliHome === 'string' && cliHome !== '' ? cliHome : undefined) ??
    nonEmpty(env.GOD_GENERAL__HOME) ??
    nonEmpty(env.GOD_HOME) ??
    HOME_DEFAULT;
  const path = resolve(cwd, home, 'config.json');
  return { path, exists: existsSync(path), chosenBy: 'home' };
}

const nonEmpty = (s: string | undefined): string | undefined => (s === undefined || s === '' ? undefined : s);

/**
 * The one config loader: defaults ← config file ← environment ← cli. Every problem found is reported (each on its
 * own line) in one ConfigError, so an operator fixes them in one go instead of one per restart.
 */
export function loadConfig(opts: LoadOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const problems: string[] = [];
  const values: Record<string, Record<string, unknown>> = {};
  const sources: Record<string, Source> = {};
  for (const group of configGroups) {
    values[group] = { ...(defaultConfig[group] as Record<string, unknown>) };
    for (const key of Object.keys(configDefs[group])) sources[`${group}.${key}`] = 'default';
  }
  const set = (group: string, key: string, value: unknown, source: Source): void => {
    (values[group] as Record<string, unknown>)[key] = value;
    sources[`${group}.${key}`] = source;
  };

  const file = locateConfigFile(opts);
  applyFile(file, env, problems, set);
  applyEnv(env, problems, set);
  applyCli(opts.cli ?? {}, problems, set);

  if (problems.length === 0) {
    const get = (path: string): unknown => {
      const [group, key] = path.split('.') as [string, string];
      return values[group]?.[key];
    };
    for (const inv of ruleInvariants) {
      if (inv.holds(get)) continue;
      const parts = inv.keys.map((path) => `${path}=${JSON.stringify(get(path))} (${describeSource(sources[path] ?? 'default')})`);
      problems.push(`config: ${parts.join(', ')}: expected ${inv.expected}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);

  // Each leaf was already checked against its own schema; this pass guards the assembly itself.
  const whole = configSchema.safeParse(values);
  if (!whole.success) {
    const issue = whole.error.issues[0];
    throw new ConfigError([`config: internal: assembled config failed its schema at ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? ''}`]);
  }
  return { config: deepFreeze(values) as unknown as Config, sources, file };
}

type Setter = (group: string, key: string, value: unknown, source: Source) => void;

function applyFile(file: ConfigFileInfo, env: Readonly<Record<string, string | undefined>>, problems: string[], set: Setter): void {
  if (!file.exists) {
    if (file.chosenBy === 'GOD_CONFIG') problems.push(`config: GOD_CONFIG=${JSON.stringify(env.GOD_CONFIG)} (env): file not found (${file.path})`);
    return;
  }
  const where = `file ${file.path}`;
  if (!/\.json$/i.test(file.path)) {
    problems.push(`config: ${file.path} (file): expected a .json file (only JSON config files are supported)`);
    return;
  }
  let raw: string;
  try {
    raw = readFileSync(file.path, 'utf8');
  } catch (err) {
    problems.push(`config: ${file.path} (file): cannot read: ${(err as Error).message}`);
    return;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw) as unknown;
  } catch (err) {
    problems.push(`config: ${file.path} (file): invalid JSON: ${(err as Error).message}`);
    return;
  }
  if (!isPlainObject(parsed)) {
    problems.push(`config: ${file.path} (file): expected a JSON object of groups (${configGroups.join(', ')}), got ${kindOf(parsed)}`);
    return;
  }
  for (const [group, groupValue] of Object.entries(parsed)) {
    if (!Object.hasOwn(configDefs, group)) {
      problems.push(`config: ${group} (${where}): unknown group${suggest(group, configGroups)}; groups are ${configGroups.join(', ')}`);
      continue;
    }
    if (!isPlainObject(groupValue)) {
      problems.push(`config: ${group} (${where}): expected an object of ${group} keys, got ${kindOf(groupValue)}`);
      continue;
    }
    for (const [key, value] of Object.entries(groupValue)) {
      const def = defOf(group, key);
      if (!def) {
        problems.push(`config: ${group}.${key} (${where}): unknown key${suggest(key, Object.keys(configDefs[group as keyof typeof configDefs]), `${group}.`)}`);
        continue;
      }
      const checked = check(def, value);
      if (checked.ok) set(group, key, checked.value, `file:${file.path}`);
      else problems.push(`config: ${group}.${key}=${shown(def, value)} (${where}): expected ${checked.expected}`);
    }
  }
}

function applyEnv(env: Readonly<Record<string, string | undefined>>, problems: string[], set: Setter): void {
  const byEnvName = new Map<string, string>();
  for (const path of configPaths()) {
    const [group, key] = path.split('.') as [string, string];
    byEnvName.set(envNameFor(group, key), path);
  }
  const apply = (name: string, path: string, raw: string): void => {
    const [group, key] = path.split('.') as [string, string];
    const def = defOf(group, key) as RuleDef<unknown>;
    const checked = fromText(def, raw);
    if (checked.ok) set(group, key, checked.value, `env:${name}`);
    else problems.push(`config: ${name}=${shownText(def, raw)} (env): expected ${checked.expected}`);
  };
  // Plain names first, so the specific GOD_<GROUP>__<KEY> form overrides them.
  for (const [name, path] of Object.entries(wellKnownEnv)) {
    const raw = env[name];
    if (raw !== undefined) apply(name, path, raw);
  }
  for (const name of Object.keys(env).sort()) {
    const raw = env[name];
    if (raw === undefined || !name.startsWith('GOD_') || !name.includes('__')) continue;
    const path = byEnvName.get(name);
    if (path) {
      apply(name, path, raw);
      continue;
    }
    const guess = suggest(name, [...byEnvName.keys()]);
    problems.push(`config: ${name} (env): unknown config variable${guess}`);
  }
}

function applyCli(cli: Readonly<Record<string, unknown>>, problems: string[], set: Setter): void {
  for (const [path, value] of Object.entries(cli)) {
    const [group = '', key = '', ...rest] = path.split('.');
    const def = rest.length === 0 ? defOf(group, key) : undefined;
    if (!def) {
      problems.push(`config: ${path} (cli): unknown key${suggest(path, configPaths())}`);
      continue;
    }
    const checked = typeof value === 'string' ? fromText(def, value) : check(def, value);
    if (checked.ok) set(group, key, checked.value, 'cli');
    else problems.push(`config: ${path}=${typeof value === 'string' ? shownText(def, value) : shown(def, value)} (cli): expected ${checked.expected}`);
  }
}

type Checked = { ok: true; value: unknown } | { ok: false; expected: string };

function check(def: RuleDef<unknown>, value: unknown): Checked {
  const result = def.schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  if (def.kind !== 'json') return { ok: false, expected: def.expected };
  const issue = result.error.issues[0];
  const at = issue && issue.path.length > 0 ? ` (at ${issue.path.map(String).join('.')}: ${issue.message})` : issue ? ` (${issue.message})` : '';
  return { ok: false, expected: def.expected + at };
}

/** Environment and `--set` values are text: turn them into the rule's type, then validate as usual. */
export function fromText(def: RuleDef<unknown>, raw: string): Checked {
  const text = raw.trim();
  switch (def.kind) {
    case 'number': {
      if (text === '' || !/^[+-]?(\d[\d_]*(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text)) return { ok: false, expected: def.expected };
      return check(def, Number(text.replaceAll('_', '')));
    }
    case 'boolean': {
      const lower = text.toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(lower)) return check(def, true);
      if (['false', '0', 'no', 'off'].includes(lower)) return check(def, false);
      return { ok: false, expected: def.expected };
    }
    case 'string': {
      // An empty value unsets an optional setting, the way an empty shell variable usually means "not set".
      if (raw === '' && def.schema.safeParse(null).success) return check(def, null);
      return check(def, raw);
    }
    case 'json': {
      let parsed: unknown;
      try {
        parsed = def.parseText ? def.parseText(raw) : (JSON.parse(raw) as unknown);
      } catch (err) {
        return { ok: false, expected: `${def.expected} (invalid JSON: ${(err as Error).message})` };
      }
      return check(def, parsed);
    }
  }
}

function describeSource(source: Source): string {
  if (source === 'default' || source === 'cli') return source;
  if (source.startsWith('env:')) return `env ${source.slice(4)}`;
  return `file ${source.slice(5)}`;
}

function shown(def: RuleDef<unknown>, value: unknown): string {
  if (def.secret) return '"****"';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function shownText(def: RuleDef<unknown>, raw: string): string {
  if (def.secret) return '"****"';
  return JSON.stringify(raw.length > 80 ? `${raw.slice(0, 77)}...` : raw);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** "; did you mean X?" for the closest candidate within a small edit distance (case-insensitive), else "". */
function suggest(name: string, candidates: readonly string[], prefix = ''): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const limit = Math.max(2, Math.floor(name.length / 3));
  return best !== undefined && bestDistance <= limit ? `; did you mean ${prefix}${best}?` : '';
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost));
    }
    prev = cur;
  }
  return prev[b.length] as number;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** Absolute data directory of a loaded config. */
export function homeDir(config: Config, cwd: string = process.cwd()): string {
  return isAbsolute(config.general.home) ? config.general.home : resolve(cwd, config.general.home);
}

/** `--set group.key=value` flags to the `cli` overrides `loadConfig` takes. */
export function parseSetFlags(flags: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq <= 0) throw new ConfigError([`config: --set ${JSON.stringify(flag)} (cli): expected group.key=value`]);
    out[flag.slice(0, eq).trim()] = flag.slice(eq + 1);
  }
  return out;
}
