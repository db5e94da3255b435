/**
 * The content service's answers (validator.md §6.2), validated at the boundary. Field names are the service's.
 * Unknown extra fields are allowed: the service is not ours and grows fields over time.
 */
import { z } from 'zod';

export const contentModel = z.looseObject({
  model_id: z.string().min(1),
  /** Not documented by the original (it reads only model_id); used when present. */
  params: z.number().nonnegative().nullable().optional(),
});

export const contentModels = z.array(contentModel);

export const contentDataset = z.looseObject({
  dataset_id: z.string().min(1),
  num_rows: z.number().int().nonnegative(),
  num_bytes_parquet_files: z.number().int().nonnegative().nullable().optional(),
  dpo_available: z.boolean().optional().default(false),
  dpo_prompt_column: z.string().nullable().optional(),
  dpo_accepted_column: z.string().nullable().optional(),
  dpo_rejected_column: z.string().nullable().optional(),
});

export const contentDatasets = z.array(contentDataset);

export const columnSuggestion = z.looseObject({
  field_instruction: z.string().min(1),
  field_input: z.string().nullable().optional(),
  field_output: z.string().nullable().optional(),
});

export const imageModelType = z.enum(['sdxl', 'flux']);

export const imageModelsResponse = z.looseObject({
  models: z.array(z.looseObject({ model_id: z.string().min(1), model_type: imageModelType })),
});
