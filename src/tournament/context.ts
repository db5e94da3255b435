/**
 * Everything a tournament loop needs, in one object (the validator's context pattern): database, time, randomness,
 * rules and the ports. Loops are plain async functions over it, so tests drive them step by step with a
 * ManualClock, a PGlite database and loopback trainers and miners.
 */
import { hostname } from 'node:os';
import type { Clock } from '../clock/index.ts';
import type { TournamentType } from '../core/enums.ts';
import { scoringRulesRef2025_08, type ScoringRules } from '../core/rules/scoring.ts';
import { synthRules } from '../core/rules/synth.ts';
import { tournamentRules, type TournamentRules } from '../core/rules/tournament.ts';
import type { Db } from '../db/types.ts';
import type { Logger } from '../log/index.ts';
import type { Behaviour } from '../scoring/tournament/index.ts';
import type { RepoPolicy } from '../trainer/validate.ts';
import type { Random } from '../validator/rng.ts';
import type { RepoPublisher, TournamentTaskFactory, TrainerApi, TrainingRepoSource } from './ports.ts';
import type { MixRules } from './structure.ts';

export interface TournamentContext {
  db: Db;
  clock: Clock;
  log: Logger;
  random: Random;
  /** Subnet whose nodes enter and whose task_nodes rows are read. */
  netuid: number;
  /** This process's identity in claimed_by columns. */
  worker: string;
  rules: TournamentRules;
  /** Burn hotkey, defence thresholds, type weights (the scoring rule set). */
  scoring: ScoringRules;
  /** The synthetic task mix a knockout text task is drawn from. */
  mix: MixRules;
  /** `fixed` (ours) or `original` for the tournament scoring decisions (docs/deviations.md). */
  behaviour: Behaviour;
  /** Which tournament types the scheduler creates. */
  types: readonly TournamentType[];
  /** Which training repos are accepted at entry (the trainer's own policy should match). */
  repoPolicy: RepoPolicy;
  repos: TrainingRepoSource;
  tasks: TournamentTaskFactory;
  trainers: TrainerApi;
  /** Null: winners are not published (the original skips it without a GitHub token). */
  publisher: RepoPublisher | null;
}

export const DEFAULT_REPO_POLICY: RepoPolicy = Object.freeze({ allowedHosts: ['github.com'], allowLocal: false, localRoots: [] });

export function defaultMix(): MixRules {
  return {
    instructTaskProbability: synthRules.instructTaskProbability,
    dpoTaskProbability: synthRules.dpoTaskProbability,
    grpoTaskProbability: synthRules.grpoTaskProbability,
  };
}

export type TournamentContextInput = Omit<TournamentContext, 'rules' | 'scoring' | 'mix' | 'behaviour' | 'types' | 'repoPolicy' | 'worker' | 'publisher'> &
  Partial<Pick<TournamentContext, 'rules' | 'scoring' | 'mix' | 'behaviour' | 'types' | 'repoPolicy' | 'worker' | 'publisher'>>;

export function tournamentContext(input: TournamentContextInput): TournamentContext {
  return {
    rules: tournamentRules,
    scoring: scoringRulesRef2025_08,
    mix: defaultMix(),
    behaviour: 'fixed',
    types: ['text', 'image'],
    repoPolicy: DEFAULT_REPO_POLICY,
    worker: `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}:tournament`,
    publisher: null,
    ...input,
  };
}

export function nowOf(ctx: Pick<TournamentContext, 'clock'>): Date {
  return new Date(ctx.clock.now());
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A unique-constraint violation (SQLSTATE 23505) from either driver. */
export function isUniqueViolation(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: unknown }).code === '23505') return true;
    if (e instanceof Error && /duplicate key value violates unique constraint/.test(e.message)) return true;
  }
  return false;
}
