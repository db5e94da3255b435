import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultRules } from '../core/rules/index.ts';
import { configToJson, configToTable, maskUrlPassword } from './format.ts';
import { ConfigError, loadConfig, locateConfigFile, parseSetFlags, type LoadOptions } from './load.ts';
import { configGroups, configPaths, envNameFor } from './schema.ts';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'god-config-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeConfig(content: unknown, name = 'config.json'): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** Loads with an isolated environment: nothing from the developer's shell leaks into a test. */
function load(env: Record<string, string>, extra: Omit<LoadOptions, 'env' | 'cwd'> = {}) {
  return loadConfig({ env, cwd: dir, ...extra });
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig precedence and provenance', () => {
  it('returns the reference rules, all marked default, when nothing is set', () => {
    const { config, sources, file } = load({});
    expect(config.validator).toEqual(defaultRules.validator);
    expect(config.scoring).toEqual(defaultRules.scoring);
    expect(config.general.home).toBe('./.god');
    expect(config.database.url).toBeNull();
    expect(Object.keys(sources).sort()).toEqual(configPaths().sort());
    expect(new Set(Object.values(sources))).toEqual(new Set(['default']));
    expect(file).toEqual({ path: join(dir, '.god', 'config.json'), exists: false, chosenBy: 'home' });
  });

  it('layers defaults ← file ← environment ← cli, recording where each value came from', () => {
    const path = writeConfig({
      validator: { offerTimeoutSeconds: 5, maxConcurrentTaskPreps: 4 },
      synth: { imagePairsMin: 12 },
      general: { logLevel: 'debug' },
    });
    const { config, sources } = load(
      { GOD_CONFIG: path, GOD_VALIDATOR__OFFER_TIMEOUT_SECONDS: '6', GOD_LOG_LEVEL: 'warn', NETUID: '241' },
      { cli: { 'validator.offerTimeoutSeconds': '7', 'synth.imagePairsMax': 40 } },
    );
    expect(config.validator.offerTimeoutSeconds).toBe(7);
    expect(sources['validator.offerTimeoutSeconds']).toBe('cli');
    expect(config.validator.maxConcurrentTaskPreps).toBe(4);
    expect(sources['validator.maxConcurrentTaskPreps']).toBe(`file:${path}`);
    expect(config.synth.imagePairsMin).toBe(12);
    expect(config.synth.imagePairsMax).toBe(40);
    expect(config.general.logLevel).toBe('warn');
    expect(sources['general.logLevel']).toBe('env:GOD_LOG_LEVEL');
    expect(config.protocol.netuid).toBe(241);
    expect(sources['protocol.netuid']).toBe('env:NETUID');
    expect(config.validator.maxConcurrentTrainings).toBe(10);
    expect(sources['validator.maxConcurrentTrainings']).toBe('default');
  });

  it('lets the GOD_<GROUP>__<KEY> name win over a plain well-known name', () => {
    const { config, sources } = load({ DATABASE_URL: 'postgres://a@h/one', GOD_DATABASE__URL: 'postgres://a@h/two' });
    expect(config.database.url).toBe('postgres://a@h/two');
    expect(sources['database.url']).toBe('env:GOD_DATABASE__URL');
  });

  it('finds the config file under GOD_HOME when GOD_CONFIG is not set', () => {
    const home = join(dir, 'home');
    mkdirSync(home);
    writeFileSync(join(home, 'config.json'), JSON.stringify({ protocol: { minerPort: 8999 } }));
    const { config, sources, file } = load({ GOD_HOME: 'home' });
    expect(file).toEqual({ path: join(home, 'config.json'), exists: true, chosenBy: 'home' });
    expect(config.protocol.minerPort).toBe(8999);
    expect(sources['protocol.minerPort']).toBe(`file:${join(home, 'config.json')}`);
    expect(config.general.home).toBe('home');
  });

  it('parses text values by type: booleans, lists, JSON tables, empty optional strings', () => {
    const bins = [{ minRows: 0, maxRows: 10, minHours: 1, maxHours: 1 }];
    const { config } = load({
      GOD_PREP__BUILD_SYNTHETIC_EVAL_SET: 'no',
      GPU_IDS: '0, 2,3',
      GOD_SYNTH__TEXT_HOURS_BINS: JSON.stringify(bins),
      GOD_SERVICES__S3_BUCKET: '',
      GOD_VALIDATOR__OFFER_TIMEOUT_SECONDS: '0.25',
      GOD_TOURNAMENT__IMAGE_GPU_TYPES: 'A100, A6000',
      GOD_TOURNAMENT__TEXT_GPU_TYPES: '["H100","A100"]',
      GOD_API__MAX_PAGE_SIZE: '800',
    });
    expect(config.prep.buildSyntheticEvalSet).toBe(false);
    expect(config.evaluation.gpuIds).toEqual([0, 2, 3]);
    expect(config.synth.textHoursBins).toEqual(bins);
    expect(config.services.s3Bucket).toBeNull();
    expect(config.validator.offerTimeoutSeconds).toBe(0.25);
    expect(config.tournament.imageGpuTypes).toEqual(['A100', 'A6000']);
    expect(config.tournament.textGpuTypes).toEqual(['H100', 'A100']);
    expect(config.api.maxPageSize).toBe(800);
  });

  it('returns a frozen config', () => {
    const { config } = load({ GPU_IDS: '1' });
    expect(Object.isFrozen(config.validator)).toBe(true);
    expect(Object.isFrozen(config.evaluation.gpuIds)).toBe(true);
  });

  it('gives every leaf a distinct environment name', () => {
    const names = configPaths().map((p) => envNameFor(...(p.split('.') as [string, string])));
    expect(new Set(names).size).toBe(names.length);
    expect(envNameFor('validator', 'offerTimeoutSeconds')).toBe('GOD_VALIDATOR__OFFER_TIMEOUT_SECONDS');
    expect(envNameFor('tournament', 'oneH100MaxParamsB')).toBe('GOD_TOURNAMENT__ONE_H100_MAX_PARAMS_B');
  });
});

