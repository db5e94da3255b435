import { z } from 'zod';
import { TASK_TYPES, type TaskType } from '../enums.ts';
import { choice, count, num, optionalText, seconds, structured, text, valuesOf, type ValuesOf } from './define.ts';

/**
 * The miner's accept policy and job queue (miner-protocol-chain.md §5.2, §5.4). The defaults are the reference
 * miner's behaviour; the keys after the reference ones are ours and default to "no extra restriction".
 */
export const minerDefs = {
  textMaxHoursExclusive: num(13, 'miner-protocol-chain.md §5.2', 'text offers are accepted only with hours_to_complete below this', { min: 0 }),
  imageMaxHoursExclusive: num(3, 'miner-protocol-chain.md §5.2', 'image offers are accepted only with hours_to_complete below this', { min: 0 }),
  busyMarginSeconds: seconds(3600, 'miner-protocol-chain.md §5.2', 'a busy miner still accepts if its current job ends within this'),
  acceptModelSubstring: text('llama', 'miner-protocol-chain.md §5.2', 'text offers are accepted only for model ids containing this (lower-cased); empty accepts all'),
  // Ours (docs/miner.md): finer policy and the persistent queue.
  acceptTaskTypes: structured<readonly TaskType[]>(
    TASK_TYPES,
    z.array(z.enum(TASK_TYPES)),
    'a list of task types',
    'docs/miner.md (ours)',
    'task types this miner takes at all (the endpoint type check of miner-protocol-chain.md §5.2 applies first)',
    (raw) => raw.split(',').map((s) => s.trim()).filter((s) => s !== ''),
  ),
  acceptModelPattern: optionalText('docs/miner.md (ours)', 'case-insensitive regular expression a model id must match (text and image); when set it replaces acceptModelSubstring'),
  maxModelParams: structured<number | null>(
    null,
    z.number().int().positive().nullable(),
    'a whole number > 0 or null',
    'docs/miner.md (ours)',
    'largest model_params_count accepted; null accepts any size (an offer without a count is accepted)',
  ),
  textMinHours: num(0, 'docs/miner.md (ours)', 'text offers below this many hours are refused', { min: 0 }),
  imageMinHours: num(0, 'docs/miner.md (ours)', 'image offers below this many hours are refused', { min: 0 }),
  busyRule: choice(
    ['original', 'queue'] as const,
    'original',
    'miner-protocol-chain.md §5.2, §11 item 12',
    "'original': busy until the last start_training's deadline (minus the margin); 'queue': busy when maxQueuedJobs jobs are queued or running",
  ),
  maxQueuedJobs: count(0, 'docs/miner.md (ours)', "with busyRule 'queue': queued plus running jobs at which offers are refused; 0 = no limit"),
  concurrentJobs: count(1, 'miner-protocol-chain.md §5.4', 'jobs trained at the same time (the reference runs one)', 1),
  jobMaxAttempts: count(2, 'docs/miner.md (ours)', 'times a job is started before it is failed (a restart during training re-queues it)', 1),
  pollSeconds: seconds(1, 'docs/miner.md (ours)', 'how often the worker looks for queued jobs when idle'),
  trainingRepoUrl: text('https://github.com/rayonlabs/G.O.D', 'miner-protocol-chain.md §5.9', 'training code repository returned by GET /training_repo/{task_type} for tournaments'),
  trainingRepoCommit: text('076e87fc746985e272015322cc91fb3bbbca2f26', 'miner-protocol-chain.md §5.9', 'commit of trainingRepoUrl returned with it'),
  imageTrainingRepoUrl: optionalText('docs/miner.md (ours)', 'repository returned for task_type image; null uses trainingRepoUrl'),
  imageTrainingRepoCommit: optionalText('docs/miner.md (ours)', 'commit returned for task_type image; null uses trainingRepoCommit'),
  maxDatasetBytes: count(2 * 1024 ** 3, 'miner-protocol-chain.md §11 item 8', 'largest dataset download accepted (the reference has no limit)'),
} as const;

export type MinerRules = ValuesOf<typeof minerDefs>;
export const minerRules: MinerRules = valuesOf(minerDefs);
