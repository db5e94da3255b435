import { z } from 'zod';
import { count, fraction, hours, num, seconds, structured, text, valuesOf, type ValuesOf } from './define.ts';

/** One row-count bin of the hours table: a dataset with minRows..maxRows rows gets minHours..maxHours (inclusive). */
export interface HoursBin {
  readonly minRows: number;
  readonly maxRows: number;
  readonly minHours: number;
  readonly maxHours: number;
}

const hoursBinSchema = z
  .strictObject({
    minRows: z.number().int().min(0),
    maxRows: z.number().int().min(0),
    minHours: z.number().int().min(0),
    maxHours: z.number().int().min(0),
  })
  .refine((b) => b.minRows <= b.maxRows && b.minHours <= b.maxHours, 'min must not exceed max');

/** INSTRUCT_TEXT_DATASET_BINS_TO_TRAINING_HOURS_RANGE at REF; HEAD shortens them to 1–3, 2–4, 3–5, 3–6, 4–6. */
const refHoursBins: readonly HoursBin[] = [
  { minRows: 1_000, maxRows: 10_000, minHours: 1, maxHours: 3 },
  { minRows: 10_000, maxRows: 25_000, minHours: 3, maxHours: 6 },
  { minRows: 25_000, maxRows: 50_000, minHours: 4, maxHours: 8 },
  { minRows: 50_000, maxRows: 100_000, minHours: 5, maxHours: 9 },
  { minRows: 100_000, maxRows: 500_000, minHours: 7, maxHours: 10 },
];

