// Formats on disk: safetensors round-trips, HF-style model and adapter directories, and the numpy
// reference (an independent implementation reading OUR files) agreeing with the engine within 1e-4.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gptConfig } from './config.ts';
import { Gpt } from './gpt.ts';
import type { Batch } from './gpt.ts';
import { loadAdapter, loadModel, saveAdapter, saveModel } from './hub-format.ts';
import { createLora, resolveLoraTargets } from './lora.ts';
import { numpyEval, numpyUnavailableReason } from './reference/numpy-ref.ts';
import { Rng } from './rng.ts';
import { readSafetensors, writeSafetensors } from './safetensors.ts';

const root = mkdtempSync(join(tmpdir(), 'god-ml-fmt-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const cfg = gptConfig({ contextLength: 16, width: 32, depth: 2, heads: 4 });

function randomBatch(seed: number, b: number, t: number): Batch {
  const rng = new Rng(seed);
  const n = b * t;
  const weights = new Float32Array(n);
  for (let i = 0; i < n; i++) weights[i] = i % t >= t / 2 ? 1 / (n / 2) : 0;
  return {
    b, t, weights,
    tokens: Int32Array.from({ length: n }, () => rng.int(cfg.vocabSize)),
    targets: Int32Array.from({ length: n }, () => rng.int(cfg.vocabSize)),
  };
}

describe('safetensors', () => {
  it('round-trips names, shapes, values and metadata, with the documented header layout', () => {
    const a = Float32Array.from([1.5, -2, 3.25, 1e-30, -0, 7]);
    const buf = writeSafetensors([{ name: 'x.weight', shape: [2, 3], data: a }, { name: 'b', shape: [1], data: Float32Array.from([9]) }],
      { format: 'pt' });
    const n = Number(buf.readBigUInt64LE(0));
    const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, unknown>;
    expect(header['x.weight']).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
    expect(header['b']).toEqual({ dtype: 'F32', shape: [1], data_offsets: [24, 28] });
    expect((8 + n) % 8).toBe(0);
    const back = readSafetensors(buf);
    expect(Array.from(back.tensors.get('x.weight')!.data)).toEqual(Array.from(a));
    expect(back.tensors.get('x.weight')!.shape).toEqual([2, 3]);
    expect(back.metadata).toEqual({ format: 'pt' });
  });

  it('rejects truncated files and inconsistent offsets, naming the field', () => {
    const buf = writeSafetensors([{ name: 'w', shape: [4], data: new Float32Array(4) }]);
    expect(() => readSafetensors(buf.subarray(0, buf.length - 4))).toThrow(/w\.data_offsets/);
    expect(() => readSafetensors(Buffer.from([1, 2]))).toThrow(/shorter/);
  });
});

describe('model and adapter directories', () => {
  it('saves a full model as config.json + model.safetensors and loads it back bit-exactly', async () => {
    const model = Gpt.init(cfg, 3);
    const dir = join(root, 'full');
    await saveModel(dir, model);
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config['model_type']).toBe('gpt2');
    expect(config['architectures']).toEqual(['GPT2LMHeadModel']);
    expect(config['n_embd']).toBe(32);
    const names = [...readSafetensors(readFileSync(join(dir, 'model.safetensors'))).tensors.keys()];
    expect(names).toContain('transformer.h.1.attn.c_attn.weight');
    expect(names).not.toContain('lm_head.weight');
    const back = await loadModel(dir);
    expect(Buffer.from(back.params.buffer).equals(Buffer.from(model.params.buffer))).toBe(true);
  });

  it('saves a LoRA adapter in PEFT layout and loads it back exactly', async () => {
    const lora = createLora(cfg, { rank: 4, alpha: 8, targets: resolveLoraTargets(['qkv', 'mlp']) }, 4);
    const rng = new Rng(1);
    for (let i = 0; i < lora.params.length; i++) lora.params[i] = rng.normal();
    const dir = join(root, 'adapter');
    await saveAdapter(dir, lora, 'god-local/tiny');
    const ac = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    expect(ac).toMatchObject({ peft_type: 'LORA', r: 4, lora_alpha: 8, base_model_name_or_path: 'god-local/tiny' });
    const st = readSafetensors(readFileSync(join(dir, 'adapter_model.safetensors')));
    expect(st.tensors.get('base_model.model.transformer.h.0.attn.c_attn.lora_A.weight')!.shape).toEqual([4, 32]);
    expect(st.tensors.get('base_model.model.transformer.h.0.attn.c_attn.lora_B.weight')!.shape).toEqual([96, 4]);
    const back = await loadAdapter(dir, cfg);
    expect(back.baseModel).toBe('god-local/tiny');
    expect(Array.from(back.adapter.params)).toEqual(Array.from(lora.params));
  });
});

const numpyMissing = numpyUnavailableReason();
if (numpyMissing) {
  console.warn(`\n*** NUMPY REFERENCE CHECKS DID NOT RUN: ${numpyMissing} ***\n`);
}

describe.skipIf(numpyMissing !== null)('numpy reference reading our safetensors from disk', () => {
  it('gives the same logits and loss within 1e-4 (base model)', async () => {
    const model = Gpt.init(cfg, 11);
    const rng = new Rng(2);
    // non-trivial weights so the comparison exercises every path, not a near-uniform softmax
    for (let i = 0; i < model.params.length; i++) model.params[i] = model.params[i]! * 5 + rng.normal() * 0.01;
    const dir = join(root, 'numpy-full');
    await saveModel(dir, model);
    const batch = randomBatch(5, 3, 16);
    const ours = model.forward(batch);
    const ref = numpyEval(dir, batch, { logits: true });
    expect(Math.abs(ours - ref.loss)).toBeLessThan(1e-4);
    // our forward leaves probabilities; compare per-token losses (−log p) and the log-probabilities
    const losses = model.tokenLosses();
    const probs = model.probs();
    let worst = 0;
    for (let i = 0; i < batch.b * batch.t; i++) {
      const row = ref.logits!.slice(i * cfg.vocabSize, (i + 1) * cfg.vocabSize);
      const max = Math.max(...row);
      const lse = Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0)) + max;
      for (let j = 0; j < cfg.vocabSize; j += 7) worst = Math.max(worst, Math.abs(Math.log(probs[i * cfg.vocabSize + j]!) - (row[j]! - lse)));
      if (batch.weights[i] !== 0) expect(Math.abs(losses[i]! - ref.token_losses[i]!)).toBeLessThan(1e-4);
    }
    expect(worst).toBeLessThan(1e-4);
  });

  it('gives the same loss within 1e-4 with a LoRA adapter applied from adapter_model.safetensors', async () => {
    const model = Gpt.init(cfg, 12);
    const dir = join(root, 'numpy-base');
    await saveModel(dir, model);
    const lora = createLora(cfg, { rank: 4, alpha: 16, targets: resolveLoraTargets(['all']) }, 13);
    const rng = new Rng(3);
    for (let i = 0; i < lora.params.length; i++) lora.params[i] = lora.params[i]! + rng.normal() * 0.05;
    const adir = join(root, 'numpy-adapter');
    await saveAdapter(adir, lora, dir);
    const batch = randomBatch(6, 2, 12);
    const ours = model.forward(batch, lora);
    const ref = numpyEval(dir, batch, { adapterDir: adir });
    expect(Math.abs(ours - ref.loss)).toBeLessThan(1e-4);
    expect(Math.abs(ours - model.forward(batch))).toBeGreaterThan(1e-3);
  });
});
