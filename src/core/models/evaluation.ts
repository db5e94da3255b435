/**
 * The validator ↔ evaluation-container contract (validator/core/models.py EvaluationArgs,
 * core/models/payload_models.py; evaluation.md §2).
 */
import { z } from 'zod';
import { fileFormatSchema } from '../enums.ts';
import { floatSchema, intSchema } from './common.ts';
import { textDatasetTypeSchema } from './datasets.ts';

/** EvaluationArgs: what one text evaluation run receives. */
export const evaluationArgsSchema = z.object({
  /** Local path of the JSON dataset. */
  dataset: z.string(),
  original_model: z.string(),
  dataset_type: textDatasetTypeSchema,
  file_format: fileFormatSchema,
  repo: z.string(),
});
export type EvaluationArgs = z.infer<typeof evaluationArgsSchema>;

/** EvaluationRequestDiffusion: one image evaluation over several LoRA repos. */
export const evaluationRequestDiffusionSchema = z.object({
  test_split_url: z.string(),
  original_model_repo: z.string(),
  models: z.array(z.string()),
});
export type EvaluationRequestDiffusion = z.infer<typeof evaluationRequestDiffusionSchema>;

export const diffusionLossesSchema = z.object({
  text_guided_losses: z.array(floatSchema),
  no_text_losses: z.array(floatSchema),
});
export type DiffusionLosses = z.infer<typeof diffusionLossesSchema>;

/** A text repo's result. Loose: [HEAD] GRPO results carry reward breakdowns the host reads. */
export const evaluationResultTextSchema = z.looseObject({
  is_finetune: z.boolean(),
  eval_loss: floatSchema,
});
export type EvaluationResultText = z.infer<typeof evaluationResultTextSchema>;

/** An image repo's result (the host sets is_finetune = true). */
export const evaluationResultImageSchema = z.looseObject({
  eval_loss: z.union([diffusionLossesSchema, floatSchema]),
  is_finetune: z.boolean().nullable().optional(),
});
export type EvaluationResultImage = z.infer<typeof evaluationResultImageSchema>;

/**
 * `/aplp/evaluation_results.json`: repo id → result object, or the error text when that repo failed, plus
 * the reserved key `model_params_count`. Values are checked per repo by `evaluationResultText/ImageSchema`.
 */
export const evaluationResultsFileSchema = z
  .object({ model_params_count: intSchema.optional() })
  .catchall(z.union([z.string(), z.record(z.string(), z.unknown()), z.number()]));
export type EvaluationResultsFile = z.infer<typeof evaluationResultsFileSchema>;
