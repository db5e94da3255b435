/**
 * Tournament shapes (core/models/tournament_models.py; tournament.md §1, §7): the stored rows, the in-memory
 * round structures, and the analytics API responses. Identifier formats are in `tournamentIds`.
 */
import { z } from 'zod';
import {
  gpuRequirementSchema,
  roundStatusSchema,
  roundTypeSchema,
  taskTypeSchema,
  tournamentStatusSchema,
  tournamentTypeSchema,
  trainingStatusSchema,
} from '../enums.ts';
import { dateTimeSchema, floatSchema, intSchema } from './common.ts';
import { anyRawTaskSchema } from './tasks.ts';

const optionalString = z.string().nullable().optional();

/** Identifier formats (tournament.md §1.2). Numbers are 1-based and zero-padded to three digits. */
export const tournamentIds = {
  /** `tourn_<16 hex>_<YYYYMMDD>`; the date is the validator's local date. */
  tournament(randomHex16: string, yyyymmdd: string): string {
    return `tourn_${randomHex16}_${yyyymmdd}`;
  },
  round(tournamentId: string, roundNumber: number): string {
    return `${tournamentId}_round_${pad3(roundNumber)}`;
  },
  group(roundId: string, groupNumber: number): string {
    return `${roundId}_group_${pad3(groupNumber)}`;
  },
  pair(roundId: string, pairNumber: number): string {
    return `${roundId}_pair_${pad3(pairNumber)}`;
  },
  /** Expected HF repo name of a hotkey's output for a tournament task. */
  tournamentRepoName(tournamentId: string, taskId: string, hotkey: string): string {
    return `tournament-${tournamentId}-${taskId}-${hotkey.slice(0, 8)}`;
  },
  /** Expected HF repo name of a benchmark copy. */
  benchmarkRepoName(rootTaskId: string, tournamentId: string, hotkey: string): string {
    return `benchmark-${rootTaskId}-${tournamentId}-${hotkey.slice(0, 8)}`;
  },
} as const;

function pad3(n: number): string {
  return String(n).padStart(3, '0');
}

/** TournamentData: a `tournaments` row. `winner_hotkey` is the burn hotkey when the champion defended. */
export const tournamentDataSchema = z.object({
  tournament_id: z.string(),
  tournament_type: tournamentTypeSchema,
  status: tournamentStatusSchema.optional(),
  /** The defending champion's real hotkey, snapshotted at creation. */
  base_winner_hotkey: optionalString,
  winner_hotkey: optionalString,
});
export type TournamentData = z.infer<typeof tournamentDataSchema>;

export const tournamentRoundDataSchema = z.object({
  round_id: z.string(),
  tournament_id: z.string(),
  round_number: intSchema,
  round_type: roundTypeSchema,
  is_final_round: z.boolean().optional(),
  status: roundStatusSchema.optional(),
});
export type TournamentRoundData = z.infer<typeof tournamentRoundDataSchema>;

export const tournamentGroupDataSchema = z.object({ group_id: z.string(), round_id: z.string() });
export type TournamentGroupData = z.infer<typeof tournamentGroupDataSchema>;

export const tournamentPairDataSchema = z.object({
  pair_id: z.string(),
  round_id: z.string(),
  hotkey1: z.string(),
  hotkey2: z.string(),
  winner_hotkey: optionalString,
});
export type TournamentPairData = z.infer<typeof tournamentPairDataSchema>;

/** TournamentParticipant: a `tournament_participants` row (null eliminated_in_round_id = still in). */
export const tournamentParticipantSchema = z.object({
  tournament_id: z.string(),
  hotkey: z.string(),
  eliminated_in_round_id: optionalString,
  final_position: intSchema.nullable().optional(),
  training_repo: optionalString,
  training_commit_hash: optionalString,
  stake_required: floatSchema.nullable().optional(),
  backup_repo: optionalString,
});
export type TournamentParticipant = z.infer<typeof tournamentParticipantSchema>;

