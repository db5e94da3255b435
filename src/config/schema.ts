import { z } from 'zod';
import { ruleDefs, valuesOfGroups, type RuleDef, type RuleDefs, type Rules, type ValuesOf } from '../core/rules/index.ts';
import { settingDefs } from './settings.ts';

/** Every configurable group: operational settings first (what an operator sets most), then the rules. */
export const configDefs = { ...settingDefs, ...ruleDefs } as const satisfies Readonly<Record<string, RuleDefs>>;

export type ConfigGroup = keyof typeof configDefs;
export type Settings = { readonly [G in keyof typeof settingDefs]: ValuesOf<(typeof settingDefs)[G]> };
export type Config = Settings & Rules;

export const configGroups = Object.keys(configDefs) as ConfigGroup[];

export const defaultConfig: Config = valuesOfGroups(configDefs) as unknown as Config;

/** The whole config's schema, assembled from each rule's own schema: strict, so unknown keys are errors. */
export const configSchema = z.strictObject(
  Object.fromEntries(
    Object.entries(configDefs).map(([group, defs]) => [
      group,
      z.strictObject(Object.fromEntries(Object.entries(defs as RuleDefs).map(([key, def]) => [key, def.schema]))),
    ]),
  ),
);

export function defOf(group: string, key: string): RuleDef<unknown> | undefined {
  if (!Object.hasOwn(configDefs, group)) return undefined;
  const defs = configDefs[group as ConfigGroup] as RuleDefs;
  return Object.hasOwn(defs, key) ? defs[key] : undefined;
}

/** All `group.key` paths, in display order. */
export function configPaths(): string[] {
  return configGroups.flatMap((group) => Object.keys(configDefs[group]).map((key) => `${group}.${key}`));
}

/** `offerTimeoutSeconds` → `OFFER_TIMEOUT_SECONDS`; `oneH100MaxParamsB` → `ONE_H100_MAX_PARAMS_B`. */
export function screamingSnake(camel: string): string {
  return camel.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

export function envNameFor(group: string, key: string): string {
  return `GOD_${screamingSnake(group)}__${screamingSnake(key)}`;
}

/**
 * Plain environment names the original (and common tooling) uses, mapped to config paths. They are read before
 * the `GOD_<GROUP>__<KEY>` names, so the specific name wins when both are set. Later entries win over earlier ones
 * for the same path (GOD_NETWORK over SUBTENSOR_NETWORK).
 */
export const wellKnownEnv: Readonly<Record<string, string>> = {
  SUBTENSOR_NETWORK: 'general.network',
  GOD_HOME: 'general.home',
  GOD_LOG_LEVEL: 'general.logLevel',
  GOD_NETWORK: 'general.network',
  DATABASE_URL: 'database.url',
  SUBTENSOR_ADDRESS: 'chain.endpoint',
  WALLET_NAME: 'chain.walletName',
  HOTKEY_NAME: 'chain.hotkeyName',
  NETUID: 'protocol.netuid',
  MIN_STAKE_THRESHOLD: 'protocol.minStakeThreshold',
  VALIDATOR_PORT: 'protocol.validatorPort',
  GPU_IDS: 'evaluation.gpuIds',
  NINETEEN_API_KEY: 'services.llmApiKey',
  HUGGINGFACE_TOKEN: 'services.huggingfaceToken',
  HUGGINGFACE_USERNAME: 'services.huggingfaceUsername',
  WANDB_TOKEN: 'services.wandbToken',
  S3_COMPATIBLE_ENDPOINT: 'services.s3Endpoint',
  S3_COMPATIBLE_ACCESS_KEY: 'services.s3AccessKey',
  S3_COMPATIBLE_SECRET_KEY: 'services.s3SecretKey',
  S3_BUCKET_NAME: 'services.s3Bucket',
  S3_REGION: 'services.s3Region',
  GITHUB_TOKEN: 'services.githubToken',
  GITHUB_USERNAME: 'tournament.winnerGithubOrg',
};

/** Plain names that also set `path`, for docs and help. */
export function wellKnownNamesFor(path: string): string[] {
  return Object.entries(wellKnownEnv)
    .filter(([, target]) => target === path)
    .map(([name]) => name);
}
