/**
 * Text task prep (`prepare_text_task`, validator.md §5.1): load, map columns to the standard names, subsample
 * and split, check GRPO reward functions, build the synthetic eval set, upload JSON files with signed URLs.
 */
import type { AnyTextRawTask } from '../../core/models/tasks.ts';
import { perTaskLlm } from '../../llm/index.ts';
import type { ValidatorContext } from '../context.ts';
import type { DataRow } from '../ports.ts';
import { hex16 } from '../rng.ts';
import { columnMapOf, PrepError, renameRows, renameToStandard, standardColumns, standardPairs, standardFieldUpdates, toJsonRows, type ColumnMap } from './columns.ts';
import { balanceDatasets, subsample, trainTestSplit } from './split.ts';
import { buildSyntheticEvalSet } from './synthetic.ts';

export interface PrepOutcome {
  trainingData: string;
  testData: string;
  syntheticData: string | null;
  /** New `ds` (multi-dataset merges become "mix of N datasets"). */
  ds?: string;
  /** Per-type column values to write (standard field names, synthetic_data). */
  subtype: Record<string, unknown>;
  /** GRPO reward functions that failed their trial run and were dropped. */
  droppedRewardIds: string[];
  /** Blob keys written, for clean-up and logs. */
  keys: string[];
  trainRows: number;
  testRows: number;
  synthRows: number;
}

/** Loads several datasets and merges them; the first one's columns define the mapping (validator.md §5.3). */
async function loadAndMerge(ids: readonly string[], task: AnyTextRawTask, map: ColumnMap, ctx: ValidatorContext): Promise<DataRow[]> {
  const fileFormat = task.file_format ?? 'hf';
  const primary = renameToStandard(await ctx.datasets.load(ids[0]!, fileFormat), map);
  const all: DataRow[][] = [primary];
  for (const id of ids.slice(1)) {
    try {
      const rows = await ctx.datasets.load(id, fileFormat);
      try {
        all.push(renameToStandard(rows, map));
        continue;
      } catch {
        // the secondary names its columns differently: ask the content service for a mapping
      }
      const suggestion = task.task_type === 'DpoTask' || task.task_type === 'ChatTask' ? null : await ctx.content.suggestColumns(id);
      if (!suggestion) throw new PrepError(`no column mapping for ${id}`);
      const secondary: ColumnMap = {
        required: [[suggestion.field_instruction, map.required[0]![1]], ...(suggestion.field_output && map.required[1] ? [[suggestion.field_output, map.required[1][1]] as const] : [])],
        optional: suggestion.field_input && map.optional.some(([, s]) => s === 'input') ? [[suggestion.field_input, 'input']] : [],
        chat: map.chat,
      };
      all.push(renameToStandard(rows, secondary));
    } catch (err) {
      ctx.log.warn({ task_id: task.task_id, dataset: id, err: err instanceof Error ? err.message : String(err) }, 'skipping a secondary dataset');
    }
  }
  return balanceDatasets(all, ctx.random);
}

async function upload(ctx: ValidatorContext, key: string, rows: readonly DataRow[]): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify(rows));
  if (bytes.length > ctx.config.prep.maxDownloadBytes) throw new PrepError(`${key} is ${bytes.length} bytes, over the ${ctx.config.prep.maxDownloadBytes}-byte limit`);
  await ctx.blobs.put(key, bytes, 'application/json');
  return ctx.blobs.signedUrl(key, ctx.config.prep.presignedUrlSeconds);
}