describe('loadConfig bad input: one line per problem naming key, source and expectation', () => {
  it('rejects a non-number in the environment', () => {
    expect(problemsOf(() => load({ GOD_VALIDATOR__OFFER_TIMEOUT_SECONDS: 'abc' }))).toEqual([
      'config: GOD_VALIDATOR__OFFER_TIMEOUT_SECONDS="abc" (env): expected a number of seconds ≥ 0',
    ]);
  });

  it('rejects a fraction where a whole number is needed, and out-of-range values', () => {
    expect(problemsOf(() => load({ GOD_VALIDATOR__MAX_CONCURRENT_TASK_PREPS: '2.5', NETUID: '-1' }))).toEqual([
      'config: NETUID="-1" (env): expected a whole number ≥ 0',
      'config: GOD_VALIDATOR__MAX_CONCURRENT_TASK_PREPS="2.5" (env): expected a whole number ≥ 1',
    ]);
  });

  it('rejects unknown environment variables with a suggestion', () => {
    expect(problemsOf(() => load({ GOD_VALIDATOR__OFFER_TIMEOUT: '5' }))).toEqual([
      'config: GOD_VALIDATOR__OFFER_TIMEOUT (env): unknown config variable; did you mean GOD_VALIDATOR__OFFER_TIMEOUT_SECONDS?',
    ]);
  });

  it('rejects a bad boolean, enum and JSON in the environment', () => {
    expect(problemsOf(() => load({ GOD_PREP__BUILD_SYNTHETIC_EVAL_SET: 'maybe', GOD_LOG_LEVEL: 'loud', GPU_IDS: 'a,b' }))).toEqual([
      'config: GOD_LOG_LEVEL="loud" (env): expected one of trace, debug, info, warn, error, fatal, silent',
      'config: GPU_IDS="a,b" (env): expected a comma list or JSON list of GPU ids (at 0: Invalid input: expected number, received string)',
      'config: GOD_PREP__BUILD_SYNTHETIC_EVAL_SET="maybe" (env): expected true or false',
    ]);
    const [line] = problemsOf(() => load({ GOD_SYNTH__TEXT_HOURS_BINS: '[{' }));
    expect(line).toMatch(/^config: GOD_SYNTH__TEXT_HOURS_BINS="\[\{" \(env\): expected a JSON list of \{minRows, maxRows, minHours, maxHours\} \(invalid JSON: .+\)$/);
  });

  it('rejects wrong types, unknown keys and unknown groups in the file, naming the file', () => {
    const path = writeConfig({
      validator: { offerTimeoutSeconds: '5', offerTimeoutSecs: 5 },
      valdator: {},
      synth: { textHoursBins: [{ minRows: 1, maxRows: 2, minHours: 1 }] },
    });
    expect(problemsOf(() => load({ GOD_CONFIG: path }))).toEqual([
      `config: validator.offerTimeoutSeconds="5" (file ${path}): expected a number of seconds ≥ 0`,
      `config: validator.offerTimeoutSecs (file ${path}): unknown key; did you mean validator.offerTimeoutSeconds?`,
      `config: valdator (file ${path}): unknown group; did you mean validator?; groups are ${configGroups.join(', ')}`,
      `config: synth.textHoursBins=[{"minRows":1,"maxRows":2,"minHours":1}] (file ${path}): expected a JSON list of {minRows, maxRows, minHours, maxHours} (at 0.maxHours: Invalid input: expected number, received undefined)`,
    ]);
  });

  it('lists the settings groups first, then the rules groups', () => {
    const settingsFirst = ['general', 'database', 'chain', 'services'];
    expect(configGroups.slice(0, 4)).toEqual(settingsFirst);
    const rulesTail = ['validator', 'api', 'prep', 'synth', 'tournament', 'trainer', 'miner', 'protocol', 'weights', 'evaluation', 'sandbox', 'fees', 'scoring'];
    expect(configGroups.slice(-rulesTail.length)).toEqual(rulesTail);
    expect(new Set(configGroups).size).toBe(configGroups.length);
  });

  it('rejects a file that is not JSON, not an object, or not there', () => {
    const broken = writeConfig('{ "validator": ', 'broken.json');
    const [line] = problemsOf(() => load({ GOD_CONFIG: broken }));
    expect(line).toMatch(new RegExp(`^config: ${broken.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(file\\): invalid JSON: .+`));
    const list = writeConfig([1, 2], 'list.json');
    expect(problemsOf(() => load({ GOD_CONFIG: list }))).toEqual([
      `config: ${list} (file): expected a JSON object of groups (${configGroups.join(', ')}), got an array`,
    ]);
    const yaml = writeConfig('a: 1', 'config.yaml');
    expect(problemsOf(() => load({ GOD_CONFIG: yaml }))).toEqual([`config: ${yaml} (file): expected a .json file (only JSON config files are supported)`]);
    expect(problemsOf(() => load({ GOD_CONFIG: 'missing.json' }))).toEqual([
      `config: GOD_CONFIG="missing.json" (env): file not found (${join(dir, 'missing.json')})`,
    ]);
  });

  it('a missing default-location file is not an error', () => {
    expect(locateConfigFile({ env: {}, cwd: dir }).exists).toBe(false);
    expect(() => load({})).not.toThrow();
  });

  it('rejects unknown and invalid cli overrides', () => {
    expect(problemsOf(() => load({}, { cli: { 'protocol.netuid': 'x', 'foo.bar': 1, 'protocol.minerPort': 70_000 } }))).toEqual([
      'config: protocol.netuid="x" (cli): expected a whole number ≥ 0',
      'config: foo.bar (cli): unknown key',
      'config: protocol.minerPort=70000 (cli): expected a port number between 0 and 65535',
    ]);
    expect(() => parseSetFlags(['novalue'])).toThrow('config: --set "novalue" (cli): expected group.key=value');
  });

  it('reports combinations that break an invariant, with each value\'s source', () => {
    const path = writeConfig({ validator: { offerTargetTextMin: 20 } });
    expect(problemsOf(() => load({ GOD_CONFIG: path }))).toEqual([
      `config: validator.offerTargetTextMin=20 (file ${path}), validator.offerTargetTextMax=15 (default): expected validator.offerTargetTextMin ≤ validator.offerTargetTextMax`,
    ]);
  });

  it('never echoes a secret in an error', () => {
    const path = writeConfig({ services: { huggingfaceToken: 12345 } });
    expect(problemsOf(() => load({ GOD_CONFIG: path }))).toEqual([
      `config: services.huggingfaceToken="****" (file ${path}): expected a string or null`,
    ]);
  });
});

