/**
 * The synthetic task scheduler (validator.md §6, reference version): every few minutes, unless the network is
 * busy (any delayed task, or too many tasks training/awaiting evaluation), create one synthetic task of a
 * weighted-random type from the content service's models and datasets, with hours drawn from the primary
 * dataset's row count.
 */
import type { TaskType } from '../../core/enums.ts';
import { SYNTHETIC_ACCOUNT_ID, type AnyRawTask } from '../../core/models/tasks.ts';
import type { HoursBin, SynthRules } from '../../core/rules/synth.ts';
import { insertTask } from '../../db/queries/tasks.ts';
import { countTasksByStatus, genericRewardFunctions } from '../../db/queries/validator-tasks.ts';
import { errorText, now, type ValidatorContext } from '../context.ts';
import type { ContentDataset, DataRow } from '../ports.ts';
import { balanceDatasets } from '../prep/split.ts';
import { hex16, pick, randint, sample, shuffled, uniform, uuid4, weightedIndex, type Random } from '../rng.ts';

/** Uniform whole hours from the bin holding `rows` (inclusive bounds); outside every bin is an error. */
export function hoursForRows(rows: number, bins: readonly HoursBin[], random: Random): number {
  const bin = bins.find((b) => rows >= b.minRows && rows <= b.maxRows);
  if (!bin) throw new Error(`no training-hours bin for a dataset of ${rows} rows`);
  return randint(random, bin.minHours, bin.maxHours);
}

/** Instruct 0.35 (half of them Chat), Image 0.25, DPO 0.15, GRPO 0.25. */
export function pickSyntheticType(random: Random, rules: SynthRules): TaskType {
  const types: TaskType[] = ['InstructTextTask', 'ImageTask', 'DpoTask', 'GrpoTask'];
  const t = types[weightedIndex(random, [rules.instructTaskProbability, rules.imageTaskProbability, rules.dpoTaskProbability, rules.grpoTaskProbability])]!;
  if (t === 'InstructTextTask' && random.next() < rules.chatInsteadOfInstructProbability) return 'ChatTask';
  return t;
}

export type SynthPassOutcome = { created: AnyRawTask } | { skipped: string } | { failed: string };

/** One scheduler tick: maybe one synthetic task. */
export async function synthPass(ctx: ValidatorContext, forceType?: TaskType): Promise<SynthPassOutcome> {
  const rules = ctx.config.synth;
  const counts = await countTasksByStatus(ctx.db, ['training', 'preevaluation', 'delayed']);
  const active = (counts.training ?? 0) + (counts.preevaluation ?? 0);
  if ((counts.delayed ?? 0) > 0) return { skipped: 'organic tasks are waiting for miners' };
  if (active >= rules.maxConcurrentSyntheticJobs) return { skipped: `${active} tasks training or awaiting evaluation` };
  let last = '';
  for (let attempt = 0; attempt < rules.numSynthRetries; attempt++) {
    try {
      const type = forceType ?? pickSyntheticType(ctx.random, rules);
      const task = await createSyntheticTask(ctx, type);
      ctx.log.info({ task_id: task.task_id, task_type: task.task_type, model: task.model_id, ds: task.ds, hours: task.hours_to_complete }, 'synthetic task created');
      return { created: task };
    } catch (err) {
      last = errorText(err);
      ctx.log.warn({ attempt: attempt + 1, err: last }, 'could not create a synthetic task');
    }
  }
  return { failed: last };
}

async function pickTextModel(ctx: ValidatorContext): Promise<string> {
  const r = ctx.config.synth;
  const big = ctx.random.next() < r.bigModelProbability;
  const [min, max] = big ? [r.bigModelMinParamsB, r.bigModelMaxParamsB] : [r.standardModelMinParamsB, r.standardModelMaxParamsB];
  const models = await ctx.content.randomModels(min * 1e9, max * 1e9);
  if (models.length === 0) throw new Error('the content service has no model in range');
  return pick(ctx.random, models).model_id;
}