/** The GRPO trial run: functions that do not return one number per row are dropped; none left fails prep. */
async function checkRewardFunctions(task: AnyTextRawTask, train: readonly DataRow[], ctx: ValidatorContext): Promise<string[]> {
  if (task.task_type !== 'GrpoTask') return [];
  const sampleRows = train.slice(0, ctx.config.prep.rewardValidationRows);
  const dropped: string[] = [];
  let kept = 0;
  for (const f of task.reward_functions) {
    const verdict = await ctx.rewards.validate(f.reward_func, sampleRows);
    if (verdict.valid) kept++;
    else {
      ctx.log.warn({ task_id: task.task_id, reward_id: f.reward_id, err: verdict.error }, 'dropping an invalid reward function');
      if (f.reward_id) dropped.push(f.reward_id);
    }
  }
  if (kept === 0) throw new PrepError('no valid reward function remains');
  return dropped;
}

export async function prepareTextTask(task: AnyTextRawTask, ctx: ValidatorContext): Promise<PrepOutcome> {
  const rules = ctx.config.prep;
  const map = columnMapOf(task);
  const fileFormat = task.file_format ?? 'hf';
  let train: DataRow[];
  let test: DataRow[];
  let ds: string | undefined;
  if (!task.test_data) {
    const source = task.training_data ?? task.ds;
    const ids = source.split(',').map((s) => s.trim()).filter((s) => s !== '');
    let rows: DataRow[];
    if (ids.length > 1) {
      rows = await loadAndMerge(ids, task, map, ctx);
      ds = `mix of ${ids.length} datasets`;
    } else {
      // Columns are checked on the whole dataset; only the subsample is renamed.
      const loaded = await ctx.datasets.load(source, fileFormat);
      const pairs = standardPairs(loaded, map);
      rows = renameRows(subsample(loaded, rules, ctx.random), pairs);
    }
    ({ train, test } = trainTestSplit(rows, rules));
  } else {
    // Custom dataset with its own test file. Both files are re-uploaded under our keys (the original's version of
    // this path always failed: D-validator-4).
    train = renameToStandard(await ctx.datasets.load(task.training_data ?? task.ds, fileFormat), map);
    test = renameToStandard(await ctx.datasets.load(task.test_data, fileFormat), map);
  }
  if (train.length + test.length < rules.minimumDatasetRows) {
    throw new PrepError(`dataset has ${train.length + test.length} rows; at least ${rules.minimumDatasetRows} are needed`);
  }
  const columns = standardColumns(map).filter((c) => train.some((r) => c in r));
  const jsonOptions = { chat: map.chat, dpo: task.task_type === 'DpoTask', maxEmptyFraction: rules.maxEmptyRowFraction };
  train = toJsonRows(train, columns, jsonOptions);
  test = toJsonRows(test, columns, jsonOptions);
  const droppedRewardIds = await checkRewardFunctions(task, train, ctx);

  let synth: DataRow[] | null = null;
  if (rules.buildSyntheticEvalSet) {
    const outcome = await buildSyntheticEvalSet(task.task_type, train, test, {
      // One task's prep may be capped on its own (synthetic.llmTask*), on top of the process budget.
      llm: perTaskLlm(ctx.llm, ctx.config, String(task.task_id)),
      rules,
      random: ctx.random,
      now: () => ctx.clock.now(),
    });
    train = outcome.train;
    synth = outcome.synth;
    if (outcome.error) ctx.log.info({ task_id: task.task_id, source: outcome.source, err: outcome.error }, 'synthetic eval set built from the fallback');
  }

  const prefix = hex16(ctx.random);
  const keys = [`${prefix}_train_data.json`, `${prefix}_test_data.json`];
  const trainingData = await upload(ctx, keys[0]!, train);
  const testData = await upload(ctx, keys[1]!, test);
  let syntheticData: string | null = null;
  if (synth) {
    keys.push(`${prefix}_synth_data.json`);
    syntheticData = await upload(ctx, keys[2]!, synth);
  }
  return {
    trainingData,
    testData,
    syntheticData,
    ...(ds ? { ds } : {}),
    subtype: { ...standardFieldUpdates(task, columns), synthetic_data: syntheticData },
    droppedRewardIds,
    keys,
    trainRows: train.length,
    testRows: test.length,
    synthRows: synth?.length ?? 0,
  };
}
