/** The trainer service (docs/trainer.md): what the CLI, the devnet and the orchestrator use. */
export { startTrainer, buildExecutor, defaultTrainerDir, trainerOptionsSchema } from './app.ts';
export type { RunningTrainer, TrainerDeps, TrainerOptions, TrainerOptionsInput } from './app.ts';
export { TrainerClient } from './client.ts';
export type { TrainerClientOptions, TrainerCredentials } from './client.ts';
export { newTrainerToken, trainerAuth, sha256Hex } from './auth.ts';
export type { TrainerPrincipal } from './auth.ts';
export { TrainerService, toTaskLog } from './service.ts';
export type { StartResult, TrainerLimits, TrainerServiceOptions } from './service.ts';
export { detectNvidiaGpus, parseGpuList, parseNvidiaSmi } from './gpus.ts';
export type { GpuSpec } from './gpus.ts';
export { trainerHubFrom } from './hub-adapter.ts';
export type { DatasetFetcher, HubFile, TrainerHub } from './ports.ts';
export { LOCAL_ENTRY } from './local-executor.ts';
export { TRAINER_EXTRA_ENDPOINTS, jobLogsResponseSchema } from './server.ts';
export type { JobLogsResponse } from './server.ts';
export { trainingArgs, taskTypeOf } from './args.ts';
