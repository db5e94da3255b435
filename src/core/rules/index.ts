import { apiDefs } from './api.ts';
import type { RuleDefs, ValuesOf } from './define.ts';
import { evaluationDefs } from './evaluation.ts';
import { feesDefs } from './fees.ts';
import { minerDefs } from './miner.ts';
import { prepDefs } from './prep.ts';
import { protocolDefs } from './protocol.ts';
import { sandboxDefs } from './sandbox.ts';
import { scoringDefs } from './scoring-defs.ts';
import type { ScoringRules } from './scoring.ts';
import { synthDefs } from './synth.ts';
import { tournamentDefs } from './tournament.ts';
import { trainerDefs } from './trainer.ts';
import { validatorDefs } from './validator.ts';
import { weightsDefs } from './weights.ts';

export * from './api.ts';
export type { RuleDef, RuleDefs, RuleKind, ValuesOf } from './define.ts';
export * from './evaluation.ts';
export * from './fees.ts';
export * from './invariants.ts';
export * from './miner.ts';
export * from './prep.ts';
export * from './protocol.ts';
export * from './sandbox.ts';
export * from './scoring-defs.ts';
export * from './scoring.ts';
export * from './synth.ts';
export * from './tournament.ts';
export * from './trainer.ts';
export * from './validator.ts';
export * from './weights.ts';

/**
 * Every rule, by group. The group and key names are also the config file's structure and the environment
 * variables' names (`GOD_<GROUP>__<KEY>`), so renaming one is a breaking change for operators.
 */
export const ruleDefs = {
  validator: validatorDefs,
  api: apiDefs,
  prep: prepDefs,
  synth: synthDefs,
  tournament: tournamentDefs,
  trainer: trainerDefs,
  miner: minerDefs,
  protocol: protocolDefs,
  weights: weightsDefs,
  evaluation: evaluationDefs,
  sandbox: sandboxDefs,
  fees: feesDefs,
  scoring: scoringDefs,
} as const satisfies Readonly<Record<string, RuleDefs>>;

export type RuleGroup = keyof typeof ruleDefs;

export type Rules = { readonly [G in Exclude<RuleGroup, 'scoring'>]: ValuesOf<(typeof ruleDefs)[G]> } & {
  readonly scoring: ScoringRules;
};

/** Takes the values out of a group-of-defs table (frozen, so shared defaults cannot be mutated by a caller). */
export function valuesOfGroups<T extends Readonly<Record<string, RuleDefs>>>(groups: T): { readonly [G in keyof T]: ValuesOf<T[G]> } {
  const out: Record<string, unknown> = {};
  for (const [group, defs] of Object.entries(groups)) {
    const values: Record<string, unknown> = {};
    for (const [key, def] of Object.entries(defs)) values[key] = def.value;
    out[group] = Object.freeze(values);
  }
  return Object.freeze(out) as { readonly [G in keyof T]: ValuesOf<T[G]> };
}

/** The reference rule set (G.O.D a7e666d7, Aug 2025) with every spec value as it is. */
export const defaultRules: Rules = valuesOfGroups(ruleDefs) as Rules;
