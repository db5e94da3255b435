/**
 * Conformance adapters for the miner's two vector files (vectors/README.md, last two sections):
 *
 * - `model_hash.json`: `calculate_model_hash` over a repo snapshot, bit for bit.
 * - `axolotl_config.json`: one start-training request handled end to end by the base miner — request parsing,
 *   the queued job, the saved axolotl YAML / kohya TOML (exact text), the reward module, the rewritten dataset,
 *   the Docker calls and the submission it then reports. Our output comes from the same builders the container
 *   backend runs (src/miner/container/*); Docker calls are the backend's plan rendered in docker-py terms.
 *
 * Deviations (docs/deviations.md D-miner-1 … 4) are recognised from the request: GRPO requests (submission
 * reported, no secrets in the container running reward code), GRPO reward sources whose function name the
 * reference misreads, and image requests (no token in the config file).
 */
import { posix } from 'node:path';
import type { Json, VectorAdapter } from '../conformance/types.ts';
import { classifyDatasetType, completeDatasetType, type ClassifiedDatasetType } from '../core/models/datasets.ts';
import { trainRequestGrpoSchema, trainRequestImageSchema, trainRequestTextSchema, type TrainRequestGrpo, type TrainRequestText } from '../core/models/payloads.ts';
import { parseWire } from '../core/parse.ts';
import { PyFloat } from '../net/python-json.ts';
import { buildAxolotlConfig, originalRewardFunctionName, type Behaviour, type TokenizerInfo } from './container/axolotl.ts';
import { buildKohyaConfig, fluxUnetFileName, imageDatasetPreparation } from './container/kohya.ts';
import { pyTomlDump } from './container/pytoml.ts';
import { dockerPyRunKwargs, planImageJob, planTextJob, type PlanStep } from './container/specs.ts';
import type { TemplateValue } from './container/templates.ts';
import { rewriteDataset } from './dataset-rewrite.ts';
import { modelHashOf } from './model-hash.ts';
import { pyYamlDump, type YamlValue } from './pyyaml.ts';

type Obj = { [key: string]: unknown };

function asObj(value: Json | undefined): Obj {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Obj) : {};
}

function bytesOf(content: unknown): Uint8Array {
  if (typeof content === 'string') return Buffer.from(content, 'utf8');
  const b64 = asObj(content as Json).base64;
  if (typeof b64 === 'string') return Buffer.from(b64, 'base64');
  throw new Error('file content is neither a string nor {base64}');
}

export const modelHashAdapter: VectorAdapter = {
  fn: 'calculate_model_hash',
  ruleSets: ['ref-2025-08'],
  run(input) {
    const i = asObj(input);
    const repoId = typeof i.repo_id === 'string' ? i.repo_id : 'HF_USER/test-repo';
    // A falsy repo id returns None before downloading; a failed download is caught and returns None.
    if (repoId === '' || typeof i.snapshot_download_error === 'string') return null;
    const files = Object.entries(asObj(i.files as Json)).map(([path, content]) => ({ path, bytes: bytesOf(content) }));
    return modelHashOf(files).hash;
  },
};

// ---- axolotl_config.json -------------------------------------------------------------------------------------

const MINER_CWD = '<miner_cwd>';
const HOME = '<home>';
const PATHS = { configDir: `${MINER_CWD}/core/config`, outputDir: `${MINER_CWD}/core/outputs`, imagesDir: `${MINER_CWD}/core/dataset/images` };

interface Settings {
  username: string;
  hubToken: string | null;
  wandbToken: string | null;
  uuid: string;
}

function settingsOf(input: Obj): Settings {
  const s = asObj(input.miner_settings as Json);
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  return { username: str(s.HUGGINGFACE_USERNAME) ?? 'None', hubToken: str(s.HUGGINGFACE_TOKEN), wandbToken: str(s.WANDB_TOKEN), uuid: str(s.uuid4) ?? '' };
}

function tokenizerOf(input: Obj): TokenizerInfo {
  const t = asObj(input.tokenizer as Json);
  const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
  return { padTokenId: num(t.pad_token_id), eosTokenId: num(t.eos_token_id), eosToken: typeof t.eos_token === 'string' ? t.eos_token : null };
}

