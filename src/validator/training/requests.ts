/**
 * The bodies the validator sends miners (miner-protocol-chain.md §3, validator.md §7.3, §8): the offer and the
 * start-training requests, with every key present as pydantic's `model_dump()` emits them (a Python miner's
 * smart union needs the keys to pick the dataset type). Float fields are wrapped so they serialise as `3.0`.
 */
import { MINER_ENDPOINTS } from '../../core/models/payloads.ts';
import type { AnyRawTask } from '../../core/models/tasks.ts';
import { pyFloat } from '../../net/python-json.ts';

/** The dataset-type object for a text task, after prep (standard column names). */
export function datasetTypeOf(task: AnyRawTask): Record<string, unknown> | null {
  switch (task.task_type) {
    case 'InstructTextTask':
      return {
        system_prompt: '',
        system_format: '{system}',
        field_system: task.field_system ?? null,
        field_instruction: task.field_instruction,
        field_input: task.field_input ?? null,
        field_output: task.field_output ?? null,
        format: task.format ?? null,
        no_input_format: task.no_input_format ?? null,
        field: null,
      };
    case 'DpoTask':
      return {
        field_prompt: task.field_prompt,
        field_system: task.field_system ?? null,
        field_chosen: task.field_chosen,
        field_rejected: task.field_rejected,
        prompt_format: task.prompt_format ?? null,
        chosen_format: task.chosen_format ?? null,
        rejected_format: task.rejected_format ?? null,
      };
    case 'GrpoTask':
      return {
        field_prompt: task.field_prompt,
        reward_functions: task.reward_functions.map((f) => ({
          reward_id: f.reward_id ?? null,
          reward_func: f.reward_func,
          reward_weight: pyFloat(f.reward_weight),
          func_hash: f.func_hash ?? null,
          is_generic: f.is_generic ?? null,
        })),
        extra_column: task.extra_column ?? null,
      };
    case 'ChatTask':
      return {
        chat_template: task.chat_template ?? null,
        chat_column: task.chat_column ?? null,
        chat_role_field: task.chat_role_field ?? null,
        chat_content_field: task.chat_content_field ?? null,
        chat_user_reference: task.chat_user_reference ?? null,
        chat_assistant_reference: task.chat_assistant_reference ?? null,
      };
    case 'ImageTask':
      return null;
  }
}

/** `{"ds_size": …, "model": …, "hours_to_complete": 3.0, "task_id": …, "task_type": …, "model_params_count": …}`. */
export function offerFor(task: AnyRawTask, modelParamsCount: number | null, fakeTextDatasetSize: number): { path: string; body: Record<string, unknown> } {
  const image = task.task_type === 'ImageTask';
  return {
    path: image ? MINER_ENDPOINTS.taskOfferImage : MINER_ENDPOINTS.taskOffer,
    body: {
      ds_size: image ? (task.image_text_pairs?.length ?? 0) : fakeTextDatasetSize,
      model: task.model_id,
      hours_to_complete: pyFloat(task.hours_to_complete),
      task_id: String(task.task_id),
      task_type: task.task_type,
      model_params_count: modelParamsCount,
    },
  };
}

/** The start-training call for one miner: path by task type, body with its own expected repo name. */
export function trainRequestFor(task: AnyRawTask, expectedRepoName: string): { path: string; body: Record<string, unknown> } {
  const base = {
    model: task.model_id,
    task_id: String(task.task_id),
    hours_to_complete: pyFloat(task.hours_to_complete),
    expected_repo_name: expectedRepoName,
  };
  if (task.task_type === 'ImageTask') {
    return {
      path: MINER_ENDPOINTS.startTrainingImage,
      body: { ...base, dataset_zip: task.training_data ?? 'dataset error', model_type: task.model_type ?? 'sdxl' },
    };
  }
  return {
    path: task.task_type === 'GrpoTask' ? MINER_ENDPOINTS.startTrainingGrpo : MINER_ENDPOINTS.startTraining,
    body: { ...base, dataset: task.training_data ?? 'dataset error', dataset_type: datasetTypeOf(task), file_format: 's3' },
  };
}

/**
 * The base model's size for offers and GPU sizing: the stored count, the hub's count, a `(\d+)b` guess from the
 * name, or 70e9 for a "70b" id (validator.md §7.3). Null when nothing tells.
 */
export async function modelParamsFor(
  task: Pick<AnyRawTask, 'model_id' | 'model_params_count'>,
  hubCount: ((repo: string) => Promise<number | null>) | undefined,
): Promise<number | null> {
  if (task.model_params_count && task.model_params_count > 0) return task.model_params_count;
  if (hubCount) {
    try {
      const n = await hubCount(task.model_id);
      if (n && n > 0) return n;
    } catch {
      // fall through to the name
    }
  }
  const m = /(\d+(?:\.\d+)?)[bB]/.exec(task.model_id);
  if (m) return Math.round(Number(m[1]) * 1e9);
  return task.model_id.toLowerCase().includes('70b') ? 70e9 : null;
}