/** TournamentTask: a `tournament_tasks` row (group_id XOR pair_id). */
export const tournamentTaskSchema = z.object({
  tournament_id: z.string(),
  round_id: z.string(),
  task_id: z.string(),
  group_id: optionalString,
  pair_id: optionalString,
  gpu_requirement: gpuRequirementSchema.nullable().optional(),
});
export type TournamentTask = z.infer<typeof tournamentTaskSchema>;

export const groupSchema = z.object({
  member_ids: z.array(z.string()),
  task_ids: z.array(z.string()).nullable().optional(),
});
export type Group = z.infer<typeof groupSchema>;
export const groupRoundSchema = z.object({ groups: z.array(groupSchema) });
export type GroupRound = z.infer<typeof groupRoundSchema>;
export const knockoutRoundSchema = z.object({
  /** Pairs of hotkeys. */
  pairs: z.array(z.tuple([z.string(), z.string()])),
  tasks: z.array(z.string()).nullable().optional(),
});
export type KnockoutRound = z.infer<typeof knockoutRoundSchema>;
/** `Round = GroupRound | KnockoutRound`: a round's structure, told apart by `groups` vs `pairs`. */
export const roundStructureSchema = z.union([groupRoundSchema, knockoutRoundSchema]);
export type RoundStructure = z.infer<typeof roundStructureSchema>;
export function isGroupRound(r: RoundStructure): r is GroupRound {
  return 'groups' in r;
}

export const tournamentRoundSchema = z.object({
  round_structure: roundStructureSchema,
  tasks: z.array(z.string()).optional(),
  is_final_round: z.boolean().optional(),
});
export type TournamentRound = z.infer<typeof tournamentRoundSchema>;

/** TournamentTaskTraining: a `tournament_task_hotkey_trainings` row joined with its task. */
export const tournamentTaskTrainingSchema = z.object({
  task: anyRawTaskSchema,
  hotkey: z.string(),
  training_status: trainingStatusSchema,
  n_training_attempts: intSchema,
  created_at: dateTimeSchema,
  updated_at: dateTimeSchema,
});
export type TournamentTaskTraining = z.infer<typeof tournamentTaskTrainingSchema>;

/** A participant's score on one tournament task (the `participant_scores` dicts). */
export const participantScoreSchema = z.looseObject({
  hotkey: z.string(),
  quality_score: floatSchema.nullable().optional(),
  test_loss: floatSchema.nullable().optional(),
  synth_loss: floatSchema.nullable().optional(),
  score_reason: optionalString,
});
export type ParticipantScore = z.infer<typeof participantScoreSchema>;

export const tournamentTaskScoreSchema = z.object({
  task_id: z.string(),
  group_id: z.string().nullable(),
  pair_id: z.string().nullable(),
  winner: z.string().nullable(),
  participant_scores: z.array(participantScoreSchema),
});
export type TournamentTaskScore = z.infer<typeof tournamentTaskScoreSchema>;
export const detailedTournamentTaskScoreSchema = tournamentTaskScoreSchema.extend({
  task_type: taskTypeSchema.nullable().optional(),
});

export const tournamentRoundResultSchema = z.object({
  round_id: z.string(),
  round_number: intSchema,
  round_type: z.string(),
  is_final_round: z.boolean(),
  tasks: z.array(tournamentTaskScoreSchema),
});
export type TournamentRoundResult = z.infer<typeof tournamentRoundResultSchema>;
export const detailedTournamentRoundResultSchema = tournamentRoundResultSchema.extend({
  status: z.string(),
  participants: z.array(z.string()),
  tasks: z.array(detailedTournamentTaskScoreSchema),
});

