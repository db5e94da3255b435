// Models and adapters on disk, laid out like Hugging Face repositories so the local hub and the HF adapter
// treat them alike:
//   full model:  config.json (GPT-2) + model.safetensors (`transformer.*` names, F32, Conv1D (in,out) weights,
//                no lm_head.weight because the head is tied to transformer.wte.weight)
//   LoRA:        adapter_config.json (PEFT) + adapter_model.safetensors
//                (`base_model.model.transformer.h.{l}.{module}.lora_A.weight` (r,in) and `.lora_B.weight` (out,r))
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { fromHfConfig, toHfConfig } from './config.ts';
import type { GptConfig } from './config.ts';
import { Gpt } from './gpt.ts';
import { LORA_MODULES, loraLayout, resolveLoraTargets, wrapLora } from './lora.ts';
import type { LoraAdapter, LoraConfig } from './lora.ts';
import { readSafetensors, writeSafetensors } from './safetensors.ts';
import type { NamedTensor } from './safetensors.ts';

export const MODEL_FILE = 'model.safetensors';
export const CONFIG_FILE = 'config.json';
export const ADAPTER_FILE = 'adapter_model.safetensors';
export const ADAPTER_CONFIG_FILE = 'adapter_config.json';

/** One file of a repository: its name and bytes. */
export interface RepoFile {
  name: string;
  bytes: Buffer | string;
}

/** Writes each file through a temporary name and a rename, so a reader (or a kill) never sees a torn file. */
export async function writeRepoFiles(dir: string, files: readonly RepoFile[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const f of files) {
    const tmp = join(dir, `.${f.name}.tmp-${process.pid}`);
    await writeFile(tmp, f.bytes);
    await rename(tmp, join(dir, f.name));
  }
}

/** writeRepoFiles for synchronous callers (checkpoints saved from inside a training step callback). */
export function writeRepoFilesSync(dir: string, files: readonly RepoFile[]): void {
  mkdirSync(dir, { recursive: true });
  for (const f of files) {
    const tmp = join(dir, `.${f.name}.tmp-${process.pid}`);
    writeFileSync(tmp, f.bytes);
    renameSync(tmp, join(dir, f.name));
  }
}

export function modelFiles(model: Gpt): RepoFile[] {
  const tensors: NamedTensor[] = model.tensors.map((t) => ({
    name: t.name,
    shape: t.shape,
    data: Float32Array.from(model.params.subarray(t.offset, t.offset + t.size)),
  }));
  return [
    { name: MODEL_FILE, bytes: writeSafetensors(tensors, { format: 'pt' }) },
    { name: CONFIG_FILE, bytes: `${JSON.stringify(toHfConfig(model.config), null, 2)}\n` },
  ];
}

export async function saveModel(dir: string, model: Gpt): Promise<void> {
  await writeRepoFiles(dir, modelFiles(model));
}

export async function readConfig(dir: string): Promise<GptConfig> {
  return fromHfConfig(JSON.parse(await readFile(join(dir, CONFIG_FILE), 'utf8')));
}

/** Loads a full model; accepts names with or without the `transformer.` prefix, like HF does. */
export async function loadModel(dir: string): Promise<Gpt> {
  const config = await readConfig(dir);
  const { tensors } = readSafetensors(await readFile(join(dir, MODEL_FILE)));
  const model = new Gpt(config);
  for (const spec of model.tensors) {
    const found = tensors.get(spec.name) ?? tensors.get(spec.name.replace(/^transformer\./, ''));
    if (!found) throw new Error(`${MODEL_FILE}: missing tensor ${spec.name}`);
    if (found.shape.join(',') !== spec.shape.join(',')) {
      throw new Error(`${MODEL_FILE}: ${spec.name} has shape [${found.shape}], config needs [${spec.shape}]`);
    }
    model.params.set(found.data, spec.offset);
  }
  const head = tensors.get('lm_head.weight');
  if (head) {
    const wte = model.tensor('transformer.wte.weight');
    if (head.data.length !== wte.length || head.data.some((x, i) => x !== wte[i])) {
      throw new Error(`${MODEL_FILE}: lm_head.weight differs from transformer.wte.weight; only tied heads are supported`);
    }
  }
  return model;
}

const AdapterConfigSchema = z.looseObject({
  peft_type: z.literal('LORA'),
  base_model_name_or_path: z.string().nullable().optional(),
  r: z.number().int().positive(),
  lora_alpha: z.number().positive(),
  target_modules: z.union([z.array(z.string()).min(1), z.string()]),
});