describe('printing', () => {
  it('masks secrets and URL passwords, keeping the sources', () => {
    const loaded = load({ DATABASE_URL: 'postgres://god:hunter2@db:5432/god', HUGGINGFACE_TOKEN: 'hf_abc', GOD_SERVICES__S3_SECRET_KEY: 'shh' });
    const json = configToJson(loaded);
    expect(json.database?.url).toEqual({ value: 'postgres://god:****@db:5432/god', source: 'env:DATABASE_URL' });
    expect(json.services?.huggingfaceToken).toEqual({ value: '****', source: 'env:HUGGINGFACE_TOKEN' });
    expect(json.services?.s3SecretKey?.value).toBe('****');
    const table = configToTable(loaded);
    expect(table).not.toContain('hunter2');
    expect(table).not.toContain('hf_abc');
    expect(table).toMatch(/^database\.url +postgres:\/\/god:\*\*\*\*@db:5432\/god +env:DATABASE_URL$/m);
    expect(maskUrlPassword('postgres://h/db')).toBe('postgres://h/db');
    expect(maskUrlPassword('not a url')).toBe('****');
  });

  it('prints one group with --only and rejects an unknown one', () => {
    const loaded = load({});
    expect(Object.keys(configToJson(loaded, 'protocol'))).toEqual(['protocol']);
    expect(() => configToTable(loaded, 'nope')).toThrow(/unknown group; groups are general, database/);
  });
});