export const tournamentResultsSchema = z.object({
  tournament_id: z.string(),
  rounds: z.array(tournamentRoundResultSchema),
});
export const tournamentResultsWithWinnersSchema = tournamentResultsSchema.extend({
  base_winner_hotkey: optionalString,
  winner_hotkey: optionalString,
});
export type TournamentResultsWithWinners = z.infer<typeof tournamentResultsWithWinnersSchema>;

export const tournamentScoreSchema = z.object({ hotkey: z.string(), score: floatSchema });
export type TournamentScore = z.infer<typeof tournamentScoreSchema>;
export const tournamentTypeResultSchema = z.object({
  scores: z.array(tournamentScoreSchema),
  prev_winner_hotkey: z.string().nullable(),
  prev_winner_won_final: z.boolean(),
});
export type TournamentTypeResult = z.infer<typeof tournamentTypeResultSchema>;

export const taskPerformanceDifferenceSchema = z.object({
  task_id: z.string(),
  task_type: z.string(),
  boss_score: floatSchema.nullable(),
  challenger_score: floatSchema.nullable(),
  /** 0.05, 0.075 or 0.10 by the champion's consecutive wins. */
  threshold_used: floatSchema,
  /** Positive = challenger better. */
  performance_difference: floatSchema.nullable(),
  challenger_won: z.boolean(),
});
export const tournamentPerformanceDataSchema = z.object({
  tournament_task_id: z.string(),
  synthetic_task_id: z.string(),
  task_type: z.string(),
  tournament_winner_score: floatSchema,
  best_synthetic_score: floatSchema,
  /** Positive = tournament better. */
  performance_difference: floatSchema,
});

/** TournamentBurnData at the reference (HEAD reshapes it per type). */
export const tournamentBurnDataSchema = z.object({
  text_performance_diff: floatSchema.nullable(),
  image_performance_diff: floatSchema.nullable(),
  weighted_average_diff: floatSchema,
  burn_proportion: floatSchema,
  tournament_weight: floatSchema,
  regular_weight: floatSchema,
  burn_weight: floatSchema,
});
export type TournamentBurnData = z.infer<typeof tournamentBurnDataSchema>;

/** GET /v1/tournaments/{tournament_id}/details. */
export const tournamentDetailsResponseSchema = z.object({
  tournament_id: z.string(),
  tournament_type: tournamentTypeSchema,
  status: tournamentStatusSchema,
  base_winner_hotkey: z.string().nullable(),
  winner_hotkey: z.string().nullable(),
  participants: z.array(tournamentParticipantSchema),
  rounds: z.array(detailedTournamentRoundResultSchema),
  final_scores: z.array(tournamentScoreSchema),
  text_tournament_weight: floatSchema,
  image_tournament_weight: floatSchema,
  boss_round_performance: z.array(taskPerformanceDifferenceSchema).nullable().optional(),
  sync_performance: z.array(tournamentPerformanceDataSchema).nullable().optional(),
});
export type TournamentDetailsResponse = z.infer<typeof tournamentDetailsResponseSchema>;

/** GET /v1/tournaments/latest/details. */
export const latestTournamentsDetailsResponseSchema = z.object({
  text: tournamentDetailsResponseSchema.nullable(),
  image: tournamentDetailsResponseSchema.nullable(),
  burn_data: tournamentBurnDataSchema,
});

/** What the weight setter audits: both types' latest results and the weight split. */
export const tournamentAuditDataSchema = z.object({
  text_tournament_data: tournamentResultsWithWinnersSchema.nullable().optional(),
  image_tournament_data: tournamentResultsWithWinnersSchema.nullable().optional(),
  participants: z.array(z.string()).optional(),
  tournament_weight_multiplier: floatSchema.optional(),
  regular_weight_multiplier: floatSchema.optional(),
  burn_weight: floatSchema.optional(),
});
export type TournamentAuditData = z.infer<typeof tournamentAuditDataSchema>;