function s3Text(input: Obj, url: string): string {
  const body = asObj(input.s3_objects as Json)[url];
  if (body === undefined) throw new Error(`no S3 object for ${url}`);
  return Buffer.from(bytesOf(body)).toString('utf8');
}

/** `download_s3_file` with no target: `/tmp/<basename of the URL path>`. */
function tmpPathFor(url: string): string {
  return posix.join('/tmp', posix.basename(new URL(url).pathname));
}

function renderPlan(steps: readonly PlanStep[], hubToken: string | null): Obj[] {
  const images = new Map<string, string>();
  const out: Obj[] = [];
  for (const step of steps) {
    switch (step.op) {
      case 'volume.ensure':
        out.push({ call: 'volumes.get', name: step.name }, { call: 'volumes.create', name: step.name });
        break;
      case 'run':
        images.set(step.container, step.spec.image);
        out.push({ call: 'containers.run', kwargs: dockerPyRunKwargs(step.spec) });
        break;
      case 'container.remove':
        out.push({ call: 'container.remove', force: true, image: images.get(step.container) });
        break;
      case 'volume.remove':
        out.push({ call: 'volumes.get', name: step.name }, { call: 'volume.remove', name: step.name, force: true });
        break;
      case 'hub.makePublic':
        out.push({ call: 'HfApi()', token: hubToken }, { call: 'HfApi.update_repo_visibility', repo_id: step.repo, private: false, token: hubToken });
        break;
    }
  }
  return out;
}

