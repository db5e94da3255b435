/**
 * `npm run bench -- ml [--seconds S] [--batch B] [--seq T] [--no-numpy]`
 *
 * The built-in CPU engine on the ~1M-parameter GPT (width 128, depth 5, 4 heads, context 128):
 * 1. training tokens/s: full fine-tuning steps (forward + backward + clipping + AdamW) and LoRA steps;
 * 2. evaluation tokens/s: the forward pass with loss (what the evaluator runs);
 * 3. the same forward pass with 1 thread, and with the plain-JS kernel instead of WASM SIMD;
 * 4. the numpy (OpenBLAS) implementation of the same model, reading the same safetensors, on the same batch:
 *    ratio = our forward time / numpy's, and the two losses side by side.
 * 5. the image denoiser at the `god-local/tinydiff-32` size (32×32 RGB, hidden 256): training images/s (full,
 *    LoRA) and the evaluator's cost per test image (HEAD's 10 seeds × {caption, empty} × 20 img2img steps);
 *    `--no-image` skips it.
 * Wall-clock rates are primary; CPU-time rates are printed too because the machine is shared.
 * Ends with one summary line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { gptConfig } from '../../src/ml/config.ts';
import { Gpt, modelParamsCount } from '../../src/ml/gpt.ts';
import type { Batch } from '../../src/ml/gpt.ts';
import { saveModel } from '../../src/ml/hub-format.ts';
import { kernelInfo, setSimd, setThreads } from '../../src/ml/kernels/matmul.ts';
import { createLora, resolveLoraTargets } from '../../src/ml/lora.ts';
import { AdamW, clipGradNorm } from '../../src/ml/optim.ts';
import { numpyBench, numpyUnavailableReason } from '../../src/ml/reference/numpy-ref.ts';
import { Rng } from '../../src/ml/rng.ts';
import { Denoiser, createDenoiserLora, denoiserConfig, pixelsOf, resolveDenoiserTargets } from '../../src/ml/image/denoiser.ts';
import { DEFAULT_IMG2IMG, diffusionLosses } from '../../src/ml/image/evaluate.ts';
import { shapeImages } from '../../src/ml/image/shapes.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

const SECONDS = arg('seconds', 6);
const B = arg('batch', 8);
const T = arg('seq', 128);
const withNumpy = !process.argv.includes('--no-numpy');
const withImage = !process.argv.includes('--no-image');

const cfg = gptConfig({ width: 128, depth: 5, heads: 4, contextLength: T });
const params = modelParamsCount(cfg);
const model = Gpt.init(cfg, 1);
const rng = new Rng(2);
const n = B * T;
const batch: Batch = {
  b: B, t: T,
  tokens: Int32Array.from({ length: n }, () => rng.int(256)),
  targets: Int32Array.from({ length: n }, () => rng.int(256)),
  weights: new Float32Array(n).fill(1 / n),
};

interface Rate { wall: number; cpu: number; steps: number }

/** Tokens per second over at least `seconds` of repeated `step`, after two warm-up steps. */
function rate(step: () => void, seconds: number): Rate {
  step();
  step();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let steps = 0;
  while (performance.now() - t0 < seconds * 1000) {
    step();
    steps++;
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  return { wall: (steps * n) / wall, cpu: (steps * n) / ((cpu.user + cpu.system) / 1e6), steps };
}

const fmt = (r: Rate): string => `${r.wall.toFixed(0).padStart(6)} tokens/s wall  (${r.cpu.toFixed(0)} per CPU-second, ${r.steps} steps)`;

const decayMask = new Uint8Array(model.params.length);
for (const t of model.tensors) if (t.decay) decayMask.fill(1, t.offset, t.offset + t.size);
const adam = new AdamW(model.params.length, { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 }, decayMask);
const fullStep = (): void => {
  model.forward(batch);
  model.zeroGrad();
  model.backward({ trainBase: true });
  clipGradNorm(model.grads!, 1);
  adam.update(model.params, model.grads!, 1e-4);
};
const lora = createLora(cfg, { rank: 8, alpha: 16, targets: resolveLoraTargets(['all']) }, 3);
lora.grads = new Float32Array(lora.params.length);
const loraAdam = new AdamW(lora.params.length, { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 });
const loraStep = (): void => {
  model.forward(batch, lora);
  lora.grads!.fill(0);
  model.backward({ trainBase: false });
  clipGradNorm(lora.grads!, 1);
  loraAdam.update(lora.params, lora.grads!, 1e-4);
};
let evalLoss = 0;
const evalStep = (): void => {
  evalLoss = model.forward(batch);
};

console.log(`model: ${params} parameters (width ${cfg.width}, depth ${cfg.depth}, heads ${cfg.heads}), batch ${B}×${T} = ${n} tokens`);
console.log(`kernel: ${kernelInfo()}`);
const train = rate(fullStep, SECONDS);
console.log(`train (full fine-tune):  ${fmt(train)}`);
const trainLora = rate(loraStep, SECONDS);
console.log(`train (LoRA r=8, all):   ${fmt(trainLora)}`);
const evalRate = rate(evalStep, SECONDS);
console.log(`eval forward + loss:     ${fmt(evalRate)}`);
setThreads(1);
console.log(`kernel: ${kernelInfo()}`);
const train1 = rate(fullStep, SECONDS / 2);
console.log(`train (full), 1 thread:  ${fmt(train1)}`);
const eval1 = rate(evalStep, SECONDS / 2);
console.log(`eval, 1 thread:          ${fmt(eval1)}`);
setSimd(false);
console.log(`kernel: ${kernelInfo()}`);
const evalJs = rate(evalStep, SECONDS / 2);
console.log(`eval, plain JS kernel:   ${fmt(evalJs)}`);
setSimd(true);
setThreads(2);

let numpyLine = 'numpy: not run';
let ratio = NaN;
if (withNumpy) {
  const missing = numpyUnavailableReason();
  if (missing) {
    numpyLine = `numpy: NOT RUN (${missing})`;
    console.log(`*** ${numpyLine} ***`);
  } else {
    const dir = mkdtempSync(join(os.tmpdir(), 'god-bench-ml-'));
    try {
      await saveModel(dir, model);
      const ours = model.forward(batch);
      const runs = [numpyBench(dir, batch, SECONDS), numpyBench(dir, batch, SECONDS, 1)];
      for (const np of runs) {
        console.log(`numpy forward + loss:    ${np.tokens_per_s.toFixed(0).padStart(6)} tokens/s wall  (${np.runs} runs; numpy ${np.numpy}, ${np.blas}, OPENBLAS_CORETYPE=${np.openblas_coretype ?? 'unset'}, OPENBLAS_NUM_THREADS=${np.openblas_num_threads ?? 'unset (all cores)'})`);
      }
      // the stricter comparison: against whichever numpy configuration ran faster here
      const best = runs.reduce((a, b) => (b.tokens_per_s > a.tokens_per_s ? b : a));
      ratio = best.tokens_per_s / evalRate.wall;
      console.log(`same batch, same weights: loss ours ${ours.toFixed(6)}, numpy ${best.loss.toFixed(6)} (|Δ| ${Math.abs(ours - best.loss).toExponential(1)})`);
      console.log(`eval time ratio ours/numpy (faster numpy run): ${ratio.toFixed(2)}x (target ≤ 2x)`);
      numpyLine = `numpy ${runs.map((r) => r.tokens_per_s.toFixed(0)).join('/')} tok/s (BLAS threads default/1), ours/numpy time ${ratio.toFixed(2)}x`;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
let imageLine = 'image: not run';
if (withImage) {
  const icfg = denoiserConfig({ imageSize: 32, hidden: 256, captionBuckets: 1024, timeFeatures: 32 });
  const den = Denoiser.init(icfg, 1);
  const d = pixelsOf(icfg), ib = 32;
  const irng = new Rng(4);
  const xt = Float32Array.from({ length: ib * d }, () => irng.normal());
  const x0 = Float32Array.from({ length: ib * d }, () => irng.normal() * 0.5);
  const t = Float64Array.from({ length: ib }, () => irng.next());
  const captions = Array.from({ length: ib }, (_, i) => (i % 4 === 0 ? '' : 'a large red circle at the top left'));
  const ibatch = { n: ib, xt, x0, t, captions };
  const imgRate = (step: () => void, seconds: number): Rate => {
    step();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    let steps = 0;
    while (performance.now() - t0 < seconds * 1000) {
      step();
      steps++;
    }
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(c0);
    return { wall: (steps * ib) / wall, cpu: (steps * ib) / ((cpu.user + cpu.system) / 1e6), steps };
  };
  const iadam = new AdamW(den.params.length, { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
  const fullImg = imgRate(() => {
    den.forward(ibatch);
    den.zeroGrad();
    den.backward({ trainBase: true });
    iadam.update(den.params, den.grads!, 1e-4);
  }, SECONDS / 2);
  const ilora = createDenoiserLora(icfg, { rank: 8, alpha: 16, targets: resolveDenoiserTargets(['all']) }, 2);
  ilora.grads = new Float32Array(ilora.params.length);
  const loraImg = imgRate(() => {
    den.forward(ibatch, ilora);
    ilora.grads!.fill(0);
    den.backward({ trainBase: false });
  }, SECONDS / 2);
  const fmtImg = (r: Rate): string => `${r.wall.toFixed(0).padStart(6)} images/s wall  (${r.cpu.toFixed(0)} per CPU-second, ${r.steps} steps of ${ib})`;
  console.log(`denoiser: ${den.params.length} parameters (32×32 RGB, hidden 256)`);
  console.log(`image train (full):      ${fmtImg(fullImg)}`);
  console.log(`image train (LoRA r=8):  ${fmtImg(loraImg)}`);
  const tests = shapeImages({ seed: 5, count: 8, size: 32 }).map((x) => ({ image: x.image, caption: x.caption }));
  const e0 = performance.now();
  diffusionLosses(den, ilora, tests, DEFAULT_IMG2IMG);
  const perImage = (performance.now() - e0) / 1000 / tests.length;
  console.log(`image eval: ${perImage.toFixed(3)} s per test image (${DEFAULT_IMG2IMG.seeds.length} seeds × 2 captions × ${DEFAULT_IMG2IMG.steps} steps, denoise ${DEFAULT_IMG2IMG.denoise})`);
  imageLine = `image train ${fullImg.wall.toFixed(0)} img/s (LoRA ${loraImg.wall.toFixed(0)}), eval ${perImage.toFixed(3)} s/image`;
}
console.log(`machine: ${os.cpus()[0]?.model ?? 'cpu'} x${os.availableParallelism()}, node ${process.version}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}; eval loss ${evalLoss.toFixed(4)}`);
console.log(`SUMMARY ml: ${(params / 1e6).toFixed(2)}M params, train ${train.wall.toFixed(0)} tok/s (LoRA ${trainLora.wall.toFixed(0)}), eval ${evalRate.wall.toFixed(0)} tok/s; 1 thread train ${train1.wall.toFixed(0)}, eval ${eval1.wall.toFixed(0)}; plain-JS eval ${evalJs.wall.toFixed(0)}; ${numpyLine}; ${imageLine}`);
