import { z } from 'zod';
import { GPU_TYPES, type GpuType } from '../enums.ts';
import { count, hours, num, seconds, structured, text, valuesOf, type RuleDef, type ValuesOf } from './define.ts';

/** `H100,A100` or a JSON list, so an environment variable need not be JSON. */
function parseGpuTypes(raw: string): unknown {
  const trimmed = raw.trim();
  if (trimmed.startsWith('[')) return JSON.parse(trimmed) as unknown;
  return trimmed.split(',').map((part) => part.trim()).filter((part) => part !== '');
}

const gpuTypes = (value: readonly GpuType[], spec: string, doc: string): RuleDef<readonly GpuType[]> =>
  structured<readonly GpuType[]>(Object.freeze([...value]), z.array(z.enum(GPU_TYPES)).min(1).readonly() as z.ZodType<readonly GpuType[]>, `a comma list or JSON list of GPU types (${GPU_TYPES.join(', ')})`, spec, doc, parseGpuTypes);

/**
 * Tournaments and the orchestrator that places their trainings on trainer GPUs (tournament.md §2–§4).
 * Defence thresholds, decay base, text/image weights and the burn hotkey are scoring rules (scoring.ts),
 * and the text task mix is synth's: they are not repeated here.
 */
export const tournamentDefs = {
  // scheduling and entry (tournament.md §2, §3.2–§3.3)
  intervalHours: hours(24, 'tournament.md §2 TOURNAMENT_INTERVAL_HOURS', 'gap after a completed tournament before the next of the same type (HEAD 72)'),
  loopIntervalSeconds: seconds(900, 'tournament.md §2 (every loop interval)', 'sleep of every tournament-cycle and orchestrator loop'),
  participantRetrySeconds: seconds(1800, 'tournament.md §3.3', 'wait before re-pinging miners when too few answered'),
  minMinersForTournament: count(8, 'tournament.md §2 MIN_MINERS_FOR_TOURN', 'responding miners needed to start; fewer keeps the tournament pending'),
  topNByStake: count(16, 'tournament.md §2 TOURNAMENT_TOP_N_BY_STAKE', 'participants kept by boosted stake (docs say 32; code wins)', 1),
  repeatBoostPercentPerEntry: num(5, 'tournament.md §2, §3.3', 'stake boost (%) per completed tournament entered', { min: 0 }),
  repeatBoostMaxPercent: num(25, 'tournament.md §2, §3.3', 'cap on the repeat-entry stake boost (%)', { min: 0 }),
  trainingRepoTimeoutSeconds: seconds(10, 'miner-protocol-chain.md §3 /training_repo/; tournament.md §3.3', 'limit on asking a miner for its tournament repo; no answer means not entered'),
  pingBatchSize: count(50, 'tournament.md §2 (ping batch)', 'miners asked for their training repo concurrently', 1),
  // round structure (tournament.md §2, §3.4)
  maxMinersForKnockout: count(14, 'tournament.md §2 MAX_NUMBER_OF_MINERS_FOR_KNOCKOUT_ROUND', 'entrants at or below which a round is knockout pairs instead of groups', 2),
  expectedGroupSize: count(8, 'tournament.md §2 EXPECTED_GROUP_SIZE', 'target group size of a group round (HEAD 32)', 1),
  minGroupSize: count(6, 'tournament.md §2 MIN_GROUP_SIZE', 'smallest group before groups are merged (HEAD 20)', 1),
  textTasksPerGroup: count(3, 'tournament.md §2 TEXT_TASKS_PER_GROUP', 'tasks per text group (1 instruct + 1 DPO + 1 GRPO)', 1),
  imageTasksPerGroup: count(3, 'tournament.md §2 IMAGE_TASKS_PER_GROUP', 'tasks per image group', 1),
  finalRoundTextTasks: count(3, 'tournament.md §2 FINAL_ROUND_TEXT_TASKS', 'tasks of a text boss round (HEAD 6)', 1),
  finalRoundImageTasks: count(3, 'tournament.md §2 FINAL_ROUND_IMAGE_TASKS', 'tasks of an image boss round (HEAD 6)', 1),
  knockoutPairTasks: count(1, 'tournament.md §2 KNOCKOUT_PAIR_TASKS', 'tasks per knockout pair', 1),
  // task models (tournament.md §2, §3.6–§3.7)
  defaultModelMinParamsB: num(1, 'tournament.md §2 DEFAULT_MODEL', 'smallest model of a replacement task whose original was under 1 B (billions)', { min: 0 }),
  defaultModelMaxParamsB: num(10, 'tournament.md §2 DEFAULT_MODEL', 'largest such model (billions)', { min: 0 }),
  replacementSizeMinFactor: num(0.8, 'tournament.md §2, §3.7', 'smallest replacement model relative to the failed task\'s model', { min: 0 }),
  replacementSizeMaxFactor: num(1.2, 'tournament.md §2, §3.7', 'largest replacement model relative to the failed task\'s model', { min: 0 }),
  // GPU requirement of a training (tournament.md §3.6)
  oneH100MaxParamsB: num(4, 'tournament.md §2, §3.6', 'effective size (billions) up to which one H100 is booked', { min: 0 }),
  twoH100MaxParamsB: num(12, 'tournament.md §2, §3.6', 'effective size up to which two H100s are booked', { min: 0 }),
  fourH100MaxParamsB: num(40, 'tournament.md §2, §3.6', 'effective size up to which four H100s are booked; above it eight', { min: 0 }),
  dpoParamsMultiplier: num(3, 'tournament.md §2, §3.6', 'DPO trains policy + reference, so its size counts this many times', { min: 0 }),
  grpoParamsMultiplier: num(2, 'tournament.md §2, §3.6', 'GRPO generation overhead factor on the size', { min: 0 }),
  // champion and publication (tournament.md §2, §3.11–§3.12)
  defaultParticipantRepo: text('https://github.com/rayonlabs/G.O.D', 'tournament.md §2 DEFAULT_PARTICIPANT_REPO', 'champion code when a type has no previous winner'),
  defaultParticipantCommit: text('8631451156e2915070f77e5547ca0d5ed3d0eb8a', 'tournament.md §2', 'commit of the default participant repo'),
  outputHfNamespace: text('rayonlabs', 'tournament.md §2 RAYONLABS_HF_USERNAME', 'hub namespace trainers upload to and evaluation reads tournament repos from (HEAD gradients-io-tournaments)'),
  winnerGithubOrg: text('gradients-opensource', 'tournament.md §2', 'organisation the winners\' repos are published to'),
  latestDetailsCacheSeconds: seconds(3600, 'tournament.md §2, §7.1', 'cache lifetime of /v1/tournaments/latest/details'),
  // orchestrator (tournament.md §2, §4)
  maxTrainingAttempts: count(2, 'tournament.md §2 MAX_TRAINING_ATTEMPTS', 'starts of one (task, hotkey) training before it is marked failed', 1),
  trainingStartRetrySeconds: seconds(60, 'tournament.md §2 TRAINING_START_RETRY', 'wait before retrying a refused start'),
  startFailuresBeforeFailure: count(3, 'tournament.md §4.2', 'refused starts in one scheduling session before the training fails', 1),
  trainerHttpTimeoutSeconds: seconds(30, 'tournament.md §2 TRAINER_HTTP_TIMEOUT', 'limit on a call to a trainer (the clone happens inside the start call)'),
  trainerCallAttempts: count(3, 'tournament.md §4.2, §4.4', 'attempts per trainer call', 1),
  trainerBackoffMinSeconds: seconds(4, 'tournament.md §4.2', 'first back-off between trainer call attempts'),
  trainerBackoffMaxSeconds: seconds(10, 'tournament.md §4.2', 'longest back-off between trainer call attempts'),
  noGpuSleepSeconds: seconds(1, 'tournament.md §4.2', 'pause after a training found no free GPU, so the scheduler does not spin hot'),
  obfuscationTimeoutSeconds: seconds(30, 'tournament.md §4.2', 'limit on the anti-obfuscation check of a repo'),
  expectedStartMessage: text('Started Training!', 'tournament.md §2, §5.1', 'trainer reply that counts as a started training'),
  registerBusyGpuHours: hours(48, 'tournament.md §4.3', 'how long a GPU reported busy at registration stays booked'),
  moveToEvalLookbackDays: num(30, 'tournament.md §4.5', 'age (days) of training tasks considered for hand-off to evaluation', { min: 0 }),
  tournamentPriority: count(1, 'tournament.md §1.3, §4.1', 'priority of tournament trainings'),
  benchmarkPriority: count(2, 'tournament.md §1.3, §4.1', 'priority of benchmark trainings'),
  // ours: leases of the database-backed work queue that replaces the original's in-process loops (docs/tournament.md)
  lifecycleLeaseSeconds: seconds(600, 'docs/tournament.md (ours)', 'how long a lifecycle worker holds a tournament while it works on it; a worker that died loses it after this'),
  trainingLeaseSeconds: seconds(120, 'docs/tournament.md (ours)', 'how long the orchestrator holds a training while starting or polling it'),
  trainingGraceSeconds: seconds(600, 'tournament.md §2 STALE_TASK_GRACE_MINUTES', 'grace after hours_to_complete before a training still running counts as timed out'),
  textGpuTypes: gpuTypes(['H100'], 'tournament.md §3.6', 'GPU types a text training may use (the original: H100 only)'),
  imageGpuTypes: gpuTypes(['A100', 'H100'], 'tournament.md §3.6, §10 (REF: A100 only)', 'GPU types an image training may use; the original\'s A100-only rule meant a trainer without A100s never ran one'),
  trainerBusyHoldSeconds: seconds(3600, 'tournament.md §4.3 (REF: never corrected)', 'a GPU the trainer reports busy while the database has it free is booked for this long'),
  unreachableTrainerHoldSeconds: seconds(7200, 'tournament.md §4.3 [HEAD 2 h]', 'an unreachable trainer\'s GPUs are booked for this long'),
  maxPublishAttempts: count(3, 'docs/tournament.md (ours)', 'attempts at publishing a completed tournament\'s winners before giving up', 1),
  publishRetrySeconds: seconds(900, 'docs/tournament.md (ours)', 'wait between attempts at publishing winners'),
  taskCreationsPerPass: count(64, 'docs/tournament.md (ours)', 'tournament tasks the round-task step creates per pass (each is one transaction)', 1),
} as const;

export type TournamentRules = ValuesOf<typeof tournamentDefs>;
export const tournamentRules: TournamentRules = valuesOf(tournamentDefs);
