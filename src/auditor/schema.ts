/**
 * What the auditor reads from a validator (miner-protocol-chain.md §9), as zod schemas: the `/auditing/scores-url`
 * answer and the scores file behind it. The file is the original's `{task_results, tournament_audit_data}` with
 * `TaskResults.model_dump()` field names, plus our `weights` block (what the validator says it sent, and when it
 * computed it). Only the fields the recomputation reads are required; the rest pass through untouched, so a file
 * written by the original validator parses too (without `weights`).
 */
import { z } from 'zod';
import { taskTypeSchema } from '../core/enums.ts';
import { tournamentResultsWithWinnersSchema } from '../core/models/tournament.ts';

const u16 = z.number().int().min(0).max(65_535);
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/, 'ISO-8601 timestamp');

/** `GET /auditing/scores-url`. */
export const ScoresUrlSchema = z.object({ url: z.string().min(1) });

/** `task_results[].task`: `MiniTaskWithScoringOnly` as the validator dumps it. */
export const ScoresFileTaskSchema = z.looseObject({
  task_id: z.string(),
  task_type: taskTypeSchema,
  is_organic: z.boolean(),
  created_at: isoDate,
  hours_to_complete: z.number().positive(),
  model_id: z.string(),
  /** 0 when unknown (the column default); the original's null would crash its own scoring. */
  model_params_count: z.number().int().min(0).nullable().optional(),
});

export const ScoresFileNodeScoreSchema = z.looseObject({
  task_id: z.string().optional(),
  hotkey: z.string().min(1),
  quality_score: z.number(),
});

export const ScoresFileTaskResultSchema = z.object({
  task: ScoresFileTaskSchema,
  node_scores: z.array(ScoresFileNodeScoreSchema),
});

/**
 * `TournamentAuditData`. The original's defaults are 0.0 for the three multipliers; here an absent multiplier
 * stays absent, so the auditor can tell "no tournament ran" (no data: the rules' no-tournament split) from a
 * file that omits the split it used (an error).
 */
export const TournamentAuditDataSchema = z.looseObject({
  text_tournament_data: tournamentResultsWithWinnersSchema.nullable().optional(),
  image_tournament_data: tournamentResultsWithWinnersSchema.nullable().optional(),
  participants: z.array(z.string()).optional(),
  tournament_weight_multiplier: z.number().optional(),
  regular_weight_multiplier: z.number().optional(),
  burn_weight: z.number().optional(),
});
export type TournamentAuditData = z.infer<typeof TournamentAuditDataSchema>;

/** Ours: the vector the validator says it sent, and the instant its windows were computed from. */
export const PublishedWeightsSchema = z
  .object({
    netuid: u16,
    uids: z.array(u16),
    weights: z.array(u16),
    version_key: z.number().int().min(0),
    created_at: isoDate,
  })
  .refine((w) => w.uids.length === w.weights.length, { message: 'uids and weights differ in length', path: ['weights'] });
export type PublishedWeights = z.infer<typeof PublishedWeightsSchema>;

export const ScoresFileSchema = z.looseObject({
  task_results: z.array(ScoresFileTaskResultSchema),
  tournament_audit_data: TournamentAuditDataSchema.nullable().optional(),
  weights: PublishedWeightsSchema.optional(),
});
export type ScoresFile = z.infer<typeof ScoresFileSchema>;

/** `GET /auditing/tasks/{task_id}`: the fields the cross-check compares (the full shape is src/core/models/tasks.ts). */
export const PublicTaskSchema = z.looseObject({
  task_id: z.string(),
  task_type: z.string(),
  status: z.string(),
  is_organic: z.boolean(),
  created_at: z.string(),
  hours_to_complete: z.number().nullable().optional(),
  model_id: z.string(),
  hotkey_details: z.array(z.looseObject({ hotkey: z.string(), quality_score: z.number().nullable() })),
});
export type PublicTask = z.infer<typeof PublicTaskSchema>;

/** The first few failing field paths of a zod error, for messages that say where a document is wrong. */
export function issuesText(error: z.ZodError, max = 3): string {
  return error.issues
    .slice(0, max)
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}
