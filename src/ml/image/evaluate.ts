// The image evaluator, mirroring production's diffusion evaluation (evaluation.md §8): each test image is noised
// to the img2img strength (`denoise`), denoised back in `steps` deterministic (DDIM) steps by base + LoRA, once
// with its caption and once with an empty caption, for each fixed seed; the per-image loss is the mean over
// seeds of mean(((a − b)/255)²) on 8-bit pixels. The result entry is production's
// `{eval_loss: {text_guided_losses: [...], no_text_losses: [...]}}`; the host's final number is
// 0.25·mean(text_guided) + 0.75·mean(no_text) (`imageLoss`).
import { defaultRules } from '../../core/rules/index.ts';
import { isAdapterRepo } from '../hub-format.ts';
import { Rng } from '../rng.ts';
import type { Denoiser, DenoiserLora } from './denoiser.ts';
import { alphaOf, denoiserLayout, pixelsOf, sigmaOf, toPixels, toUnit } from './denoiser.ts';
import { loadDenoiser, loadDenoiserAdapter } from './format.ts';
import type { RgbImage } from './png.ts';
import { resizeSquare } from './png.ts';

/**
 * HEAD's evaluation seeds (evaluation.md §8.3: Python's Mersenne Twister seeded with 42, randint(0, 2³²−1));
 * hard-coded as the spec says. They seed our own noise generator, so only their role is production's.
 */
export const DIFFUSION_EVAL_SEEDS: readonly number[] = [
  2746317213, 1181241943, 958682846, 3163119785, 1812140441, 127978094, 939042955, 2340505846, 946785248, 2530876844,
];

export interface Img2ImgOptions {
  /** img2img strength: the noise level the image is pushed to (production SDXL: 0.9) */
  denoise: number;
  /** denoising steps from that level to 0 (production SDXL: 20) */
  steps: number;
  /** classifier-free guidance scale on the x0 prediction; 1 = none (see docs/ml-engine.md) */
  cfg: number;
  seeds: readonly number[];
}

export const DEFAULT_IMG2IMG: Img2ImgOptions = {
  denoise: defaultRules.evaluation.sdxlDenoise,
  steps: defaultRules.evaluation.sdxlSteps,
  cfg: 1,
  seeds: DIFFUSION_EVAL_SEEDS,
};

/** Reconstructs a batch of images (each (D) in [−1, 1]) for one seed; returns 8-bit pixels per image. */
export function img2img(
  model: Denoiser, lora: DenoiserLora | null, images: Float32Array, captions: readonly string[], seed: number,
  opts: Pick<Img2ImgOptions, 'denoise' | 'steps' | 'cfg'>,
): Uint8Array[] {
  const d = pixelsOf(model.config);
  const n = captions.length;
  const rng = new Rng(seed);
  const x = model.alloc(n * d);
  const a0 = alphaOf(opts.denoise), s0 = sigmaOf(opts.denoise);
  for (let i = 0; i < n * d; i++) x[i] = a0 * images[i]! + s0 * rng.normal();
  const t = new Float64Array(n);
  const empty = captions.map(() => '');
  const guided = opts.cfg !== 1 && captions.some((c) => c !== '');
  const x0hat = model.alloc(n * d);
  for (let k = 0; k < opts.steps; k++) {
    const tk = opts.denoise * (1 - k / opts.steps);
    const tn = opts.denoise * (1 - (k + 1) / opts.steps);
    t.fill(tk);
    model.forward({ n, xt: x, t, captions }, lora);
    x0hat.set(model.output().subarray(0, n * d));
    if (guided) {
      model.forward({ n, xt: x, t, captions: empty }, lora);
      const u = model.output();
      for (let i = 0; i < n * d; i++) x0hat[i] = u[i]! + opts.cfg * (x0hat[i]! - u[i]!);
    }
    const at = alphaOf(tk), st = sigmaOf(tk), an = alphaOf(tn), sn = sigmaOf(tn);
    for (let i = 0; i < n * d; i++) {
      const eps = st > 1e-8 ? (x[i]! - at * x0hat[i]!) / st : 0;
      x[i] = an * x0hat[i]! + sn * eps;
    }
  }
  return captions.map((_, i) => toPixels(x, i * d, d));
}

