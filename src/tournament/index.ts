/**
 * Tournaments (tournament spec §3–§4, §7): the lifecycle, the orchestrator that places trainings on trainer GPUs,
 * the analytics and admin routes, winners' publication and the tournament's share of the weights. See
 * docs/tournament.md.
 */
export { tournamentContext, DEFAULT_REPO_POLICY, type TournamentContext, type TournamentContextInput } from './context.ts';
export { schedulingPass, lifecyclePass, lifecycleUntilIdle, publishPass, championFor, roundWinners, stepTournament } from './lifecycle.ts';
export { fetchPass, schedulePass, monitorPass, handOffPass, gpuSyncPass, registerTrainer, trainingStats, TrainerRegistrationError } from './orchestrator.ts';
export { registerTournamentRoutes, type TournamentApiOptions } from './api.ts';
export { tournamentWeightsSource, type WeightsSourceOptions } from './weights-source.ts';
export { TournamentService, type TournamentServiceOptions } from './service.ts';
export { HttpTrainerClient, trainerBaseUrl, isValidTrainerAddress, type TrainerClientOptions } from './trainer-client.ts';
export { parseTrainerEntries, scopedTrainerHeaders, scopedTrainerClient, trainerClientConfig, registerConfiguredTrainers, type TrainerEntry } from './trainer-registry.ts';
export { startValidatorTournaments, validatorTournamentContext, type ValidatorTournaments, type ValidatorTournamentsOptions } from './validator-wiring.ts';
export { tournamentList, tournamentBracket, scheduleTournamentNow, type Bracket } from './admin.ts';
export { signedRepoSource } from './repo-source.ts';
export { validatorTaskFactory, staticTaskFactory, copyTaskToGeneral, hookedDb } from './task-factory.ts';
export { GitPublisher, githubRepoCreator, type GitPublisherOptions } from './publish.ts';
export * from './structure.ts';
export type * from './ports.ts';
export { TrainerUnreachable, TrainerHttpError } from './ports.ts';
