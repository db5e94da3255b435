// The caption-conditioned denoiser: gradients against finite differences, learning, LoRA, files, and the
// production-shaped diffusion evaluation.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../rng.ts';
import { COLOURS, POSITIONS, SHAPES, shapeImages } from './shapes.ts';
import {
  Denoiser, captionBuckets, createDenoiserLora, denoiserConfig, pixelsOf, resolveDenoiserTargets,
} from './denoiser.ts';
import type { DenoiseBatch, DenoiserLora } from './denoiser.ts';
import { DEFAULT_DENOISER_TRAIN, preparePairs, trainDenoiser } from './train.ts';
import { diffusionLosses, evaluateImageRepos, imageLoss, pixelL2 } from './evaluate.ts';
import { loadDenoiser, loadDenoiserAdapter, saveDenoiser, saveDenoiserAdapter } from './format.ts';

function randomBatch(model: Denoiser, n: number, seed: number): DenoiseBatch {
  const rng = new Rng(seed);
  const d = pixelsOf(model.config);
  const xt = model.alloc(n * d), x0 = model.alloc(n * d);
  for (let i = 0; i < n * d; i++) {
    xt[i] = rng.normal();
    x0[i] = rng.normal() * 0.5;
  }
  return { n, xt, x0, t: Float64Array.from({ length: n }, () => rng.next()), captions: ['a red circle', '', 'top left'].slice(0, n) };
}

function checkGrad(params: Float64Array, grads: Float64Array, loss: () => number, picks: number[]): number {
  let worst = 0;
  for (const i of picks) {
    const old = params[i]!;
    const h = 1e-6;
    params[i] = old + h;
    const up = loss();
    params[i] = old - h;
    const down = loss();
    params[i] = old;
    const fd = (up - down) / (2 * h);
    worst = Math.max(worst, Math.abs(fd - grads[i]!) / Math.max(1e-6, Math.abs(fd) + Math.abs(grads[i]!)));
  }
  return worst;
}

describe('denoiser', () => {
  const cfg = denoiserConfig({ imageSize: 4, hidden: 8, captionBuckets: 16, timeFeatures: 4 });

  it('gradients of every tensor match finite differences (float64), full and LoRA', () => {
    const model = Denoiser.init(cfg, 1, 'float64');
    // nonzero biases so every path is exercised
    const rng = new Rng(5);
    for (const t of model.tensors) if (t.name.endsWith('.bias')) for (let i = 0; i < t.size; i++) model.params[t.offset + i] = rng.normal() * 0.1;
    const batch = randomBatch(model, 3, 2);
    model.forward(batch);
    model.zeroGrad();
    model.backward();
    const picks: number[] = [];
    for (const t of model.tensors) for (let k = 0; k < 4; k++) picks.push(t.offset + rng.int(t.size));
    // caption rows that the batch uses
    const emb = model.offset('caption_proj.weight');
    for (const b of [0, ...captionBuckets('a red circle', 16)]) picks.push(emb + b * 8 + 3);
    expect(checkGrad(model.params as Float64Array, model.grads as Float64Array, () => model.forward(batch), picks)).toBeLessThan(1e-5);

    const lora = createDenoiserLora(cfg, { rank: 2, alpha: 4, targets: resolveDenoiserTargets(['all']) }, 3);
    const lora64: DenoiserLora = { ...lora, params: Float64Array.from(lora.params, () => rng.normal() * 0.3), grads: new Float64Array(lora.params.length) };
    model.grads!.fill(0);
    model.forward(batch, lora64);
    model.backward({ trainBase: false });
    expect([...model.grads!].every((g) => g === 0)).toBe(true);
    const lpicks = Array.from({ length: 20 }, () => rng.int(lora64.params.length));
    expect(checkGrad(lora64.params as Float64Array, lora64.grads as Float64Array, () => model.forward(batch, lora64), lpicks)).toBeLessThan(1e-5);
  });

  it('the shapes vocabulary hashes to distinct caption buckets', () => {
    const words = new Set(['a', 'at', 'the', 'in', 'small', 'large', ...SHAPES, ...Object.keys(COLOURS),
      ...Object.keys(POSITIONS).flatMap((p) => p.split(' '))]);
    const buckets = new Set([...words].map((w) => captionBuckets(w, 1024)[0]));
    expect(buckets.size).toBe(words.size);
  });
});

describe('denoiser training and the diffusion evaluation', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'god-ml-image-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('pre-training on short captions, then a LoRA on full captions lowers the production image loss; files round-trip', async () => {
    const size = 16;
    const cfg = denoiserConfig({ imageSize: size, hidden: 96, captionBuckets: 1024, timeFeatures: 16 });
    const base = Denoiser.init(cfg, 7);
    const pre = shapeImages({ seed: 1, count: 400, size, detail: 'short', background: 'dark' });
    const t0 = trainDenoiser(base, preparePairs(pre, size), { ...DEFAULT_DENOISER_TRAIN, steps: 150, seed: 1, lr: 3e-3 });
    expect(t0.losses.at(-1)!).toBeLessThan(t0.losses[0]! * 0.5);
    await saveDenoiser(join(dir, 'base'), base);

    const train = shapeImages({ seed: 2, count: 400, size });
    const test = shapeImages({ seed: 3, count: 12, size }).map((s) => ({ image: s.image, caption: s.caption }));
    const evalOpts = { denoise: 0.9, steps: 6, cfg: 1, seeds: [2746317213, 1181241943] };
    const before = diffusionLosses(base, null, test, evalOpts);
    const { adapter } = trainDenoiser(base, preparePairs(train, size), {
      ...DEFAULT_DENOISER_TRAIN, steps: 150, seed: 4, lr: 3e-3, lora: { rank: 8, alpha: 16, targets: resolveDenoiserTargets(['all']) },
    });
    const after = diffusionLosses(base, adapter, test, evalOpts);
    expect(after.text_guided_losses).toHaveLength(12);
    expect(imageLoss(after)).toBeLessThan(imageLoss(before) * 0.9);
    // same seeds → same numbers
    expect(diffusionLosses(base, adapter, test, evalOpts)).toEqual(after);

    await saveDenoiserAdapter(join(dir, 'lora'), adapter!, 'god-local/base');
    const loaded = await loadDenoiserAdapter(join(dir, 'lora'), cfg);
    expect(loaded.baseModel).toBe('god-local/base');
    expect([...loaded.adapter.params]).toEqual([...adapter!.params]);
    const reloaded = await loadDenoiser(join(dir, 'base'));
    expect([...reloaded.params]).toEqual([...base.params]);
    const results = await evaluateImageRepos(join(dir, 'base'), [
      { id: 'alice/lora', dir: join(dir, 'lora') }, { id: 'bob/full', dir: join(dir, 'base') },
    ], test.slice(0, 3), evalOpts);
    expect(results.model_params_count).toBe(base.params.length);
    const entry = results['alice/lora'] as { eval_loss: { text_guided_losses: number[]; no_text_losses: number[] } };
    expect(entry.eval_loss.no_text_losses).toHaveLength(3);
    expect(entry.eval_loss.text_guided_losses[0]).toBeCloseTo(after.text_guided_losses[0]!, 6);
    expect(results['bob/full']).toMatch(/no LoRA adapter/);
    expect(pixelL2(Uint8Array.of(0, 255), Uint8Array.of(255, 255))).toBeCloseTo(0.5, 12);
  }, 60_000);
});
