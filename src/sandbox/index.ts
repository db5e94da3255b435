/**
 * Sandboxed Python for reward functions and `restricted_execution` (issue 6; docs/sandbox.md). `Sandbox` binds the
 * plain functions of api.ts to one warm pool.
 */
import {
  restrictedExecution,
  scoreCompletions,
  validateRewardFunction,
  type RestrictedOptions,
  type RestrictedResult,
  type RewardValidation,
  type SampleRow,
  type ScoreResult,
} from './api.ts';
import { SandboxPool, type PoolStats, type SandboxPoolOptions } from './pool.ts';
import type { IsolationReport } from './isolation.ts';

export * from './api.ts';
export { SandboxPool, type PoolStats, type SandboxCallReport, type SandboxCallVerdict, type SandboxPoolOptions } from './pool.ts';
export { detectIsolation, type IsolationReport } from './isolation.ts';
export { libraryFunction, libraryFunctions, libraryNames, docstringOf, functionNameOf, type LibraryFunction } from './library.ts';

export class Sandbox {
  private constructor(readonly pool: SandboxPool) {}

  static async start(options: SandboxPoolOptions = {}): Promise<Sandbox> {
    return new Sandbox(await SandboxPool.create(options));
  }

  get isolation(): IsolationReport {
    return this.pool.isolation;
  }

  restrictedExecution(code: string, inputData = '', options: RestrictedOptions = {}): Promise<RestrictedResult> {
    return restrictedExecution(this.pool, code, inputData, options);
  }

  validateRewardFunction(code: string, sampleRows: readonly SampleRow[] = []): Promise<RewardValidation> {
    return validateRewardFunction(this.pool, code, sampleRows);
  }

  scoreCompletions(functions: readonly string[], weights: readonly number[], completions: readonly string[], extraData?: readonly unknown[] | null): Promise<ScoreResult> {
    return scoreCompletions(this.pool, functions, weights, completions, extraData);
  }

  stats(): PoolStats {
    return this.pool.stats();
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
