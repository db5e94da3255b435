/** The miner role: endpoints, accept policy, persistent job queue, training backends, submission hash. */
export { createMinerServer, MINER_PROGRESS_PATH, trainingProgressResponseSchema } from './server.ts';
export type { MinerServerOptions, TrainingProgressResponse, TrainingRepoSetting } from './server.ts';
export { startMiner, trainingRepoFromRules } from './runtime.ts';
export type { MinerRuntimeOptions, RunningMiner } from './runtime.ts';
export { MinerWorker } from './worker.ts';
export type { MinerWorkerOptions } from './worker.ts';
export { decideOffer, pythonIsoformat } from './policy.ts';
export type { MinerLoad, OfferEndpoint } from './policy.ts';
export { calculateModelHash, modelHashOf, isHashCandidate } from './model-hash.ts';
export type { ModelHashResult, SnapshotFile } from './model-hash.ts';
export type { HubFile, MinerModelHub } from './ports.ts';
export { MemoryModelHub } from './memory-hub.ts';
export type { TrainContext, TrainingBackend, TrainingProgress, TrainOutcome } from './backends/types.ts';
export { copyBackend, failBackend } from './backends/simple.ts';
export { containerBackend, executePlan } from './container/backend.ts';
export { DockerClient } from './container/docker.ts';
export { HuggingFaceHub, huggingFaceTokenizerInfo } from './huggingface.ts';
export type { TrainingJob } from './jobs.ts';
