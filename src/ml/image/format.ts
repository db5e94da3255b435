// The denoiser on disk, in the same Hugging Face-like layout as the text models:
//   base:  config.json (`architectures: ["GodCaptionDenoiser"]`, `model_type: "god-denoiser"`, sizes) +
//          model.safetensors (caption_embed / time_proj / in_proj / mid_proj / out_proj, (in, out) weights)
//   LoRA:  adapter_config.json (PEFT: peft_type LORA, r, lora_alpha, target_modules) +
//          adapter_model.safetensors (`base_model.model.<module>.lora_A.weight` (r, in), `.lora_B.weight` (out, r))
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { readSafetensors, writeSafetensors } from '../safetensors.ts';
import type { NamedTensor } from '../safetensors.ts';
import { ADAPTER_CONFIG_FILE, ADAPTER_FILE, CONFIG_FILE, MODEL_FILE, writeRepoFiles } from '../hub-format.ts';
import type { RepoFile } from '../hub-format.ts';
import { Denoiser, denoiserConfig, denoiserLoraLayout, resolveDenoiserTargets, wrapDenoiserLora } from './denoiser.ts';
import type { DenoiserConfig, DenoiserLora } from './denoiser.ts';

export const DENOISER_ARCHITECTURE = 'GodCaptionDenoiser';

const ConfigSchema = z.looseObject({
  architectures: z.array(z.string()),
  model_type: z.literal('god-denoiser'),
  image_size: z.number().int().positive(),
  hidden_size: z.number().int().positive(),
  caption_buckets: z.number().int().min(2),
  time_features: z.number().int().positive(),
});

export function toDenoiserHfConfig(cfg: DenoiserConfig): Record<string, unknown> {
  return {
    architectures: [DENOISER_ARCHITECTURE],
    model_type: 'god-denoiser',
    image_size: cfg.imageSize,
    hidden_size: cfg.hidden,
    caption_buckets: cfg.captionBuckets,
    time_features: cfg.timeFeatures,
    prediction_type: 'sample',
    noise_schedule: 'cosine: x_t = cos(pi t/2) x0 + sin(pi t/2) eps',
    caption_encoder: 'bag of lower-case words, FNV-1a hashed into caption_buckets - 1 rows; row 0 = empty caption',
    torch_dtype: 'float32',
  };
}

function issueText(error: z.ZodError, file: string): string {
  const issue = error.issues[0];
  return `${file}: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`;
}

export async function readDenoiserConfig(dir: string): Promise<DenoiserConfig> {
  const parsed = ConfigSchema.safeParse(JSON.parse(await readFile(join(dir, CONFIG_FILE), 'utf8')));
  if (!parsed.success) throw new Error(issueText(parsed.error, CONFIG_FILE));
  const c = parsed.data;
  return denoiserConfig({ imageSize: c.image_size, hidden: c.hidden_size, captionBuckets: c.caption_buckets, timeFeatures: c.time_features });
}

/** True when the directory holds a denoiser (its config.json says model_type god-denoiser). */
export async function isDenoiserDir(dir: string): Promise<boolean> {
  try {
    const raw = JSON.parse(await readFile(join(dir, CONFIG_FILE), 'utf8')) as { model_type?: unknown };
    return raw.model_type === 'god-denoiser';
  } catch (_err) {
    return false;
  }
}

export function denoiserFiles(model: Denoiser): RepoFile[] {
  const tensors: NamedTensor[] = model.tensors.map((t) => ({
    name: t.name, shape: t.shape, data: Float32Array.from(model.params.subarray(t.offset, t.offset + t.size)),
  }));
  return [
    { name: MODEL_FILE, bytes: writeSafetensors(tensors, { format: 'pt' }) },
    { name: CONFIG_FILE, bytes: `${JSON.stringify(toDenoiserHfConfig(model.config), null, 2)}\n` },
  ];
}

export async function saveDenoiser(dir: string, model: Denoiser): Promise<void> {
  await writeRepoFiles(dir, denoiserFiles(model));
}

