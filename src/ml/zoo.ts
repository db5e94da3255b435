// The base-model zoo: small models pre-trained here, deterministically, from the built-in corpora, cached under
// `$GOD_HOME/models/<owner>/<name>` in the Hugging Face repository layout (config.json + model.safetensors).
// A cached model is reused when its `god_build.json` records the same recipe; otherwise it is rebuilt. Builds
// write to a temporary folder and rename it into place, so a crash or a concurrent build never leaves half a model.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { gptConfig } from './config.ts';
import type { GptConfig } from './config.ts';
import { pretrainCorpus } from './data/corpus.ts';
import { Gpt, modelParamsCount } from './gpt.ts';
import { saveModel } from './hub-format.ts';
import { Denoiser, denoiserConfig, denoiserLayout } from './image/denoiser.ts';
import type { DenoiserConfig } from './image/denoiser.ts';
import { saveDenoiser } from './image/format.ts';
import { shapeImages } from './image/shapes.ts';
import { DEFAULT_DENOISER_TRAIN, preparePairs, trainDenoiser } from './image/train.ts';
import { DEFAULT_SFT, trainSft } from './sft.ts';

export const BUILD_MANIFEST = 'god_build.json';

interface TextRecipe {
  kind: 'gpt';
  config: GptConfig;
  seed: number;
  steps: number;
  batchSize: number;
  seqTokens: number;
  lr: number;
}

interface ImageRecipe {
  kind: 'denoiser';
  config: DenoiserConfig;
  seed: number;
  steps: number;
  batchSize: number;
  images: number;
  lr: number;
}

export interface ZooEntry {
  id: string;
  description: string;
  recipe: TextRecipe | ImageRecipe;
}

export const ZOO: readonly ZooEntry[] = [
  {
    id: 'god-local/tinygpt-tiny',
    description: 'byte-level GPT-2, width 32, depth 2, context 64 (tests; builds in seconds)',
    recipe: { kind: 'gpt', config: gptConfig({ contextLength: 64, width: 32, depth: 2, heads: 4 }), seed: 1, steps: 120, batchSize: 16, seqTokens: 56, lr: 5e-3 },
  },
  {
    id: 'god-local/tinygpt-1m',
    description: 'byte-level GPT-2, width 128, depth 5, 4 heads, context 128 (1.04M parameters)',
    recipe: { kind: 'gpt', config: gptConfig({ contextLength: 128, width: 128, depth: 5, heads: 4 }), seed: 1, steps: 200, batchSize: 8, seqTokens: 64, lr: 2e-3 },
  },
  {
    id: 'god-local/tinydiff-tiny',
    description: 'caption-conditioned denoiser, 16×16 RGB, hidden 64 (tests; builds in seconds)',
    recipe: { kind: 'denoiser', config: denoiserConfig({ imageSize: 16, hidden: 64, captionBuckets: 1024, timeFeatures: 16 }), seed: 1, steps: 80, batchSize: 32, images: 400, lr: 3e-3 },
  },
  {
    id: 'god-local/tinydiff-32',
    description: 'caption-conditioned denoiser, 32×32 RGB, hidden 256',
    recipe: { kind: 'denoiser', config: denoiserConfig({ imageSize: 32, hidden: 256, captionBuckets: 1024, timeFeatures: 32 }), seed: 1, steps: 250, batchSize: 32, images: 576, lr: 2e-3 },
  },
];

export function zooEntry(id: string): ZooEntry {
  const e = ZOO.find((z) => z.id === id);
  if (!e) throw new Error(`unknown base model "${id}" (known: ${ZOO.map((z) => z.id).join(', ')})`);
  return e;
}

export function isZooModel(id: string): boolean {
  return ZOO.some((z) => z.id === id);
}

export function paramsOf(entry: ZooEntry): number {
  return entry.recipe.kind === 'gpt' ? modelParamsCount(entry.recipe.config) : denoiserLayout(entry.recipe.config).size;
}

/** The recipe hash: a change to any build input invalidates the cache. */
export function recipeHash(entry: ZooEntry): string {
  return createHash('sha256').update(JSON.stringify({ v: 1, id: entry.id, recipe: entry.recipe })).digest('hex');
}

/** `$GOD_HOME` as the CLI resolves it (default ./.god). */
export function defaultHome(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.GOD_HOME || '.god');
}

export function modelsDir(home: string): string {
  return join(home, 'models');
}

export function modelDir(home: string, id: string): string {
  const [owner, name, ...rest] = id.split('/');
  if (!owner || !name || rest.length > 0 || !/^[\w.-]+$/.test(owner) || !/^[\w.-]+$/.test(name)) throw new Error(`model id must be owner/name, got "${id}"`);
  return join(modelsDir(home), owner, name);
}

export interface BuildProgress {
  model: string;
  step: number;
  totalSteps: number;
  loss: number;
  elapsedSeconds: number;
  etaSeconds: number;
}

export interface EnsureOptions {
  home?: string;
  onProgress?: (p: BuildProgress) => void;
  /** rebuild even when cached */
  force?: boolean;
}