/** PyFloat markers become plain numbers for comparison; everything else is already JSON. */
function plain(value: unknown): unknown {
  if (value instanceof PyFloat) return value.value;
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

interface Simulation {
  output: Obj;
  /** The config with float markers, until `finish` writes its text. */
  config: Record<string, unknown>;
  format: 'yaml' | 'toml';
}

function simulateText(input: Obj, endpoint: string, behaviour: Behaviour): Simulation {
  const settings = settingsOf(input);
  let request: TrainRequestText | TrainRequestGrpo;
  let datasetType: ClassifiedDatasetType;
  if (endpoint === '/start_training_grpo/') {
    const grpo = parseWire(trainRequestGrpoSchema, input.request);
    request = grpo;
    datasetType = { kind: 'GrpoDatasetType', value: grpo.dataset_type };
  } else {
    const text = parseWire(trainRequestTextSchema, input.request);
    request = text;
    datasetType = classifyDatasetType(text.dataset_type);
  }
  const sideEffects: Obj[] = [];
  let dataset = request.dataset;
  let fileFormat = request.file_format;
  let downloaded: string | null = null;
  if (fileFormat === 's3') {
    sideEffects.push({ call: 'http.get', url: request.dataset });
    downloaded = s3Text(input, request.dataset);
    dataset = tmpPathFor(request.dataset);
    fileFormat = 'json';
  }
  const format = fileFormat as 'json' | 'csv' | 'hf';
  const job = {
    job_id: request.task_id,
    model: request.model,
    status: 'Queued',
    error_message: null,
    expected_repo_name: request.expected_repo_name ?? null,
    dataset,
    dataset_type: completeDatasetType(datasetType.value),
    file_format: format,
  };
  sideEffects.push({ call: 'AutoTokenizer.from_pretrained', model: request.model, kwargs: { trust_remote_code: true } });
  const built = buildAxolotlConfig(
    { taskId: request.task_id, model: request.model, dataset, fileFormat: format, datasetType, expectedRepoName: request.expected_repo_name },
    tokenizerOf(input),
    { hubUsername: settings.username, fallbackRepoName: settings.uuid, behaviour },
  );
  const grpo = datasetType.kind === 'GrpoDatasetType';
  const output: Obj = {
    parsed_dataset_type_class: datasetType.kind,
    endpoint_response: { message: 'Training job enqueued.', task_id: request.task_id },
    job,
  };
  if (format !== 'hf' && downloaded !== null) {
    const rewrite = format === 'json' ? rewriteDataset(downloaded, datasetType) : null;
    output.dataset_file = { path: dataset, rewritten: rewrite !== null, content_after: rewrite?.text ?? downloaded };
  }
  output.reward_file = built.rewardModule ? { path: `core/config/${built.rewardModule.fileName}`, content: built.rewardModule.content } : null;
  output.files_written_in_core_config = [`${request.task_id}.yml`, ...(built.rewardModule ? [built.rewardModule.fileName] : [])];
  output.latest_model_submission =
    built.submissionRepo !== null
      ? { repo: built.submissionRepo, model_hash: null }
      : {
          error: 'HTTPException',
          status_code: 500,
          detail: `Error retrieving latest model submission: No model submission found for task ${request.task_id}`,
        };
  const plan = planTextJob(
    { taskId: request.task_id, model: request.model, dataset, fileFormat: format, grpo, repo: `${settings.username}/${request.expected_repo_name || settings.uuid}` },
    { paths: PATHS, secrets: { hubToken: settings.hubToken, wandbToken: settings.wandbToken }, behaviour },
  );
  output.side_effects = [...sideEffects, ...renderPlan(plan, settings.hubToken)];
  return { output, config: built.config, format: 'yaml' };
}

function simulateImage(input: Obj, behaviour: Behaviour): Simulation {
  const settings = settingsOf(input);
  const request = parseWire(trainRequestImageSchema, input.request);
  const modelType = request.model_type ?? 'sdxl';
  const zipPath = `core/dataset/images/${request.task_id}.zip`;
  const built = buildKohyaConfig(
    { taskId: request.task_id, model: request.model, modelType, expectedRepoName: request.expected_repo_name },
    { hubUsername: settings.username, fallbackRepoName: settings.uuid, hubToken: settings.hubToken, behaviour },
  );
  const prep = imageDatasetPreparation(request.task_id, modelType, zipPath);
  const plan = planImageJob(
    { taskId: request.task_id, modelType, ...(modelType === 'flux' ? { fluxUnetPath: `${HOME}/.cache/huggingface/${fluxUnetFileName(request.model)}` } : {}) },
    { paths: PATHS, secrets: { hubToken: settings.hubToken, wandbToken: settings.wandbToken }, behaviour },
  );
  const output: Obj = {
    endpoint_response: { message: 'Training job enqueued.', task_id: request.task_id },
    job: {
      job_id: request.task_id,
      model: request.model,
      status: 'Queued',
      error_message: null,
      expected_repo_name: request.expected_repo_name ?? null,
      dataset_zip: zipPath,
      model_type: modelType,
    },
    latest_model_submission: { repo: built.submissionRepo, model_hash: null },
    side_effects: [
      { call: 'http.get', url: request.dataset_zip },
      {
        call: 'prepare_dataset',
        kwargs: {
          training_images_zip_path: prep.zipPath,
          training_images_repeat: prep.repeats,
          instance_prompt: prep.instancePrompt,
          class_prompt: prep.classPrompt,
          job_id: request.task_id,
        },
      },
      ...renderPlan(plan, settings.hubToken),
    ],
  };
  return { output, config: built.config, format: 'toml' };
}

function simulate(input: Json, behaviour: Behaviour): Simulation {
  const i = asObj(input);
  const endpoint = String(i.endpoint);
  if (endpoint === '/start_training_image/') return simulateImage(i, behaviour);
  if (endpoint === '/start_training/' || endpoint === '/start_training_grpo/') return simulateText(i, endpoint, behaviour);
  throw new Error(`unknown endpoint ${endpoint}`);
}

function finish(sim: Simulation): Obj {
  const text = sim.format === 'yaml' ? pyYamlDump(sim.config as Record<string, YamlValue>) : pyTomlDump(sim.config as Record<string, TemplateValue>);
  return { ...sim.output, config: plain(sim.config), [sim.format === 'yaml' ? 'config_yaml_text' : 'config_toml_text']: text };
}

/**
 * D-miner-2's documented rule, restated directly: of the column-0 `def NAME(params)` and `NAME = lambda params:`
 * lines, the first whose params contain `**`, else the first.
 */
function documentedRewardName(source: string): string | null {
  const found = [...source.matchAll(/^(?:async\s+)?def\s+([A-Za-z_]\w*)\s*\(([^)]*)\)|^([A-Za-z_]\w*)\s*=\s*lambda([^:]*):/gm)].map((m) => ({
    name: (m[1] ?? m[3]) as string,
    kwargs: (m[2] ?? m[4] ?? '').includes('**'),
  }));
  return (found.find((f) => f.kwargs) ?? found[0])?.name ?? null;
}