/** Production's L2: mean over pixels and channels of ((a − b)/255)². */
export function pixelL2(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error(`image sizes differ (${a.length} vs ${b.length} values)`);
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const e = (a[i]! - b[i]!) / 255;
    s += e * e;
  }
  return s / a.length;
}

export interface DiffusionLosses {
  text_guided_losses: number[];
  no_text_losses: number[];
}

export interface TestImage {
  image: RgbImage;
  /** null when the pair has no caption file (production then sends None and the run most likely fails) */
  caption: string | null;
}

/** Per-image text-guided and no-text losses (each the mean over seeds). */
export function diffusionLosses(
  model: Denoiser, lora: DenoiserLora | null, tests: readonly TestImage[], opts: Img2ImgOptions = DEFAULT_IMG2IMG,
): DiffusionLosses {
  const size = model.config.imageSize;
  const d = pixelsOf(model.config);
  if (tests.some((t) => t.caption === null)) throw new Error('a test image has no caption file');
  const originals = tests.map((t) => (t.image.width === size && t.image.height === size ? t.image : resizeSquare(t.image, size)).data);
  const unit = new Float32Array(tests.length * d);
  originals.forEach((px, i) => toUnit(px, unit, i * d));
  const captions = tests.map((t) => t.caption!);
  const tg = new Float64Array(tests.length), nt = new Float64Array(tests.length);
  for (const seed of opts.seeds) {
    const withText = img2img(model, lora, unit, captions, seed, opts);
    const noText = img2img(model, lora, unit, captions.map(() => ''), seed, opts);
    for (let i = 0; i < tests.length; i++) {
      tg[i] = tg[i]! + pixelL2(originals[i]!, withText[i]!) / opts.seeds.length;
      nt[i] = nt[i]! + pixelL2(originals[i]!, noText[i]!) / opts.seeds.length;
    }
  }
  return { text_guided_losses: [...tg], no_text_losses: [...nt] };
}

/** The host's image loss: w·mean(text_guided) + (1 − w)·mean(no_text), w = DIFFUSION_TEXT_GUIDED_EVAL_WEIGHT. */
export function imageLoss(l: DiffusionLosses, textWeight = defaultRules.scoring.diffusionTextGuidedEvalWeight): number {
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  return textWeight * mean(l.text_guided_losses) + (1 - textWeight) * mean(l.no_text_losses);
}

export type ImageEvaluationResults = { model_params_count: number } & Record<string, { eval_loss: DiffusionLosses } | string | number>;

/**
 * Evaluates LoRA repos on the base denoiser. A repo must be a LoRA adapter (production loads only LoRA files);
 * failures become the error text.
 */
export async function evaluateImageRepos(
  baseDir: string, repos: readonly { id: string; dir: string }[], tests: readonly TestImage[], opts: Img2ImgOptions = DEFAULT_IMG2IMG,
): Promise<ImageEvaluationResults> {
  const base = await loadDenoiser(baseDir);
  const results: ImageEvaluationResults = { model_params_count: denoiserLayout(base.config).size };
  for (const repo of repos) {
    try {
      if (!(await isAdapterRepo(repo.dir))) throw new Error(`${repo.id}: no LoRA adapter (adapter_config.json) in the repository`);
      const { adapter } = await loadDenoiserAdapter(repo.dir, base.config);
      results[repo.id] = { eval_loss: diffusionLosses(base, adapter, tests, opts) };
    } catch (err) {
      results[repo.id] = err instanceof Error ? err.message : String(err);
    }
  }
  return results;
}
