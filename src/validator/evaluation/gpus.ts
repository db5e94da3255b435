/**
 * GPU sizing and reservation for evaluation (evaluation.md §1.1): a task takes all the GPUs it needs at once,
 * under one lock, so two tasks can never each hold half of what the other needs.
 */
import type { TaskType } from '../../core/enums.ts';
import type { EvaluationRules } from '../../core/rules/evaluation.ts';

export function requiredGpus(params: number | null, taskType: TaskType, rules: EvaluationRules): number {
  if (!params || params <= 0) return 1;
  let effective = params;
  if (taskType === 'DpoTask') effective *= rules.dpoParamsMultiplier;
  if (taskType === 'GrpoTask') effective *= rules.grpoParamsMultiplier;
  if (effective < rules.oneGpuMaxParamsB * 1e9) return 1;
  if (effective < rules.twoGpuMaxParamsB * 1e9) return 2;
  if (effective < rules.threeGpuMaxParamsB * 1e9) return 3;
  return rules.maxGpusPerTask;
}

/** A FIFO pool of GPU ids; `acquire(n)` waits until n are free and takes them together. */
export class GpuPool {
  private readonly free: number[];
  private readonly waiters: { n: number; resolve: (ids: number[]) => void }[] = [];
  readonly size: number;

  constructor(ids: readonly number[]) {
    this.free = [...ids];
    this.size = ids.length;
  }

  /** A request for more GPUs than exist gets all of them (the original would wait forever). */
  acquire(n: number): Promise<number[]> {
    const want = Math.max(1, Math.min(n, this.size));
    return new Promise((resolve) => {
      this.waiters.push({ n: want, resolve });
      this.dispatch();
    });
  }

  release(ids: readonly number[]): void {
    this.free.push(...ids);
    this.dispatch();
  }

  get available(): number {
    return this.free.length;
  }

  private dispatch(): void {
    // Strict FIFO: a big request at the head is not overtaken by small ones (no starvation).
    while (this.waiters.length > 0 && this.free.length >= this.waiters[0]!.n) {
      const w = this.waiters.shift()!;
      w.resolve(this.free.splice(0, w.n));
    }
  }
}
