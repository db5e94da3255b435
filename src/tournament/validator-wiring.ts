/**
 * Tournaments inside the validator process: the TournamentService built from the validator's own context (its
 * database, clock, signed miner client and synthetic task creator), the configured trainers registered (and
 * re-tried until they answer), and the weight loop's tournament port reading the same database. Everything is
 * state in the database, so a restarted validator picks every tournament up where it was.
 */
import type { TournamentType } from '../core/enums.ts';
import type { TournamentRules } from '../core/rules/tournament.ts';
import type { RepoPolicy } from '../trainer/validate.ts';
import type { ValidatorContext } from '../validator/context.ts';
import type { TournamentWeightsSource } from '../validator/ports.ts';
import { DEFAULT_REPO_POLICY, errorText, tournamentContext, type TournamentContext } from './context.ts';
import type { RepoPublisher, TrainerApi } from './ports.ts';
import { GitPublisher, githubRepoCreator } from './publish.ts';
import { signedRepoSource } from './repo-source.ts';
import { TournamentService, type TournamentServiceOptions } from './service.ts';
import { validatorTaskFactory } from './task-factory.ts';
import { registerConfiguredTrainers, scopedTrainerClient, type TrainerEntry } from './trainer-registry.ts';
import { tournamentWeightsSource } from './weights-source.ts';

export interface ValidatorTournamentsOptions {
  /** Trainer nodes to register, each with its own token (`orchestrator.trainers`). */
  trainers: readonly TrainerEntry[];
  /** Token for trainers added at run time (`orchestrator.trainerToken`). */
  fallbackToken?: string | null;
  /** Default: `config.tournament`. */
  rules?: TournamentRules;
  /** Default: a git publisher to `tournament.winnerGithubOrg` when `services.githubToken` is set, else none. */
  publisher?: RepoPublisher | null;
  repoPolicy?: RepoPolicy;
  types?: readonly TournamentType[];
  /** Replaces the scoped HTTP client (tests). */
  trainerApi?: TrainerApi;
  service?: TournamentServiceOptions;
}

export interface ValidatorTournaments {
  context: TournamentContext;
  service: TournamentService;
  /** The weight loop's port (`ValidatorContext.tournaments`). */
  weights: TournamentWeightsSource;
  /** Stops the loops after their current pass. */
  stop(): Promise<void>;
}

function defaultPublisher(v: ValidatorContext, rules: TournamentRules, repoPolicy: RepoPolicy): RepoPublisher | null {
  const token = v.config.services.githubToken;
  if (!token) return null;
  const org = rules.winnerGithubOrg;
  return new GitPublisher({ remoteBase: `https://github.com/${org}`, token, repoPolicy, createRepo: githubRepoCreator(org, token) });
}

/** The tournament context of a validator process, without starting anything. */
export function validatorTournamentContext(v: ValidatorContext, o: ValidatorTournamentsOptions): TournamentContext {
  const rules = o.rules ?? v.config.tournament;
  const repoPolicy = o.repoPolicy ?? DEFAULT_REPO_POLICY;
  return tournamentContext({
    db: v.db,
    clock: v.clock,
    log: v.log.child({ component: 'tournament' }),
    random: v.random,
    netuid: v.netuid,
    worker: `${v.worker}:tournament`,
    rules,
    scoring: v.config.scoring,
    repoPolicy,
    ...(o.types ? { types: o.types } : {}),
    repos: signedRepoSource(v.miners, rules.trainingRepoTimeoutSeconds * 1000),
    tasks: validatorTaskFactory(v),
    trainers: o.trainerApi ?? scopedTrainerClient(rules, { trainers: o.trainers, fallbackToken: o.fallbackToken ?? null }),
    publisher: o.publisher === undefined ? defaultPublisher(v, rules, repoPolicy) : o.publisher,
  });
}

/**
 * Builds and starts the tournament loops for a validator, plus a loop that registers configured trainers not yet
 * in the database (one that is down at start is registered once it answers).
 */
export async function startValidatorTournaments(v: ValidatorContext, o: ValidatorTournamentsOptions): Promise<ValidatorTournaments> {
  const ctx = validatorTournamentContext(v, o);
  const service = new TournamentService(ctx, o.service);
  const controller = new AbortController();
  let registering: Promise<void> = Promise.resolve();
  if (o.trainers.length > 0) {
    await registerConfiguredTrainers(ctx, o.trainers);
    registering = (async () => {
      while (!controller.signal.aborted) {
        await ctx.clock.sleep(ctx.rules.loopIntervalSeconds * 1000, controller.signal).catch(() => undefined);
        if (controller.signal.aborted) break;
        await registerConfiguredTrainers(ctx, o.trainers).catch((err: unknown) => ctx.log.error({ err: errorText(err) }, 'registering configured trainers failed'));
      }
    })();
  }
  service.start();
  ctx.log.info({ trainers: o.trainers.length, types: ctx.types, publisher: ctx.publisher !== null }, 'tournament service running');
  return {
    context: ctx,
    service,
    weights: tournamentWeightsSource({ db: v.db, netuid: v.netuid, scoring: ctx.scoring, behaviour: ctx.behaviour }),
    async stop() {
      controller.abort();
      await Promise.all([service.stop(), registering]);
    },
  };
}
