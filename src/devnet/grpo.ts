/**
 * GRPO in the devnet. The tiny base model (`god-local/tinygpt-tiny`) answers an arithmetic prompt with noise, so an
 * exact-answer reward is 0 for every sample: no group has a reward spread, GRPO has no advantage to follow and no
 * miner can beat the base model. The devnet's GRPO tasks therefore carry two reward functions with partial credit
 * — in the spirit of the original's length/format/keyword example functions — that a noisy model can move within a
 * few dozen steps: "answer with digits" and "how close is the first number to the answer". They are Python, so they
 * go the production way: checked by the sandbox at prep, run by the miners' trainers in the sandbox, run again by
 * the evaluator in the sandbox, and scored by the scoring functions (GRPO: higher `eval_loss` is better).
 *
 * Production evaluates every test row with up to 256 new tokens per completion; the devnet caps both
 * (`DEVNET_GRPO_EVAL`) so a GRPO evaluation takes seconds, not minutes. The cap is the devnet's choice and is
 * passed explicitly to the built-in evaluator; its default is production's.
 */
import type { TaskType } from '../core/enums.ts';
import { resolveModelDir } from '../ml/zoo.ts';
import { plainDatasetType, type GrpoEvaluationOptions } from '../validator/evaluation/builtin.ts';

const DIGIT_SHARE = `def digit_share(completions, **kwargs):
    """Partial credit for answering with a number: the share of digits among the first 8 non-space characters
    of the completion (8 digits: 1.0, none: 0.0)."""
    scores = []
    for text in completions:
        head = "".join((text or "").split())[:8]
        scores.append(sum(1 for ch in head if ch in "0123456789") / 8.0)
    return scores
`;

const NUMERIC_CLOSENESS = `def numeric_closeness(completions, extra_data=None, **kwargs):
    """Partial credit for the value: 1 - |x - a| / (|a| + 10), at least 0, for the first integer x of the
    completion and the expected answer a (1.0 when equal, 0.0 without a number). extra_data per completion: the
    answer, or a dict / JSON object with an "answer" key."""
    import json
    import re

    def expected_of(item):
        if isinstance(item, str):
            try:
                item = json.loads(item)
            except ValueError:
                pass
        if isinstance(item, dict):
            item = item.get("answer")
        try:
            return float(str(item).replace(",", ""))
        except (TypeError, ValueError):
            return None

    if not extra_data:
        return [0.0 for _ in completions]
    if isinstance(extra_data, (str, dict, int, float)):
        extra_data = [extra_data] * len(completions)
    scores = []
    for text, item in zip(completions, extra_data):
        expected = expected_of(item)
        found = re.search(r"-?[0-9]+", text or "")
        if expected is None or found is None:
            scores.append(0.0)
            continue
        scores.append(max(0.0, 1.0 - abs(float(found.group(0)) - expected) / (abs(expected) + 10.0)))
    return scores
`;

export interface DevnetRewardFunction {
  readonly name: string;
  readonly reward_func: string;
  readonly reward_weight: number;
}

/** The reward functions of the devnet's GRPO tasks (dataset type `reward_functions`). */
export const DEVNET_GRPO_REWARDS: readonly DevnetRewardFunction[] = [
  { name: 'digit_share', reward_func: DIGIT_SHARE, reward_weight: 1 },
  { name: 'numeric_closeness', reward_func: NUMERIC_CLOSENESS, reward_weight: 1 },
];

/**
 * The devnet's reduced GRPO evaluation: the first 24 rows of each evaluation file, 16 new tokens per completion
 * (the rewards read the first 8 characters and the first number). Production: every row, min(256, context/2).
 */
export const DEVNET_GRPO_EVAL: GrpoEvaluationOptions = { maxRows: 24, maxNewTokens: 16 };

/** The GRPO task's own columns, as `createDevnetTask` inserts them (built-in arithmetic prompts, answers in extra_data). */
export function devnetGrpoFields(): { task_type: 'GrpoTask'; field_prompt: string; extra_column: string; reward_functions: { reward_func: string; reward_weight: number }[] } {
  return {
    task_type: 'GrpoTask',
    field_prompt: 'prompt',
    extra_column: 'extra_data',
    reward_functions: DEVNET_GRPO_REWARDS.map((f) => ({ reward_func: f.reward_func, reward_weight: f.reward_weight })),
  };
}

/** GRPO's `eval_loss` is a reward (higher is better); every other type's is a loss (lower is better). */
export function higherIsBetter(type: TaskType): boolean {
  return type === 'GrpoTask';
}

/** Whether a miner's test metric beats the base model's, in the task type's direction. */
export function beatsBase(type: TaskType, test: number | null, base: number | null): boolean {
  if (test === null || base === null || !Number.isFinite(test) || !Number.isFinite(base)) return false;
  return higherIsBetter(type) ? test > base : test < base;
}

/** How much better than the base model, in per cent of the base's magnitude (positive = better). */
export function gainOverBase(type: TaskType, test: number, base: number): number {
  const diff = higherIsBetter(type) ? test - base : base - test;
  return (diff / Math.max(Math.abs(base), 1e-9)) * 100;
}

/**
 * The base model's GRPO score on a task's test file, by the same evaluator and caps the validator's run used: the
 * base model as its own "repo" (full model, KL 0 against itself), same sampling seed, same rows.
 */
export async function baseGrpoScore(testFile: Uint8Array, modelId: string, datasetType: Record<string, unknown>, home: string, eval_: GrpoEvaluationOptions = DEVNET_GRPO_EVAL): Promise<number | null> {
  const { mkdtemp, rm, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { runEvaluationJob } = await import('../ml/jobs/run.ts');
  const dir = await resolveModelDir(modelId, { home });
  const work = await mkdtemp(join(tmpdir(), 'god-devnet-grpo-base-'));
  try {
    const file = join(work, 'test_data.json');
    await writeFile(file, testFile);
    const result = await runEvaluationJob({
      taskType: 'GrpoTask',
      originalModel: modelId,
      home,
      repos: [{ id: 'base', dir }],
      dataset: { path: file, format: 'json' },
      datasetType: plainDatasetType(datasetType) ?? {},
      ...(eval_.maxRows ? { maxRows: eval_.maxRows } : {}),
      ...(eval_.maxNewTokens ? { grpo: { maxNewTokens: eval_.maxNewTokens } } : {}),
    });
    const entry = result.base as { eval_loss?: unknown } | string | undefined;
    return typeof entry === 'object' && typeof entry.eval_loss === 'number' ? entry.eval_loss : null;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
