import { describe, expect, it } from 'vitest';
import type { TrainingJob } from '../jobs.ts';
import { GRPO_STEP_SHARE, trainingSpecFor } from './builtin.ts';

const image: TrainingJob = {
  kind: 'image',
  taskId: '5b0c7a2e-0d7c-4a43-9a2f-0a1f8f6f4a11',
  taskType: 'ImageTask',
  model: 'god-local/tinydiff-tiny',
  hoursToComplete: 1,
  expectedRepoName: null,
  repo: 'bob/x',
  datasetZip: '/tmp/data.zip',
  modelType: 'sdxl',
};

describe('trainingSpecFor', () => {
  it('trains images as a LoRA under every recipe: the image evaluator only accepts LoRA repos', () => {
    for (const recipe of ['careful', 'aggressive', 'lazy'] as const) {
      const spec = trainingSpecFor(image, { recipe, steps: 40, home: '/tmp/h' }, '/tmp/out');
      expect(spec.hyper?.method, recipe).toBe('lora');
      expect(spec.dataset).toEqual({ imageDir: '/tmp/data.zip' });
    }
  });

  it('keeps the aggressive recipe a full fine-tune for text, and scales lazy to a tenth of the steps', () => {
    const text: TrainingJob = { kind: 'text', taskId: image.taskId, taskType: 'InstructTextTask', model: 'm', hoursToComplete: 1, expectedRepoName: null, repo: 'bob/x', dataset: '/tmp/d.json', fileFormat: 'json', datasetType: {}, grpo: false };
    expect(trainingSpecFor(text, { recipe: 'aggressive', steps: 40, home: '/tmp/h' }, '/tmp/out').hyper).toMatchObject({ method: 'full', steps: 40 });
    expect(trainingSpecFor(text, { recipe: 'lazy', steps: 40, home: '/tmp/h' }, '/tmp/out').hyper).toMatchObject({ method: 'lora', steps: 4 });
  });

  it('trains GRPO on a share of the steps and hands the task\'s reward functions to the trainer', () => {
    const reward_functions = [{ reward_func: 'def f(completions, **kwargs):\n    return [0.0 for _ in completions]', reward_weight: 1 }];
    const grpo: TrainingJob = { kind: 'text', taskId: image.taskId, taskType: 'GrpoTask', model: 'm', hoursToComplete: 1, expectedRepoName: null, repo: 'bob/x', dataset: '/tmp/d.json', fileFormat: 'json', datasetType: { field_prompt: 'prompt', reward_functions }, grpo: true };
    const spec = trainingSpecFor(grpo, { recipe: 'careful', steps: 40, home: '/tmp/h' }, '/tmp/out');
    expect(spec).toMatchObject({ taskType: 'GrpoTask', datasetType: { reward_functions }, hyper: { method: 'lora', steps: 40 * GRPO_STEP_SHARE } });
    expect(trainingSpecFor(grpo, { recipe: 'lazy', steps: 40, home: '/tmp/h' }, '/tmp/out').hyper?.steps).toBe(2);
  });
});