/** Synthetic task creation: how often, which mix of types, models, datasets, hours (validator.md §6). */
export const synthDefs = {
  scheduleIntervalSeconds: seconds(300, 'validator.md §6.1 NUMBER_OF_MINUTES_BETWEEN_SYNTH_TASK_CHECK', 'how often the scheduler considers creating one synthetic task'),
  maxConcurrentSyntheticJobs: count(10, 'validator.md §6.1 MAX_CONCURRENT_SYNTHETIC_JOBS', 'training+preevaluation tasks at which no synthetic task is created, so synthetic load cannot crowd out customers'),
  numSynthRetries: count(3, 'validator.md §6.1 NUM_SYNTH_RETRIES', 'tries per scheduler pass before sleeping a full interval', 1),
  createAttempts: count(5, 'validator.md §6.1', 'retry attempts around Instruct/DPO/GRPO creation', 1),
  createBackoffMinSeconds: seconds(4, 'validator.md §6.1', 'first back-off between creation attempts'),
  createBackoffMaxSeconds: seconds(10, 'validator.md §6.1', 'longest back-off between creation attempts'),
  // task mix (validator.md §6.1; tournament.md §2 uses the same numbers for its knockout draw)
  instructTaskProbability: fraction(0.35, 'validator.md §6.1', 'share of synthetic tasks that are Instruct (or Chat, see below)'),
  imageTaskProbability: fraction(0.25, 'validator.md §6.1', 'share of synthetic tasks that are Image'),
  dpoTaskProbability: fraction(0.15, 'validator.md §6.1', 'share of synthetic tasks that are DPO'),
  grpoTaskProbability: fraction(0.25, 'validator.md §6.1', 'share of synthetic tasks that are GRPO'),
  chatInsteadOfInstructProbability: fraction(0.5, 'validator.md §6.1', 'chance an Instruct draw becomes a Chat task'),
  // models (validator.md §6.1; tournament.md §2 BIG_MODEL)
  bigModelProbability: fraction(0.05, 'validator.md §6.1 PROBABILITY_OF_A_BIG_TEXT_MODEL', 'chance a synthetic text task uses a big model'),
  bigModelMinParamsB: num(12, 'validator.md §6.1; tournament.md §2', 'smallest big model (billions of parameters)', { min: 0 }),
  bigModelMaxParamsB: num(71, 'validator.md §6.1; tournament.md §2', 'largest big model (billions)', { min: 0 }),
  standardModelMinParamsB: num(0.1, 'validator.md §6.1; tournament.md §3.6', 'smallest standard model (billions)', { min: 0 }),
  standardModelMaxParamsB: num(12, 'validator.md §6.1; tournament.md §3.6', 'largest standard model (billions)', { min: 0 }),
  // datasets and hours (validator.md §6.3)
  minDatasetsForAugmentation: count(2, 'validator.md §6.3 MIN_DATASETS_FOR_AUGMENTATION', 'fewest datasets merged into one synthetic text task', 1),
  maxDatasetsForAugmentation: count(16, 'validator.md §6.3 MAX_DATASETS_FOR_AUGMENTATION', 'most datasets merged into one synthetic text task', 1),
  textHoursBins: structured(refHoursBins, z.array(hoursBinSchema).min(1) as z.ZodType<readonly HoursBin[]>, 'a JSON list of {minRows, maxRows, minHours, maxHours}', 'validator.md §6.3; tournament.md §3.6', 'training hours drawn by the primary dataset\'s row count; outside every bin creation throws and is retried'),
  imageMinHours: hours(1, 'validator.md §6.3 MIN_IMAGE_COMPETITION_HOURS', 'fewest hours of a synthetic image task'),
  imageMaxHours: hours(2, 'validator.md §6.3 MAX_IMAGE_COMPETITION_HOURS', 'most hours of a synthetic image task'),
  // GRPO reward functions (validator.md §6.3; evaluation.md §9.5)
  rewardFunctionsMin: count(1, 'validator.md §6.3', 'fewest reward functions per synthetic GRPO task', 1),
  rewardFunctionsMax: count(5, 'validator.md §6.3', 'most reward functions per synthetic GRPO task', 1),
  rewardWeightMin: num(0, 'evaluation.md §9.5', 'lower bound of a drawn reward weight (HEAD 0.1, then normalised)', { min: 0 }),
  rewardWeightMax: num(10, 'evaluation.md §9.5', 'upper bound of a drawn reward weight', { min: 0 }),
  llmRewardFunctionShare: fraction(0, 'evaluation.md §9.5 PERCENTAGE_REWARD_FUNCTIONS_GENERIC_FROM_LLM', 'share of reward functions written by an LLM instead of drawn from the generic library'),
  // synthetic images (validator.md §6.4)
  imagePairsMin: count(10, 'validator.md §3, §6.4 MIN_IMAGE_TEXT_PAIRS', 'fewest image/caption pairs of an image task (organic requests too)', 1),
  imagePairsMax: count(50, 'validator.md §3, §6.4 MAX_IMAGE_TEXT_PAIRS', 'most image/caption pairs of an image task (organic requests too)', 1),
  sdxlStyleProbability: fraction(0.5, 'validator.md §6.4', 'chance an SDXL task uses the style generator instead of the person generator'),
  styleComboProbability: fraction(0.5, 'validator.md §6.4', 'chance two styles are combined'),
  stylePickingTries: count(10, 'validator.md §6.4 IMAGE_STYLE_PICKING_NUM_TRIES', 'LLM compatibility checks before giving up on a style pair', 1),
  stylePromptTemperature: num(0.4, 'validator.md §6.4', 'temperature of the LLM that writes image prompts', { min: 0 }),
  styleExamplePrompts: count(5, 'validator.md §6.4', 'example prompts shown to the LLM for a single style'),
  personGenRetries: count(3, 'validator.md §6.4 PERSON_GEN_RETRIES', 'person-generator runs to reach imagePairsMin pairs', 1),
  textToImageModel: text('FLUX.1-schnell', 'validator.md §6.4', 'model that renders synthetic style images'),
  textToImageSteps: count(8, 'validator.md §6.4', 'diffusion steps per synthetic image', 1),
  textToImageCfgScale: num(3, 'validator.md §6.4', 'classifier-free guidance of synthetic images', { min: 0 }),
  textToImageSize: count(1024, 'validator.md §6.4', 'width and height of synthetic images (pixels)', 1),
  // content service transport (validator.md §6.2)
  contentTimeoutSeconds: seconds(120, 'validator.md §6.2', 'limit on one content-service call'),
  contentAttempts: count(5, 'validator.md §6.2', 'attempts per content-service call', 1),
  contentFastTimeoutSeconds: seconds(30, 'validator.md §6.2', 'limit on a column-suggestion call'),
  contentFastAttempts: count(3, 'validator.md §6.2', 'attempts per column-suggestion call', 1),
} as const;

export type SynthRules = ValuesOf<typeof synthDefs>;
export const synthRules: SynthRules = valuesOf(synthDefs);
