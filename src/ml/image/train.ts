// Training the denoiser on (image, caption) pairs: draw a noise level t ~ U(0, 1) and Gaussian noise per image,
// predict x0 from x_t, minimise the pixel MSE. Captions are dropped (replaced by "") at `captionDropout`, so
// the same weights serve the text-guided and the no-text reconstructions the evaluator measures. Full training
// or LoRA over a frozen base; AdamW, warm-up + cosine, clipping, seeded.
import { Rng } from '../rng.ts';
import { BatchSampler, trainableSetup } from '../train-loop.ts';
import type { Denoiser, DenoiserLora, DenoiserLoraConfig } from './denoiser.ts';
import { alphaOf, createDenoiserLora, pixelsOf, sigmaOf, toUnit } from './denoiser.ts';
import type { RgbImage } from './png.ts';
import { resizeSquare } from './png.ts';

export interface CaptionPair {
  image: RgbImage;
  caption: string;
}

/** Pairs at the model's resolution in [−1, 1]. */
export interface PreparedPairs {
  d: number;
  pixels: Float32Array;
  captions: string[];
}

export function preparePairs(pairs: readonly CaptionPair[], imageSize: number): PreparedPairs {
  const d = 3 * imageSize * imageSize;
  const pixels = new Float32Array(pairs.length * d);
  pairs.forEach((p, i) => {
    const img = p.image.width === imageSize && p.image.height === imageSize ? p.image : resizeSquare(p.image, imageSize);
    toUnit(img.data, pixels, i * d);
  });
  return { d, pixels, captions: pairs.map((p) => p.caption) };
}

export interface DenoiserTrainOptions {
  steps: number;
  batchSize: number;
  lr: number;
  warmupSteps: number;
  minLrRatio: number;
  weightDecay: number;
  gradClip: number;
  captionDropout: number;
  seed: number;
  /** null: train every weight */
  lora: DenoiserLoraConfig | null;
  adapter?: DenoiserLora;
  /** return false to stop early (deadline, cancellation) */
  onStep?: (info: { step: number; loss: number; lr: number; images: number; elapsedMs: number }) => boolean | void;
}

export const DEFAULT_DENOISER_TRAIN: Omit<DenoiserTrainOptions, 'steps' | 'seed'> = {
  batchSize: 32, lr: 2e-3, warmupSteps: 20, minLrRatio: 0.1, weightDecay: 0.01, gradClip: 1, captionDropout: 0.25, lora: null,
};

export function trainDenoiser(
  model: Denoiser, data: PreparedPairs, opts: DenoiserTrainOptions,
): { adapter: DenoiserLora | null; losses: number[]; steps: number } {
  const count = data.captions.length;
  if (count === 0) throw new Error('no training images');
  const d = pixelsOf(model.config);
  if (data.d !== d) throw new Error(`images have ${data.d} values, the model expects ${d}`);
  const rng = new Rng(opts.seed);
  const adapter = opts.adapter ?? (opts.lora ? createDenoiserLora(model.config, opts.lora, rng.nextU32()) : null);
  const trainer = trainableSetup(model, adapter, opts);
  const b = opts.batchSize;
  const xt = model.alloc(b * d), x0 = model.alloc(b * d);
  const t = new Float64Array(b);
  const sampler = new BatchSampler(rng, count);
  const losses: number[] = [];
  const start = performance.now();
  let step = 0;
  for (; step < opts.steps; step++) {
    const captions: string[] = [];
    for (let i = 0; i < b; i++) {
      // one index at a time: the noise draws for this image come before the next index's (re)shuffle
      const k = sampler.nextIndex();
      const level = rng.next();
      const a = alphaOf(level), s = sigmaOf(level);
      t[i] = level;
      for (let j = 0; j < d; j++) {
        const clean = data.pixels[k * d + j]!;
        x0[i * d + j] = clean;
        xt[i * d + j] = a * clean + s * rng.normal();
      }
      captions.push(rng.next() < opts.captionDropout ? '' : data.captions[k]!);
    }
    const loss = model.forward({ n: b, xt, t, captions, x0 }, adapter);
    const { lr } = trainer.backwardAndUpdate(step);
    losses.push(loss);
    const go = opts.onStep?.({ step, loss, lr, images: (step + 1) * b, elapsedMs: performance.now() - start });
    if (go === false) {
      step++;
      break;
    }
  }
  return { adapter, losses, steps: step };
}