async function cachedHash(dir: string): Promise<string | null> {
  try {
    const m = JSON.parse(await readFile(join(dir, BUILD_MANIFEST), 'utf8')) as { recipe_sha256?: unknown };
    return typeof m.recipe_sha256 === 'string' ? m.recipe_sha256 : null;
  } catch (_err) {
    return null;
  }
}

export async function isCached(id: string, home: string = defaultHome()): Promise<boolean> {
  return (await cachedHash(modelDir(home, id))) === recipeHash(zooEntry(id));
}

async function train(entry: ZooEntry, dir: string, onProgress?: (p: BuildProgress) => void): Promise<number> {
  const start = performance.now();
  const report = (step: number, total: number, loss: number): void => {
    if (!onProgress) return;
    const elapsed = (performance.now() - start) / 1000;
    onProgress({ model: entry.id, step: step + 1, totalSteps: total, loss, elapsedSeconds: elapsed, etaSeconds: (elapsed / (step + 1)) * (total - step - 1) });
  };
  const r = entry.recipe;
  if (r.kind === 'gpt') {
    const model = Gpt.init(r.config, r.seed);
    const corpus = pretrainCorpus(r.seed, Math.max(256, r.steps * r.batchSize), r.seqTokens);
    const res = trainSft(model, corpus, {
      ...DEFAULT_SFT, steps: r.steps, batchSize: r.batchSize, lr: r.lr, warmupSteps: Math.ceil(r.steps / 20), seed: r.seed,
      onStep: (s) => report(s.step, r.steps, s.loss),
    });
    await saveModel(dir, model);
    return res.losses.at(-1) ?? Number.NaN;
  }
  const model = Denoiser.init(r.config, r.seed);
  const images = shapeImages({ seed: r.seed, count: r.images, size: r.config.imageSize, detail: 'short', background: 'dark' });
  const res = trainDenoiser(model, preparePairs(images, r.config.imageSize), {
    ...DEFAULT_DENOISER_TRAIN, steps: r.steps, batchSize: r.batchSize, lr: r.lr, seed: r.seed,
    onStep: (s) => report(s.step, r.steps, s.loss),
  });
  await saveDenoiser(dir, model);
  return res.losses.at(-1) ?? Number.NaN;
}

/**
 * The directory of a zoo model, building it first when it is not cached (or `force`). Safe to call from several
 * processes at once: each builds into its own temporary folder and the first rename wins.
 */
export async function ensureBaseModel(id: string, opts: EnsureOptions = {}): Promise<string> {
  const entry = zooEntry(id);
  const home = opts.home ?? defaultHome();
  const dir = modelDir(home, id);
  const want = recipeHash(entry);
  if (!opts.force && (await cachedHash(dir)) === want) return dir;
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(tmp, { recursive: true });
  try {
    const start = performance.now();
    const finalLoss = await train(entry, tmp, opts.onProgress);
    const manifest = {
      id, recipe_sha256: want, recipe: entry.recipe, params: paramsOf(entry), final_loss: finalLoss,
      build_seconds: Math.round((performance.now() - start) / 100) / 10, built_at: new Date().toISOString(),
    };
    await writeFile(join(tmp, BUILD_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    await writeFile(join(tmp, 'README.md'), `# ${id}\n\n${entry.description}\n\nBuilt by \`god models build\` from the built-in corpus (deterministic for the recipe in ${BUILD_MANIFEST}).\n`);
    if (await stat(dir).then(() => true, () => false)) {
      if (!opts.force && (await cachedHash(dir)) === want) return dir; // a concurrent build finished first
      await rm(dir, { recursive: true, force: true });
    }
    await mkdir(join(dir, '..'), { recursive: true });
    try {
      await rename(tmp, dir);
    } catch (err) {
      if ((await cachedHash(dir)) !== want) throw err;
    }
    return dir;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

export interface ZooStatus {
  id: string;
  kind: 'gpt' | 'denoiser';
  params: number;
  description: string;
  cached: boolean;
  dir: string;
}

export async function listBaseModels(home: string = defaultHome()): Promise<ZooStatus[]> {
  return Promise.all(ZOO.map(async (e) => ({
    id: e.id, kind: e.recipe.kind, params: paramsOf(e), description: e.description,
    cached: (await cachedHash(modelDir(home, e.id))) === recipeHash(e), dir: modelDir(home, e.id),
  })));
}

/**
 * Where a model reference lives: a zoo id (built on demand), an existing directory, or a repo already cached
 * under `$GOD_HOME/models/<owner>/<name>`.
 */
export async function resolveModelDir(ref: string, opts: EnsureOptions = {}): Promise<string> {
  if (isZooModel(ref)) return ensureBaseModel(ref, opts);
  const isDir = async (p: string): Promise<boolean> => stat(p).then((s) => s.isDirectory(), () => false);
  if (await isDir(ref)) return resolve(ref);
  const home = opts.home ?? defaultHome();
  if (/^[\w.-]+\/[\w.-]+$/.test(ref) && (await isDir(modelDir(home, ref)))) return modelDir(home, ref);
  throw new Error(`model "${ref}" is neither a built-in base model, a directory, nor cached under ${modelsDir(home)}`);
}
