/**
 * A devnet-style training repo whose entry script drives the built-in engine: the trainer bundles the engine, links
 * it into the job's read-only cache, and the confined script (permission model, no network, own uid) fine-tunes the
 * base model from the hub with LoRA and writes a PEFT adapter that gets published.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { gptConfig } from '../../src/ml/config.ts';
import { Gpt } from '../../src/ml/gpt.ts';
import { saveModel } from '../../src/ml/hub-format.ts';
import { MemoryModelHub } from '../../src/miner/memory-hub.ts';
import { datasetServer, makeRepo, scratch, startTestTrainer, textRequest, BASE_MODEL, type TestTrainer } from './helpers.ts';

const HOTKEY = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
const SCRIPT = `
import { readFileSync } from 'node:fs';
const cache = process.argv[process.argv.indexOf('--cache-dir') + 1];
const engine = await import(cache + '/god/engine.mjs');
const job = engine.contract(process.argv);
const model = await engine.loadModel(job.modelDir);
const rows = JSON.parse(readFileSync(job.datasetPath, 'utf8'));
const examples = engine.instructExamples(rows, job.datasetType);
const result = engine.trainSft(model, examples, { ...engine.DEFAULT_SFT, steps: 4, batchSize: 4, seed: 7, lora: { rank: 2, alpha: 4, targets: ['attn.c_attn'] } });
await engine.saveAdapter(job.outputDir, result.adapter, job.model);
console.log('losses', result.losses.map((l) => l.toFixed(3)).join(' '));
`;

let root: string;
let trainer: TestTrainer;
let data: Awaited<ReturnType<typeof datasetServer>>;

beforeAll(async () => {
  root = scratch('god-trainer-engine-');
  const base = Gpt.init(gptConfig({ width: 16, depth: 1, heads: 2, contextLength: 32 }), 3);
  await saveModel(join(root, 'base'), base);
  const hub = new MemoryModelHub();
  await hub.upload(BASE_MODEL, readdirSync(join(root, 'base')).map((name) => ({ path: name, bytes: readFileSync(join(root, 'base', name)) })));
  const rows = Array.from({ length: 8 }, (_, i) => ({ instruction: `say ${i}`, output: `${i}${i}` }));
  data = await datasetServer({ 'train.json': JSON.stringify(rows) });
  trainer = await startTestTrainer({ dataDir: join(root, 'state'), localRoots: [root], hub, overrides: { local: { memoryMb: 768, pids: 64, nofile: 256, fileMaxBytes: 64 * 1024 * 1024, privateTmpMb: 8, outputPollMs: 100, allowWorkers: true, uidBase: 250_000, uidSlots: 4, disable: [], engine: true } } });
});

afterAll(async () => {
  await trainer?.close();
  await data?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

it('a confined entry script fine-tunes the hub model with the bundled engine and the adapter is published', async () => {
  const repo = makeRepo(root, 'recipe', { 'scripts/text_trainer.mjs': SCRIPT });
  const req = textRequest({ repo: repo.path, commit: repo.commit, taskId: 'enginetask', hotkey: HOTKEY, datasetUrl: `${data.url}/train.json`, gpuIds: [0] });
  expect((await trainer.call('POST', '/v1/trainer/start_training', req)).status).toBe(200);
  const done = await trainer.waitDone('enginetask', HOTKEY, 60_000);
  expect(done.status, JSON.stringify(done.output_tail)).toBe('success');
  expect(done.output_tail.join('\n')).toMatch(/losses( \d+\.\d{3}){4}/);
  const files = await trainer.hub.snapshot(done.hub_repo);
  expect(files?.map((f) => f.path).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
  const config = JSON.parse(new TextDecoder().decode(files!.find((f) => f.path === 'adapter_config.json')!.bytes)) as { base_model_name_or_path: string; peft_type: string };
  expect(config).toMatchObject({ peft_type: 'LORA', base_model_name_or_path: BASE_MODEL });
});