/** 2–16 distinct usable datasets (the first is the primary), with the primary's column suggestion. */
async function pickDatasets(ctx: ValidatorContext, dpo: boolean): Promise<{ datasets: ContentDataset[]; suggestion: { field_instruction: string; field_input?: string | null; field_output?: string | null } | null }> {
  const r = ctx.config.synth;
  const want = randint(ctx.random, r.minDatasetsForAugmentation, r.maxDatasetsForAugmentation);
  const pool = shuffled(ctx.random, await ctx.content.randomDatasets(dpo));
  const chosen: ContentDataset[] = [];
  let suggestion: Awaited<ReturnType<typeof ctx.content.suggestColumns>> = null;
  for (const d of pool) {
    if (chosen.length >= want) break;
    if (chosen.some((c) => c.dataset_id === d.dataset_id)) continue;
    if (dpo) {
      if (chosen.length === 0 && !(d.dpo_prompt_column && d.dpo_accepted_column && d.dpo_rejected_column)) continue;
      chosen.push(d);
      continue;
    }
    const s = await ctx.content.suggestColumns(d.dataset_id).catch(() => null);
    if (!s) continue;
    if (chosen.length === 0) suggestion = s;
    chosen.push(d);
  }
  if (chosen.length === 0) throw new Error(`no usable ${dpo ? 'DPO ' : ''}dataset`);
  return { datasets: chosen, suggestion };
}

function baseTask(ctx: ValidatorContext, modelId: string, ds: string, hours: number) {
  const at = now(ctx);
  return {
    is_organic: false,
    status: 'pending',
    model_id: modelId,
    ds,
    account_id: SYNTHETIC_ACCOUNT_ID,
    hours_to_complete: hours,
    created_at: at.toISOString(),
    next_delay_at: at.toISOString(),
    termination_at: new Date(at.getTime() + hours * 3_600_000).toISOString(),
  } as const;
}

/** Rows of a dataset as chat conversations (human/gpt turns), or null when a row cannot be converted. */
export function toChatRow(row: DataRow, suggestion: { field_instruction: string; field_output?: string | null }): DataRow | null {
  const conv = row.conversations;
  if (Array.isArray(conv) && conv.every((m) => typeof m === 'object' && m !== null && 'from' in m && 'value' in m)) return { conversations: conv };
  const messages = row.messages;
  if (Array.isArray(messages) && messages.every((m) => typeof m === 'object' && m !== null && 'role' in m && 'content' in m)) {
    const roles: Record<string, string> = { user: 'human', assistant: 'gpt', system: 'system' };
    return { conversations: (messages as { role: string; content: unknown }[]).map((m) => ({ from: roles[m.role] ?? m.role, value: String(m.content) })) };
  }
  const q = row[suggestion.field_instruction];
  const a = suggestion.field_output ? row[suggestion.field_output] : undefined;
  if (q === undefined || q === null || q === '' || a === undefined || a === null || a === '') return null;
  return { conversations: [{ from: 'human', value: String(q) }, { from: 'gpt', value: String(a) }] };
}

