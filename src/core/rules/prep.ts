import { count, flag, fraction, num, seconds, text, valuesOf, type ValuesOf } from './define.ts';

/** Task data preparation: splits, size limits, the synthetic evaluation set and its LLM (validator.md §5). */
export const prepDefs = {
  // text splits (validator.md §5.1)
  testSplitFraction: fraction(0.1, 'validator.md §5.1', 'share of rows held out as the test set'),
  maxTestDataPoints: count(1000, 'validator.md §5.1 MAX_TEST_DATA_POINTS', 'cap on test rows, so evaluation time stays bounded on big datasets', 1),
  minimumDatasetRows: count(2000, 'validator.md §5.1 MINIMUM_DATASET_ROWS', 'train+test rows below which prep fails (too little data to rank miners)'),
  subsampleMinFraction: fraction(0.5, 'validator.md §5.1', 'lower bound of the random share of a single dataset kept (stops miners memorising whole public sets)'),
  subsampleMaxFraction: fraction(1.0, 'validator.md §5.1', 'upper bound of that random share'),
  splitSeed: count(42, 'validator.md §5.1', 'shuffle seed of subsample and split'),
  maxDownloadBytes: count(2_147_483_646, 'validator.md §5.1', 'largest dataset or upload accepted (the original checks only after downloading)'),
  maxEmptyRowFraction: fraction(0.8, 'validator.md §5.1 change_to_json_format', 'share of fully empty rows above which prep fails'),
  rewardValidationRows: count(5, 'validator.md §5.1 GRPO check', 'train rows each GRPO reward function is trial-run on before the task is accepted', 1),
  presignedUrlSeconds: seconds(604_800, 'validator.md §5.1', 'lifetime of the signed data URLs handed to miners (7 days; also the audit window)'),
  deleteFilesAfterComplete: flag(true, 'validator.md §4.2 DELETE_S3_AFTER_COMPLETE', 'delete task files once evaluation is final (the original tries and, with virtual-host URLs, silently fails)'),
  imageTestFraction: fraction(0.1, 'validator.md §5.4', 'share of image pairs (rounded up) held out for the test zip'),
  // synthetic evaluation set (validator.md §5.2; REF only, HEAD has none)
  buildSyntheticEvalSet: flag(true, 'validator.md §5.2 GET_SYNTH_DATA', 'build the synthetic eval set at prep (REF); HEAD drops it and scores on test loss only'),
  synthDpoTimeoutSeconds: seconds(300, 'validator.md §5.2', 'overall limit on synthetic DPO generation before falling back to train rows'),
  synthDpoMaxPrompts: count(2400, 'validator.md §5.2', 'prompts sampled for synthetic DPO'),
  synthGenBatchSize: count(30, 'validator.md §5.2 SYNTH_GEN_BATCH_SIZE', 'prompts sent to the LLM per batch', 1),
  synthPromptAttempts: count(3, 'validator.md §5.2', 'LLM attempts per prompt', 1),
  synthBatchAttempts: count(2, 'validator.md §5.2', 'attempts per batch', 1),
  syntheticTotalSize: count(1200, 'validator.md §5.2 SYNTHETIC_TOTAL_SIZE', 'synthetic rows at which generation stops'),
  syntheticForTraining: count(700, 'validator.md §5.2 SYNTHETIC_FOR_TRAINING', 'synthetic DPO rows appended to train when the full set was generated'),
  synthExamplesFromTrain: count(600, 'validator.md §5.2 SYNTH_EXAMPLES_FROM_TRAIN', 'train rows mixed into the synthetic eval set (and the fallback set size)'),
  maxSynthDataPoints: count(300, 'validator.md §5.2 MAX_SYNTH_DATA_POINTS', 'test rows paraphrased for Instruct/GRPO/Chat synthetic sets'),
  synthMaxConsecutiveErrors: count(10, 'validator.md §5.2', 'consecutive bad LLM answers after which paraphrasing aborts', 1),
  synthInstructShareToTrain: num(1 / 3, 'validator.md §5.2', 'share of Instruct paraphrases appended to train when fewer than syntheticTotalSize came back', { min: 0, max: 1 }),
  synthPaddingSeed: count(84, 'validator.md §5.2', 'seed of the train rows that pad a short synthetic DPO set'),
  // LLM transport for synthetic data (validator.md §5.2)
  llmTimeoutSeconds: seconds(120, 'validator.md §5.2 call_endpoint.py', 'limit on one chat-completions call'),
  llmAttempts: count(5, 'validator.md §5.2', 'attempts per LLM call on HTTP errors', 1),
  llmBackoffMinSeconds: seconds(4, 'validator.md §5.2', 'first exponential back-off between LLM attempts'),
  llmBackoffMaxSeconds: seconds(10, 'validator.md §5.2', 'longest back-off between LLM attempts'),
  llmStrongModel: text('casperhansen/deepseek-r1-distill-qwen-32b-awq', 'validator.md §5.2', 'model that paraphrases rows and writes chosen answers'),
  llmStrongTemperature: num(0.6, 'validator.md §5.2', 'sampling temperature of the strong model', { min: 0 }),
  llmStrongMaxTokens: count(5024, 'validator.md §5.2', 'max_tokens of the strong model (reasoning models need room before </think>)', 1),
  llmWeakModel: text('llama-3-2-3b', 'validator.md §5.2', 'model that writes the rejected DPO answers'),
} as const;

export type PrepRules = ValuesOf<typeof prepDefs>;
export const prepRules: PrepRules = valuesOf(prepDefs);
