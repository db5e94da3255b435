import { choice, count, hours, num, seconds, text, valuesOf, type ValuesOf } from './define.ts';

/** The trainer service that builds and runs miners' training repos (tournament.md §2, §5). */
export const trainerDefs = {
  memoryPerGpuGb: num(110, 'tournament.md §2 MEMORY_PER_GPU_GB, §5.5', 'container memory limit per booked GPU (GB), so one job cannot starve the host', { min: 0 }),
  cpusPerGpu: num(24, 'tournament.md §2 CPUS_PER_GPU, §5.5', 'container CPU limit per booked GPU', { min: 0 }),
  shmGbSmall: num(8, 'tournament.md §5.5', 'shared memory (GB) of a container with fewer than shmLargeFromGpus GPUs', { min: 0 }),
  shmGbLarge: num(16, 'tournament.md §5.5', 'shared memory (GB) of a container with at least shmLargeFromGpus GPUs', { min: 0 }),
  shmLargeFromGpus: count(4, 'tournament.md §5.5', 'GPU count from which the large shared memory applies', 1),
  containerStartTimeoutSeconds: seconds(60, 'tournament.md §5.4', 'a training container must be running within this'),
  cleanupIntervalSeconds: seconds(600, 'tournament.md §5.8', 'how often stale jobs and old cache files are cleaned'),
  staleTaskGraceSeconds: seconds(600, 'tournament.md §2 STALE_TASK_GRACE_MINUTES, §5.8', 'grace after a job\'s deadline before it is marked failed'),
  cacheCleanupCutoffHours: hours(12, 'tournament.md §2 CACHE_CLEANUP_CUTOFF_HOURS', 'age after which finished jobs\' checkpoints, datasets and unused models are deleted (HEAD 72)'),
  // REF runs training on `bridge` (to ship logs) although its docs claim `none`; tournament.md §10 lists the
  // exfiltration this allows, so the default here is `none`, the documented intent.
  trainingNetwork: choice(['none', 'bridge'], 'none', 'tournament.md §5.5, §10 (REF: bridge)', 'Docker network of training containers; bridge lets miner code reach the LAN and the internet'),
  uploaderImage: text('diagonalge/hf-uploader:latest', 'tournament.md §2, §5.8', 'helper image that uploads outputs'),
  downloaderImage: text('diagonalge/trainer-downloader:latest', 'tournament.md §2, §5.8', 'helper image that pre-downloads model and data'),
  cacheCleanerImage: text('diagonalge/cache-cleaner:latest', 'tournament.md §2, §5.8', 'helper image that deletes old cache files'),
} as const;

export type TrainerRules = ValuesOf<typeof trainerDefs>;
export const trainerRules: TrainerRules = valuesOf(trainerDefs);
