/**
 * The local repo contract, as a helper for entry scripts: the original's CLI arguments plus the two folders the
 * local executor appends, resolved to the files the trainer prepared. Bundled into the engine module, so a
 * devnet repo's `scripts/text_trainer.mjs` can start with `const job = contract(process.argv)`.
 */

export interface ContractJob {
  taskId: string;
  model: string;
  taskType: string;
  expectedRepoName: string;
  hoursToComplete: number;
  /** Parsed `--dataset-type` (text tasks); null for image tasks. */
  datasetType: Record<string, unknown> | null;
  /** `--model-type` (image tasks). */
  modelType: string | null;
  fileFormat: string | null;
  /** `<cache>/models/<model with / → -->`. */
  modelDir: string;
  /** `<cache>/datasets/<task_id>_train_data.json` or `<task_id>_tourn.zip`. */
  datasetPath: string;
  /** `<checkpoints>/<task_id>/<expected_repo_name>`: everything written here is published. */
  outputDir: string;
  cacheDir: string;
  checkpointsDir: string;
}

export function contract(argv: readonly string[]): ContractJob {
  const args = argv.slice(2);
  const get = (name: string): string | null => {
    const i = args.indexOf(name);
    return i >= 0 && i + 1 < args.length ? args[i + 1]! : null;
  };
  const need = (name: string): string => {
    const v = get(name);
    if (v === null) throw new Error(`ContractError: missing ${name}`);
    return v;
  };
  const taskId = need('--task-id');
  const model = need('--model');
  const cacheDir = need('--cache-dir');
  const checkpointsDir = need('--checkpoints-dir');
  const expectedRepoName = need('--expected-repo-name');
  const image = get('--dataset-zip') !== null;
  const rawType = get('--dataset-type');
  return {
    taskId,
    model,
    taskType: image ? 'ImageTask' : need('--task-type'),
    expectedRepoName,
    hoursToComplete: Number(need('--hours-to-complete')),
    datasetType: rawType ? (JSON.parse(rawType) as Record<string, unknown>) : null,
    modelType: get('--model-type'),
    fileFormat: get('--file-format'),
    modelDir: `${cacheDir}/models/${model.replace('/', '--')}`,
    datasetPath: `${cacheDir}/datasets/${taskId}${image ? '_tourn.zip' : '_train_data.json'}`,
    outputDir: `${checkpointsDir}/${taskId}/${expectedRepoName}`,
    cacheDir,
    checkpointsDir,
  };
}