export async function createSyntheticTask(ctx: ValidatorContext, type: TaskType): Promise<AnyRawTask> {
  const r = ctx.config.synth;
  const opts = { now: now(ctx), actor: 'synthetic-scheduler' };
  if (type === 'ImageTask') {
    const models = await ctx.content.imageModels();
    if (models.length === 0) throw new Error('no image model available');
    const model = pick(ctx.random, models);
    const count = randint(ctx.random, r.imagePairsMin, r.imagePairsMax);
    const generated = await ctx.images.generate(count, model.model_type);
    if (generated.pairs.length < r.imagePairsMin) throw new Error(`only ${generated.pairs.length} image pairs generated`);
    const pairs = [];
    for (const p of generated.pairs) {
      const key = hex16(ctx.random);
      await ctx.blobs.put(`${key}.${p.ext}`, p.image, `image/${p.ext === 'jpg' ? 'jpeg' : p.ext}`);
      await ctx.blobs.put(`${key}.txt`, new TextEncoder().encode(p.caption), 'text/plain');
      pairs.push({
        image_url: await ctx.blobs.signedUrl(`${key}.${p.ext}`, ctx.config.prep.presignedUrlSeconds),
        text_url: await ctx.blobs.signedUrl(`${key}.txt`, ctx.config.prep.presignedUrlSeconds),
      });
    }
    const ds = `${generated.prefix.toLowerCase().replace(/ /g, '_')}_${uuid4(ctx.random)}`;
    const hours = randint(ctx.random, r.imageMinHours, r.imageMaxHours);
    return insertTask(ctx.db, { ...baseTask(ctx, model.model_id, ds, hours), task_type: 'ImageTask', model_type: model.model_type, image_text_pairs: pairs }, opts);
  }
  const modelId = await pickTextModel(ctx);
  const dpo = type === 'DpoTask';
  const { datasets, suggestion } = await pickDatasets(ctx, dpo);
  const primary = datasets[0]!;
  const hours = hoursForRows(primary.num_rows, r.textHoursBins, ctx.random);
  const ds = datasets.map((d) => d.dataset_id).join(',');
  switch (type) {
    case 'InstructTextTask':
      if (!suggestion) throw new Error('no column suggestion for the primary dataset');
      return insertTask(
        ctx.db,
        {
          ...baseTask(ctx, modelId, ds, hours),
          task_type: 'InstructTextTask',
          field_instruction: suggestion.field_instruction,
          field_input: suggestion.field_input ?? null,
          field_output: suggestion.field_output ?? null,
          field_system: null,
          file_format: 'hf',
        },
        opts,
      );
    case 'DpoTask':
      return insertTask(
        ctx.db,
        {
          ...baseTask(ctx, modelId, ds, hours),
          task_type: 'DpoTask',
          field_prompt: primary.dpo_prompt_column!,
          field_chosen: primary.dpo_accepted_column!,
          field_rejected: primary.dpo_rejected_column!,
          file_format: 'hf',
        },
        opts,
      );
    case 'GrpoTask': {
      if (!suggestion) throw new Error('no column suggestion for the primary dataset');
      const library = await genericRewardFunctions(ctx.db);
      if (library.length === 0) throw new Error('no generic reward function in the database');
      const n = randint(ctx.random, r.rewardFunctionsMin, r.rewardFunctionsMax);
      const reward_functions = sample(ctx.random, library, n).map((f) => ({
        reward_id: f.reward_id,
        reward_func: f.reward_func,
        func_hash: f.func_hash,
        is_generic: f.is_generic,
        is_manual: f.is_manual,
        reward_weight: uniform(ctx.random, r.rewardWeightMin, r.rewardWeightMax),
      }));
      return insertTask(
        ctx.db,
        { ...baseTask(ctx, modelId, ds, hours), task_type: 'GrpoTask', field_prompt: suggestion.field_instruction, reward_functions, file_format: 'hf' },
        opts,
      );
    }
    case 'ChatTask': {
      if (!suggestion) throw new Error('no column suggestion for the primary dataset');
      const converted: DataRow[][] = [];
      for (const d of datasets) {
        const s = d === primary ? suggestion : ((await ctx.content.suggestColumns(d.dataset_id).catch(() => null)) ?? suggestion);
        const rows = (await ctx.datasets.load(d.dataset_id, 'hf')).map((row) => toChatRow(row, s)).filter((x): x is DataRow => x !== null);
        if (rows.length > 0) converted.push(rows);
      }
      const merged = balanceDatasets(converted, ctx.random);
      const key = `${hex16(ctx.random)}_chat_data.json`;
      await ctx.blobs.put(key, new TextEncoder().encode(JSON.stringify(merged)), 'application/json');
      const url = await ctx.blobs.signedUrl(key, ctx.config.prep.presignedUrlSeconds);
      return insertTask(
        ctx.db,
        {
          ...baseTask(ctx, modelId, url, hours),
          task_type: 'ChatTask',
          chat_template: 'chatml',
          chat_column: 'conversations',
          chat_role_field: 'from',
          chat_content_field: 'value',
          chat_user_reference: 'human',
          chat_assistant_reference: 'gpt',
          file_format: 's3',
        },
        opts,
      );
    }
  }
}
