import { describe, expect, it } from 'vitest';
import { evaluationRules } from '../../core/rules/evaluation.ts';
import { GpuPool, requiredGpus } from './gpus.ts';

describe('GPU sizing (evaluation.md §1.1)', () => {
  it('uses the REF thresholds, DPO counting twice', () => {
    expect(requiredGpus(null, 'InstructTextTask', evaluationRules)).toBe(1);
    expect(requiredGpus(34e9, 'InstructTextTask', evaluationRules)).toBe(1);
    expect(requiredGpus(35e9, 'InstructTextTask', evaluationRules)).toBe(2);
    expect(requiredGpus(20e9, 'DpoTask', evaluationRules)).toBe(2);
    expect(requiredGpus(100e9, 'GrpoTask', evaluationRules)).toBe(3);
    expect(requiredGpus(110e9, 'InstructTextTask', evaluationRules)).toBe(4);
  });
});

describe('GpuPool', () => {
  it('hands GPUs out together and in order, never splitting a request', async () => {
    const pool = new GpuPool([0, 1, 2]);
    const a = await pool.acquire(2);
    expect(a).toEqual([0, 1]);
    let bIds: number[] | null = null;
    const b = pool.acquire(2).then((ids) => (bIds = ids));
    let cIds: number[] | null = null;
    const c = pool.acquire(1).then((ids) => (cIds = ids));
    await new Promise((r) => setImmediate(r));
    // FIFO: the 1-GPU request waits behind the 2-GPU one even though a GPU is free.
    expect(bIds).toBeNull();
    expect(cIds).toBeNull();
    pool.release(a);
    await Promise.all([b, c]);
    expect(bIds).toEqual([2, 0]);
    expect(cIds).toEqual([1]);
    expect(await new GpuPool([5]).acquire(4)).toEqual([5]);
  });
});