function grpoSources(input: Obj): string[] {
  const dt = asObj(asObj(input.request as Json).dataset_type as Json);
  const fns = Array.isArray(dt.reward_functions) ? dt.reward_functions : [];
  return fns.map((f) => String(asObj(f as Json).reward_func ?? ''));
}

function deviationsOf(input: Json): { id: string; reason: string }[] {
  const i = asObj(input);
  const out: { id: string; reason: string }[] = [];
  if (i.endpoint === '/start_training_grpo/') {
    out.push({ id: 'D-miner-1', reason: 'GRPO submissions are reported (the original never set a repo for them)' });
    if (grpoSources(i).some((s) => originalRewardFunctionName(s) !== documentedRewardName(s))) {
      out.push({ id: 'D-miner-2', reason: 'each reward function is named by its top-level function taking **kwargs, not by the text after the first "def "' });
    }
    out.push({ id: 'D-miner-4', reason: 'the container running validator-supplied reward code gets no tokens' });
  }
  if (i.endpoint === '/start_training_image/') out.push({ id: 'D-miner-3', reason: 'the Hugging Face token is not written into the kohya config file' });
  return out;
}

export const axolotlConfigAdapter: VectorAdapter = {
  fn: 'tune_model_text / tune_model_grpo / tune_model_diffusion -> start_tuning_container(_diffusion) -> _load_and_modify_config(_diffusion), create_dataset_entry, update_model_info, create_reward_funcs_file, _adapt_columns_for_dataset, save_config(_toml); then get_latest_model_submission',
  ruleSets: ['ref-2025-08'],
  run: (input) => finish(simulate(input, 'fixed')),
  deviation(input) {
    const found = deviationsOf(input);
    return found.length === 0 ? null : { id: found.map((d) => d.id).join(' + '), reason: found.map((d) => d.reason).join('; ') };
  },
  /** The original's output with each documented change applied to it. */
  expectedFixed(input) {
    const i = asObj(input);
    const sim = simulate(input, 'original');
    const ids = new Set(deviationsOf(input).map((d) => d.id));
    const settings = settingsOf(i);
    const request = asObj(i.request as Json);
    const repo = `${settings.username}/${(typeof request.expected_repo_name === 'string' && request.expected_repo_name) || settings.uuid}`;
    if (ids.has('D-miner-1')) sim.output.latest_model_submission = { repo, model_hash: null };
    if (ids.has('D-miner-2')) {
      const trl = sim.config.trl as Obj;
      trl.reward_funcs = grpoSources(i).map((s) => `rewards_${String(request.task_id)}.${documentedRewardName(s)}`);
    }
    for (const effect of sim.output.side_effects as Obj[]) {
      const kwargs = asObj(effect.kwargs as Json);
      const env = kwargs.environment as Obj | undefined;
      if (effect.call !== 'containers.run' || env === undefined) continue;
      if (ids.has('D-miner-4') && kwargs.network_mode === 'none') {
        delete env.HUGGINGFACE_TOKEN;
        delete env.WANDB_TOKEN;
      }
      if (ids.has('D-miner-3')) env.HF_TOKEN = settings.hubToken;
    }
    if (ids.has('D-miner-3')) delete sim.config.huggingface_token;
    return finish(sim);
  },
};

/** The reference's behaviour for one case, unchanged (tests show it reproduces every vector output). */
export function runOriginal(input: Json): Obj {
  return finish(simulate(input, 'original'));
}

export const adapters: VectorAdapter[] = [modelHashAdapter, axolotlConfigAdapter];
