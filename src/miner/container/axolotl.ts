/**
 * The axolotl config the base miner writes for a text job (miner-protocol-chain.md §5.5; vectors
 * axolotl_config.json): the template, one dataset entry, the model, run names, the hub repo, and for GRPO the
 * reward functions module. `behaviour: 'original'` reproduces the reference byte for byte; `'fixed'` (our
 * default) differs only where docs/deviations.md says (D-miner-2: reward function names).
 */
import { basename } from 'node:path';
import type { ClassifiedDatasetType, CompleteTextDatasetType } from '../../core/models/datasets.ts';
import { completeDatasetType } from '../../core/models/datasets.ts';
import { pyFloat } from '../../net/python-json.ts';
import type { YamlValue } from '../pyyaml.ts';
import { AXOLOTL_BASE, AXOLOTL_BASE_GRPO } from './templates.ts';

export type Behaviour = 'original' | 'fixed';

/** Where text training writes its output inside the container (the reference's GRPO_MINER_OUTPUT_DIR, used for all). */
export const TRAINED_REPO_DIR = '/root/.cache/huggingface/hub/trained_repo';
/** Where the dataset folder is mounted; a local (json/csv) dataset entry points here. */
export const CONTAINER_INPUT_DIR = '/workspace/input_data';

export interface TextJobInput {
  readonly taskId: string;
  readonly model: string;
  /** Local file path for json/csv, the Hugging Face dataset id for hf. */
  readonly dataset: string;
  readonly fileFormat: 'json' | 'csv' | 'hf';
  readonly datasetType: ClassifiedDatasetType;
  readonly expectedRepoName: string | null | undefined;
}

/** What the model's tokenizer exposes (the reference loads `AutoTokenizer`): only these decide the pad token. */
export interface TokenizerInfo {
  readonly padTokenId: number | null;
  readonly eosTokenId: number | null;
  readonly eosToken: string | null;
}

export interface AxolotlOptions {
  /** Hugging Face namespace repos are created under (HUGGINGFACE_USERNAME). */
  readonly hubUsername: string;
  /** Repo name used when the validator sent no `expected_repo_name` (the reference draws a uuid4). */
  readonly fallbackRepoName: string;
  readonly behaviour: Behaviour;
}

export interface RewardModule {
  /** Module name without `.py`: `rewards_{task_id}`. */
  readonly module: string;
  readonly fileName: string;
  readonly content: string;
  /** Function names referenced as `{module}.{name}`, aligned with `weights` in the fixed behaviour. */
  readonly names: readonly string[];
}

export interface AxolotlConfigResult {
  readonly config: Record<string, YamlValue>;
  readonly rewardModule: RewardModule | null;
  /** The repo the job's output is pushed to (null only for GRPO in the original behaviour: it never reports one). */
  readonly submissionRepo: string | null;
}

/** `{namespace}/{expected_repo_name or fallback}`; an empty name counts as missing, as Python's `or` does. */
export function hubRepoId(username: string, expectedRepoName: string | null | undefined, fallback: string): string {
  return `${username}/${expectedRepoName || fallback}`;
}

/** The reference's name parsing: the text between the first `def ` and the next `(`; none when there is no `def `. */
export function originalRewardFunctionName(source: string): string | null {
  const at = source.indexOf('def ');
  if (at < 0) return null;
  const rest = source.slice(at + 4);
  const paren = rest.indexOf('(');
  return (paren < 0 ? rest : rest.slice(0, paren)).trim();
}

/**
 * The reward function a source defines, as validators pick it: among the callables the module binds at top level
 * — a column-0 `def` / `async def` (parameters up to the closing `)`), or `name = lambda …:` — the first whose
 * parameters take `**kwargs` (the calling convention; helpers come before it in many sources), else the first.
 * Found without running the code, outside comments and triple-quoted strings. `from m import f` is not
 * recognised. Null when the source binds no callable.
 */
export function rewardFunctionName(source: string): string | null {
  const callables: { name: string; takesKwargs: boolean }[] = [];
  const lines = source.split(/\r?\n/);
  let inString: '"""' | "'''" | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (inString !== null) {
      if (line.includes(inString)) inString = null;
      continue;
    }
    const def = /^(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)[ \t]*\(/.exec(line);
    const lambda = /^([A-Za-z_]\w*)[ \t]*=[ \t]*lambda\b([^:]*):/.exec(line);
    if (def) {
      // The parameter list may span lines; it ends at the first `)` followed by `:` or `->`.
      const rest = lines.slice(i).join('\n').slice(def[0].length);
      const close = rest.search(/\)\s*(?::|->)/);
      callables.push({ name: def[1] as string, takesKwargs: (close < 0 ? rest : rest.slice(0, close)).includes('**') });
    } else if (lambda) {
      callables.push({ name: lambda[1] as string, takesKwargs: (lambda[2] as string).includes('**') });
    }
    const code = line.replace(/#.*$/, '');
    for (const q of ['"""', "'''"] as const) if ((code.split(q).length - 1) % 2 === 1) inString = q;
  }
  return (callables.find((c) => c.takesKwargs) ?? callables[0])?.name ?? null;
}

