/**
 * What the API shows of a task: the hiding rule (`hide_sensitive_data_till_finished`, validator.md §10.3) and the
 * type-specific TaskDetails (`convert_task_to_task_details`). Plain functions over the core task objects.
 */
import { z } from 'zod';
import type { StoredTaskStatus } from '../core/enums.ts';
import {
  anyTaskSchema,
  anyTaskWithHotkeyDetailsSchema,
  chatTaskDetailsSchema,
  dpoTaskDetailsSchema,
  grpoTaskDetailsSchema,
  imageTaskDetailsSchema,
  instructTextTaskDetailsSchema,
  type AnyTask,
  type AnyTaskDetails,
} from '../core/models/tasks.ts';
import { isTaskInFlight } from '../core/task-status.ts';

/** Stored statuses may be legacy values the TaskStatus enum lacks; a list must still render them. */
const anyStatus = { status: z.string() };
export const taskDetailsSchema = z.discriminatedUnion('task_type', [
  instructTextTaskDetailsSchema.extend(anyStatus),
  dpoTaskDetailsSchema.extend(anyStatus),
  grpoTaskDetailsSchema.extend(anyStatus),
  chatTaskDetailsSchema.extend(anyStatus),
  imageTaskDetailsSchema.extend(anyStatus),
]);
export type TaskDetails = z.infer<typeof taskDetailsSchema>;
export const auditTaskSchema = anyTaskSchema;
export const auditTaskWithHotkeysSchema = anyTaskWithHotkeyDetailsSchema;

export const HIDDEN = 'Hidden';

/**
 * Hides what would let someone train on the evaluation data while a task runs: data URLs, the dataset name,
 * image pairs, and the synthetic set — of chat tasks too (the original forgets chat, D-api-3). `forceHidden`
 * covers tasks of a tournament that has not completed ([HEAD]).
 */
export function hideWhileInFlight<T extends AnyTask>(task: T, forceHidden = false): T {
  if (!forceHidden && !isTaskInFlight(task.status as StoredTaskStatus)) return task;
  const hidden: Record<string, unknown> = { ...task, test_data: null, training_data: null, ds: HIDDEN };
  if (task.task_type === 'ImageTask') hidden.image_text_pairs = [{ image_url: 'hidden', text_url: 'hidden' }];
  else hidden.synthetic_data = null;
  return hidden as T;
}

/** TaskDetails of a task (after hiding). Chat tasks get details too (the original answers 500, D-api-2). */
export function toTaskDetails(task: AnyTask): TaskDetails {
  const common = {
    id: task.task_id as string,
    account_id: task.account_id,
    status: task.status,
    started_at: task.started_at ?? null,
    finished_at: task.termination_at ?? null,
    created_at: task.created_at,
    hours_to_complete: task.hours_to_complete,
    trained_model_repository: (task.trained_model_repository as string | null | undefined) ?? null,
    result_model_name: task.result_model_name ?? null,
    base_model_repository: task.model_id,
  };
  switch (task.task_type) {
    case 'InstructTextTask':
      return {
        ...common,
        task_type: 'InstructTextTask',
        ds_repo: task.ds,
        field_system: task.field_system ?? null,
        field_instruction: task.field_instruction,
        field_input: task.field_input ?? null,
        field_output: task.field_output ?? null,
        format: null,
        no_input_format: null,
        system_format: null,
      };
    case 'DpoTask':
      return {
        ...common,
        task_type: 'DpoTask',
        ds_repo: task.ds,
        field_prompt: task.field_prompt,
        field_system: task.field_system ?? null,
        field_chosen: task.field_chosen,
        field_rejected: task.field_rejected,
        prompt_format: task.prompt_format ?? null,
        chosen_format: task.chosen_format ?? null,
        rejected_format: task.rejected_format ?? null,
      };
    case 'GrpoTask':
      return { ...common, task_type: 'GrpoTask', ds_repo: task.ds, field_prompt: task.field_prompt, reward_functions: task.reward_functions };
    case 'ChatTask':
      return {
        ...common,
        task_type: 'ChatTask',
        ds_repo: task.ds,
        // A synthetic chat task may have stored null; the original's default applies.
        chat_template: task.chat_template ?? 'chatml',
        chat_column: task.chat_column ?? null,
        chat_role_field: task.chat_role_field ?? null,
        chat_content_field: task.chat_content_field ?? null,
        chat_user_reference: task.chat_user_reference ?? null,
        chat_assistant_reference: task.chat_assistant_reference ?? null,
      };
    case 'ImageTask':
      return {
        ...common,
        task_type: 'ImageTask',
        image_text_pairs: task.image_text_pairs ?? [],
        model_type: task.model_type ?? 'sdxl',
      };
  }
}

/** The core details type is the same shape with the enum status; exported for callers that want it. */
export type CoreTaskDetails = AnyTaskDetails;