export interface SavedAdapter {
  adapter: LoraAdapter;
  baseModel: string | null;
}

function adapterTensorName(layer: number, module: string, ab: 'A' | 'B'): string {
  return `base_model.model.transformer.h.${layer}.${module}.lora_${ab}.weight`;
}

export function adapterFiles(adapter: LoraAdapter, baseModel: string): RepoFile[] {
  const r = adapter.config.rank;
  const tensors: NamedTensor[] = [];
  for (const s of adapter.slots) {
    // internal A is (in, r), B is (r, out); PEFT stores their transposes
    const a = new Float32Array(r * s.inDim);
    for (let i = 0; i < s.inDim; i++) for (let j = 0; j < r; j++) a[j * s.inDim + i] = adapter.params[s.aOff + i * r + j]!;
    const b = new Float32Array(s.outDim * r);
    for (let j = 0; j < r; j++) for (let o = 0; o < s.outDim; o++) b[o * r + j] = adapter.params[s.bOff + j * s.outDim + o]!;
    tensors.push({ name: adapterTensorName(s.layer, s.module, 'A'), shape: [r, s.inDim], data: a });
    tensors.push({ name: adapterTensorName(s.layer, s.module, 'B'), shape: [s.outDim, r], data: b });
  }
  const config = {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: baseModel,
    r,
    lora_alpha: adapter.config.alpha,
    lora_dropout: 0,
    target_modules: adapter.config.targets,
    fan_in_fan_out: true,
    bias: 'none',
    inference_mode: true,
    modules_to_save: null,
  };
  return [
    { name: ADAPTER_FILE, bytes: writeSafetensors(tensors, { format: 'pt' }) },
    { name: ADAPTER_CONFIG_FILE, bytes: `${JSON.stringify(config, null, 2)}\n` },
  ];
}

export async function saveAdapter(dir: string, adapter: LoraAdapter, baseModel: string): Promise<void> {
  await writeRepoFiles(dir, adapterFiles(adapter, baseModel));
}

export async function loadAdapter(dir: string, base: GptConfig): Promise<SavedAdapter> {
  const raw: unknown = JSON.parse(await readFile(join(dir, ADAPTER_CONFIG_FILE), 'utf8'));
  const parsed = AdapterConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${ADAPTER_CONFIG_FILE}: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`);
  }
  const c = parsed.data;
  const targetList = typeof c.target_modules === 'string' ? [c.target_modules] : c.target_modules;
  const cfg: LoraConfig = { rank: c.r, alpha: c.lora_alpha, targets: resolveLoraTargets(targetList) };
  const { tensors } = readSafetensors(await readFile(join(dir, ADAPTER_FILE)));
  const probe = wrapLora(base, cfg, new Float32Array(loraLayout(base, cfg).size));
  const r = cfg.rank;
  for (const s of probe.slots) {
    const a = tensors.get(adapterTensorName(s.layer, s.module, 'A'));
    const b = tensors.get(adapterTensorName(s.layer, s.module, 'B'));
    if (!a || !b) throw new Error(`${ADAPTER_FILE}: missing lora tensors for layer ${s.layer} ${s.module}`);
    if (a.shape.join(',') !== `${r},${s.inDim}` || b.shape.join(',') !== `${s.outDim},${r}`) {
      throw new Error(`${ADAPTER_FILE}: layer ${s.layer} ${s.module} has shapes [${a.shape}] and [${b.shape}], expected [${r},${s.inDim}] and [${s.outDim},${r}]`);
    }
    for (let i = 0; i < s.inDim; i++) for (let j = 0; j < r; j++) probe.params[s.aOff + i * r + j] = a.data[j * s.inDim + i]!;
    for (let j = 0; j < r; j++) for (let o = 0; o < s.outDim; o++) probe.params[s.bOff + j * s.outDim + o] = b.data[o * r + j]!;
  }
  const known = new Set(LORA_MODULES as readonly string[]);
  for (const name of tensors.keys()) {
    const m = /^base_model\.model\.transformer\.h\.\d+\.(.+)\.lora_[AB]\.weight$/.exec(name);
    if (!m || !known.has(m[1]!)) throw new Error(`${ADAPTER_FILE}: unexpected tensor ${name}`);
  }
  return { adapter: probe, baseModel: c.base_model_name_or_path ?? null };
}

/** A repository is a LoRA adapter when it has adapter_config.json (as production's check_for_lora). */
export async function isAdapterRepo(dir: string): Promise<boolean> {
  try {
    await readFile(join(dir, ADAPTER_CONFIG_FILE));
    return true;
  } catch (_err) {
    return false;
  }
}