export async function loadDenoiser(dir: string): Promise<Denoiser> {
  const config = await readDenoiserConfig(dir);
  const { tensors } = readSafetensors(await readFile(join(dir, MODEL_FILE)));
  const model = new Denoiser(config);
  for (const spec of model.tensors) {
    const found = tensors.get(spec.name);
    if (!found) throw new Error(`${MODEL_FILE}: missing tensor ${spec.name}`);
    if (found.shape.join(',') !== spec.shape.join(',')) {
      throw new Error(`${MODEL_FILE}: ${spec.name} has shape [${found.shape}], config needs [${spec.shape}]`);
    }
    model.params.set(found.data, spec.offset);
  }
  return model;
}

const tensorName = (module: string, ab: 'A' | 'B'): string => `base_model.model.${module}.lora_${ab}.weight`;

export function denoiserAdapterFiles(adapter: DenoiserLora, baseModel: string): RepoFile[] {
  const r = adapter.config.rank;
  const tensors: NamedTensor[] = [];
  for (const [m, s] of adapter.slots) {
    const a = new Float32Array(r * s.inDim);
    for (let i = 0; i < s.inDim; i++) for (let j = 0; j < r; j++) a[j * s.inDim + i] = adapter.params[s.aOff + i * r + j]!;
    const b = new Float32Array(s.outDim * r);
    for (let j = 0; j < r; j++) for (let o = 0; o < s.outDim; o++) b[o * r + j] = adapter.params[s.bOff + j * s.outDim + o]!;
    tensors.push({ name: tensorName(m, 'A'), shape: [r, s.inDim], data: a }, { name: tensorName(m, 'B'), shape: [s.outDim, r], data: b });
  }
  const config = {
    peft_type: 'LORA', task_type: null, base_model_name_or_path: baseModel, r, lora_alpha: adapter.config.alpha,
    lora_dropout: 0, target_modules: adapter.config.targets, fan_in_fan_out: true, bias: 'none', inference_mode: true,
  };
  return [
    { name: ADAPTER_FILE, bytes: writeSafetensors(tensors, { format: 'pt' }) },
    { name: ADAPTER_CONFIG_FILE, bytes: `${JSON.stringify(config, null, 2)}\n` },
  ];
}

export async function saveDenoiserAdapter(dir: string, adapter: DenoiserLora, baseModel: string): Promise<void> {
  await writeRepoFiles(dir, denoiserAdapterFiles(adapter, baseModel));
}

const AdapterConfigSchema = z.looseObject({
  peft_type: z.literal('LORA'),
  base_model_name_or_path: z.string().nullable().optional(),
  r: z.number().int().positive(),
  lora_alpha: z.number().positive(),
  target_modules: z.union([z.array(z.string()).min(1), z.string()]),
});

export async function loadDenoiserAdapter(dir: string, base: DenoiserConfig): Promise<{ adapter: DenoiserLora; baseModel: string | null }> {
  const parsed = AdapterConfigSchema.safeParse(JSON.parse(await readFile(join(dir, ADAPTER_CONFIG_FILE), 'utf8')));
  if (!parsed.success) throw new Error(issueText(parsed.error, ADAPTER_CONFIG_FILE));
  const c = parsed.data;
  const targets = resolveDenoiserTargets(typeof c.target_modules === 'string' ? [c.target_modules] : c.target_modules);
  const lc = { rank: c.r, alpha: c.lora_alpha, targets };
  const adapter = wrapDenoiserLora(base, lc, new Float32Array(denoiserLoraLayout(base, lc).size));
  const { tensors } = readSafetensors(await readFile(join(dir, ADAPTER_FILE)));
  const r = c.r;
  for (const [m, s] of adapter.slots) {
    const a = tensors.get(tensorName(m, 'A')), b = tensors.get(tensorName(m, 'B'));
    if (!a || !b) throw new Error(`${ADAPTER_FILE}: missing lora tensors for ${m}`);
    if (a.shape.join(',') !== `${r},${s.inDim}` || b.shape.join(',') !== `${s.outDim},${r}`) {
      throw new Error(`${ADAPTER_FILE}: ${m} has shapes [${a.shape}] and [${b.shape}], expected [${r},${s.inDim}] and [${s.outDim},${r}]`);
    }
    for (let i = 0; i < s.inDim; i++) for (let j = 0; j < r; j++) adapter.params[s.aOff + i * r + j] = a.data[j * s.inDim + i]!;
    for (let j = 0; j < r; j++) for (let o = 0; o < s.outDim; o++) adapter.params[s.bOff + j * s.outDim + o] = b.data[o * r + j]!;
  }
  return { adapter, baseModel: c.base_model_name_or_path ?? null };
}
