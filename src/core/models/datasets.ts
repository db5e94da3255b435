/**
 * The "dataset type" objects that tell a trainer or an evaluator how to read a dataset
 * (core/models/utility_models.py; validator.md §2.3). Every field of all four is optional, so on the wire
 * they form an untagged union told apart by which keys are present (`textDatasetTypeSchema`).
 */
import { z } from 'zod';
import { complete, smartUnion, pickMember, type Complete, type DefaultsOf } from './common.ts';
import { completeRewardFunction, rewardFunctionSchema } from './reward-functions.ts';

const optionalString = z.string().nullable().optional();

/** InstructTextDatasetType: column names of an instruction dataset plus optional prompt templates. */
export const instructTextDatasetTypeSchema = z.object({
  system_prompt: optionalString,
  system_format: optionalString,
  field_system: optionalString,
  field_instruction: optionalString,
  field_input: optionalString,
  field_output: optionalString,
  format: optionalString,
  no_input_format: optionalString,
  field: optionalString,
});
export type InstructTextDatasetType = z.infer<typeof instructTextDatasetTypeSchema>;
export const instructTextDatasetTypeDefaults: DefaultsOf<InstructTextDatasetType> = {
  system_prompt: '',
  system_format: '{system}',
  field_system: null,
  field_instruction: null,
  field_input: null,
  field_output: null,
  format: null,
  no_input_format: null,
  field: null,
};

/** DpoDatasetType: prompt / chosen / rejected columns and their templates. */
export const dpoDatasetTypeSchema = z.object({
  field_prompt: optionalString,
  field_system: optionalString,
  field_chosen: optionalString,
  field_rejected: optionalString,
  prompt_format: optionalString,
  chosen_format: optionalString,
  rejected_format: optionalString,
});
export type DpoDatasetType = z.infer<typeof dpoDatasetTypeSchema>;
export const dpoDatasetTypeDefaults: DefaultsOf<DpoDatasetType> = {
  field_prompt: null,
  field_system: null,
  field_chosen: null,
  field_rejected: null,
  prompt_format: '{prompt}',
  chosen_format: '{chosen}',
  rejected_format: '{rejected}',
};

/** GrpoDatasetType: prompt column, the weighted reward functions (with code), and an optional extra column. */
export const grpoDatasetTypeSchema = z.object({
  field_prompt: optionalString,
  reward_functions: z.array(rewardFunctionSchema).nullable().optional(),
  /** Column passed to reward functions as `extra_data` (after prep it is named `extra_data`). */
  extra_column: optionalString,
});
export type GrpoDatasetType = z.infer<typeof grpoDatasetTypeSchema>;
export const grpoDatasetTypeDefaults: DefaultsOf<GrpoDatasetType> = {
  field_prompt: null,
  reward_functions: [],
  extra_column: null,
};

/** ChatTemplateDatasetType: a column of message lists and how to read roles from it. */
export const chatTemplateDatasetTypeSchema = z.object({
  chat_template: optionalString,
  chat_column: optionalString,
  chat_role_field: optionalString,
  chat_content_field: optionalString,
  chat_user_reference: optionalString,
  chat_assistant_reference: optionalString,
});
export type ChatTemplateDatasetType = z.infer<typeof chatTemplateDatasetTypeSchema>;
export const chatTemplateDatasetTypeDefaults: DefaultsOf<ChatTemplateDatasetType> = {
  chat_template: 'chatml',
  chat_column: 'conversations',
  chat_role_field: 'from',
  chat_content_field: 'value',
  chat_user_reference: 'user',
  chat_assistant_reference: 'assistant',
};

/** Member names are the original's class names; the order is the original's union order (ties go left). */
export const DATASET_TYPE_MEMBERS = [
  { name: 'InstructTextDatasetType', schema: instructTextDatasetTypeSchema },
  { name: 'DpoDatasetType', schema: dpoDatasetTypeSchema },
  { name: 'GrpoDatasetType', schema: grpoDatasetTypeSchema },
  { name: 'ChatTemplateDatasetType', schema: chatTemplateDatasetTypeSchema },
] as const;
export type DatasetTypeName = (typeof DATASET_TYPE_MEMBERS)[number]['name'];

/** `TextDatasetType = Instruct | Dpo | Grpo | ChatTemplate`, resolved by key presence (see `pickMember`). */
export const textDatasetTypeSchema = smartUnion(DATASET_TYPE_MEMBERS);
export type TextDatasetType = InstructTextDatasetType | DpoDatasetType | GrpoDatasetType | ChatTemplateDatasetType;

export type ClassifiedDatasetType =
  | { kind: 'InstructTextDatasetType'; value: InstructTextDatasetType }
  | { kind: 'DpoDatasetType'; value: DpoDatasetType }
  | { kind: 'GrpoDatasetType'; value: GrpoDatasetType }
  | { kind: 'ChatTemplateDatasetType'; value: ChatTemplateDatasetType };

/**
 * Which member a parsed dataset type is. Stable on parser output: parsing keeps only the chosen member's
 * keys, so classifying again gives the same answer.
 */
export function classifyDatasetType(value: TextDatasetType): ClassifiedDatasetType {
  const member = pickMember(DATASET_TYPE_MEMBERS, value as Record<string, unknown>);
  return { kind: member.name, value } as ClassifiedDatasetType;
}

export type CompleteTextDatasetType =
  | Complete<InstructTextDatasetType>
  | Complete<DpoDatasetType>
  | (Omit<Complete<GrpoDatasetType>, 'reward_functions'> & {
      reward_functions: ReturnType<typeof completeRewardFunction>[] | null;
    })
  | Complete<ChatTemplateDatasetType>;

/**
 * Every key of the dataset type's member, defaults filled in: the body pydantic's model_dump() sends.
 * A validator must emit this form (a receiver's smart union needs the keys to pick the right member).
 */
export function completeDatasetType(value: TextDatasetType): CompleteTextDatasetType {
  const c = classifyDatasetType(value);
  switch (c.kind) {
    case 'InstructTextDatasetType':
      return complete(c.value, instructTextDatasetTypeDefaults);
    case 'DpoDatasetType':
      return complete(c.value, dpoDatasetTypeDefaults);
    case 'GrpoDatasetType': {
      const g = complete(c.value, grpoDatasetTypeDefaults);
      return { ...g, reward_functions: g.reward_functions?.map(completeRewardFunction) ?? null };
    }
    case 'ChatTemplateDatasetType':
      return complete(c.value, chatTemplateDatasetTypeDefaults);
  }
}

/** ImageTextPair: presigned URLs of one training image and its caption file. */
export const imageTextPairSchema = z.object({
  image_url: z.string(),
  text_url: z.string(),
});
export type ImageTextPair = z.infer<typeof imageTextPairSchema>;