/** `rewards_{task_id}.py`: a header, then each source followed by a blank line. */
export function buildRewardModule(taskId: string, sources: readonly string[], behaviour: Behaviour): RewardModule {
  const module = `rewards_${taskId}`;
  const content = `# Auto-generated reward functions file\n\n${sources.map((s) => `${s}\n\n`).join('')}`;
  let names: string[];
  if (behaviour === 'original') {
    names = sources.map(originalRewardFunctionName).filter((n): n is string => n !== null);
  } else {
    names = sources.map((source, i) => {
      const name = rewardFunctionName(source);
      if (name === null) throw new Error(`reward function ${i} defines no top-level function, class or lambda`);
      return name;
    });
  }
  return { module, fileName: `${module}.py`, content, names };
}

function instructEntry(dt: Record<string, unknown>): Record<string, YamlValue> {
  const fields: Record<string, YamlValue> = {};
  for (const [k, v] of Object.entries(dt)) if (v !== null && v !== undefined) fields[k] = v as YamlValue;
  if (!fields.field_output) return { type: 'completion', field: (fields.field_instruction as YamlValue | undefined) ?? null };
  if (!('no_input_format' in fields)) fields.no_input_format = '{instruction}';
  if (!('format' in fields)) fields.format = fields.field_input ? '{instruction} {input}' : '{instruction}';
  return { format: 'custom', type: fields };
}

function chatEntry(dt: Record<string, string | null>): Record<string, YamlValue> {
  return {
    chat_template: dt.chat_template ?? null,
    type: 'chat_template',
    field_messages: dt.chat_column ?? null,
    message_field_role: dt.chat_role_field ?? null,
    message_field_content: dt.chat_content_field ?? null,
    roles: { assistant: [dt.chat_assistant_reference ?? null], user: [dt.chat_user_reference ?? null] },
    message_property_mappings: { role: dt.chat_role_field ?? null, content: dt.chat_content_field ?? null },
  };
}

/** `create_dataset_entry`: where axolotl finds the data and how it reads each row. */
export function datasetEntry(job: TextJobInput): Record<string, YamlValue> {
  const entry: Record<string, YamlValue> = job.fileFormat === 'json' ? { path: `${CONTAINER_INPUT_DIR}/` } : { path: job.dataset };
  const dt = completeDatasetType(job.datasetType.value) as CompleteTextDatasetType & Record<string, unknown>;
  switch (job.datasetType.kind) {
    case 'InstructTextDatasetType':
      Object.assign(entry, instructEntry(dt));
      break;
    case 'DpoDatasetType':
      Object.assign(entry, { type: 'chatml.default', split: 'train' });
      break;
    case 'GrpoDatasetType':
      Object.assign(entry, { split: 'train' });
      break;
    case 'ChatTemplateDatasetType':
      Object.assign(entry, chatEntry(dt as unknown as Record<string, string | null>));
      break;
  }
  if (job.fileFormat !== 'hf') {
    entry.ds_type = job.fileFormat;
    entry.data_files = [basename(job.dataset)];
  }
  return entry;
}

function cloneTemplate(value: unknown): YamlValue {
  if (Array.isArray(value)) return value.map(cloneTemplate);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, YamlValue> = {};
    for (const [k, v] of Object.entries(value)) out[k] = cloneTemplate(v);
    return out;
  }
  return value as YamlValue;
}

/** `_load_and_modify_config` + `update_model_info`: the whole config for one text job. */
export function buildAxolotlConfig(job: TextJobInput, tokenizer: TokenizerInfo, options: AxolotlOptions): AxolotlConfigResult {
  const grpo = job.datasetType.kind === 'GrpoDatasetType';
  const config = cloneTemplate(grpo ? AXOLOTL_BASE_GRPO : AXOLOTL_BASE) as Record<string, YamlValue>;
  config.datasets = [datasetEntry(job)];
  let rewardModule: RewardModule | null = null;
  if (job.datasetType.kind === 'DpoDatasetType') config.rl = 'dpo';
  if (job.datasetType.kind === 'GrpoDatasetType') {
    const functions = job.datasetType.value.reward_functions ?? [];
    rewardModule = buildRewardModule(job.taskId, functions.map((f) => f.reward_func), options.behaviour);
    const trl = config.trl as Record<string, YamlValue>;
    trl.reward_funcs = rewardModule.names.map((n) => `${rewardModule?.module}.${n}`);
    trl.reward_weights = functions.map((f) => pyFloat(f.reward_weight));
  }
  config.flash_attention = false;
  if (tokenizer.padTokenId === null && tokenizer.eosTokenId !== null) config.special_tokens = { pad_token: tokenizer.eosToken };
  config.base_model = job.model;
  config.wandb_runid = job.taskId;
  config.wandb_name = job.taskId;
  const repo = hubRepoId(options.hubUsername, job.expectedRepoName, options.fallbackRepoName);
  // GRPO trains offline, so axolotl cannot push; a separate upload container pushes to `repo` instead.
  if (!grpo) config.hub_model_id = repo;
  config.mlflow_experiment_name = job.dataset;
  config.output_dir = TRAINED_REPO_DIR;
  const submissionRepo = !grpo || options.behaviour === 'fixed' ? repo : null;
  return { config, rewardModule, submissionRepo };
}