export const bossRoundTaskCompletionSchema = z.object({
  total_synth_tasks: intSchema,
  completed_synth_tasks: intSchema,
});
export const bossRoundTaskPairSchema = z.object({
  tournament_task_id: z.string(),
  synthetic_task_id: z.string(),
  winner_hotkey: z.string(),
  task_type: z.string(),
});
export const taskScoreSchema = z.object({
  hotkey: z.string(),
  test_loss: floatSchema,
  synth_loss: floatSchema,
  quality_score: floatSchema,
});

/** GET /v1/tournaments/next-dates entries; `tournament_status` is active | pending | waiting. */
export const nextTournamentInfoSchema = z.object({
  tournament_type: tournamentTypeSchema,
  next_start_date: dateTimeSchema.nullable().optional(),
  next_end_date: dateTimeSchema.nullable().optional(),
  interval_hours: intSchema.nullable().optional(),
  current_round_number: intSchema.nullable().optional(),
  tournament_status: optionalString,
});
export const nextTournamentDatesSchema = z.object({ text: nextTournamentInfoSchema, image: nextTournamentInfoSchema });

/** GET /v1/tournaments/active. */
export const activeTournamentParticipantSchema = z.object({ hotkey: z.string(), stake_requirement: floatSchema });
export const activeTournamentInfoSchema = z.object({
  tournament_id: z.string(),
  tournament_type: tournamentTypeSchema,
  status: tournamentStatusSchema,
  participants: z.array(activeTournamentParticipantSchema),
  created_at: dateTimeSchema,
});
export const activeTournamentsResponseSchema = z.object({
  text: activeTournamentInfoSchema.nullable(),
  image: activeTournamentInfoSchema.nullable(),
});

/** GET /v1/tournaments/history. */
export const tournamentHistoryEntrySchema = z.object({
  tournament_id: z.string(),
  tournament_type: tournamentTypeSchema,
  status: tournamentStatusSchema,
  winner_hotkey: optionalString,
  base_winner_hotkey: optionalString,
  created_at: dateTimeSchema.nullable().optional(),
});
export const tournamentHistoryResponseSchema = z.object({ tournaments: z.array(tournamentHistoryEntrySchema) });

/** GET /v1/tournaments/gpu-requirements. */
export const gpuRequirementSummarySchema = z.object({ gpu_type: z.string(), count: intSchema, total_hours: floatSchema });
export const tournamentGpuRequirementsResponseSchema = z.object({
  gpu_requirements: z.array(gpuRequirementSummarySchema),
  total_tasks: intSchema,
  total_hours: floatSchema,
});

/** Benchmark timelines (GET /v1/benchmarks/timeline[/{tournament_id}]). */
export const benchmarkTaskCopySchema = z.object({
  copy_task_id: z.string(),
  root_task_id: z.string(),
  participant_hotkey: z.string(),
  tournament_id: optionalString,
  created_at: dateTimeSchema,
  task_type: taskTypeSchema,
  model_id: z.string(),
  dataset: z.string(),
  hours_to_complete: intSchema,
  model_params_count: intSchema,
  is_organic: z.boolean(),
  task_created_at: dateTimeSchema.nullable().optional(),
});
export const benchmarkInstanceSchema = z.object({
  copy_task_id: z.string(),
  participant_hotkey: z.string(),
  tournament_id: z.string(),
  created_at: dateTimeSchema,
  test_loss: floatSchema.nullable().optional(),
});
export const benchmarkTimelineSchema = z.object({
  root_task_id: z.string(),
  task_type: taskTypeSchema,
  model_id: z.string(),
  dataset: z.string(),
  hours_to_complete: intSchema,
  model_params_count: intSchema,
  is_organic: z.boolean(),
  task_created_at: dateTimeSchema.nullable().optional(),
  benchmarks: z.array(benchmarkInstanceSchema).optional(),
});
export const benchmarkTimelineResponseSchema = z.object({ timelines: z.array(benchmarkTimelineSchema) });
export type BenchmarkTimelineResponse = z.infer<typeof benchmarkTimelineResponseSchema>;
