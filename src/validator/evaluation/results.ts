/**
 * The evaluator's result file → per-repo outcomes (`process_evaluation_results`, evaluation.md §2.2–2.3). Every
 * value is validated: a malformed entry becomes that repo's error, never a silent zero.
 */
import { z } from 'zod';
import { evaluationResultImageSchema, evaluationResultTextSchema } from '../../core/models/evaluation.ts';

export type RepoOutcome =
  | { kind: 'text'; evalLoss: number; isFinetune: boolean }
  | { kind: 'image'; textGuidedLosses: number[]; noTextLosses: number[] }
  | { kind: 'error'; error: string };

export interface ParsedResults {
  modelParamsCount: number;
  repos: Map<string, RepoOutcome>;
}

const fileSchema = z.record(z.string(), z.unknown());

/** Reads the file; a repo missing from it is reported as an error (its subprocess died without writing). */
export function parseEvaluationResults(raw: unknown, repos: readonly string[], image: boolean): ParsedResults {
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) throw new Error('evaluation result is not a JSON object');
  const file = parsed.data;
  const params = typeof file.model_params_count === 'number' && Number.isFinite(file.model_params_count) ? file.model_params_count : 0;
  const out = new Map<string, RepoOutcome>();
  for (const repo of repos) {
    const value = file[repo];
    if (value === undefined) {
      out.set(repo, { kind: 'error', error: 'no result for this repository' });
    } else if (typeof value === 'string') {
      out.set(repo, { kind: 'error', error: value });
    } else if (image) {
      const r = evaluationResultImageSchema.safeParse(value);
      if (!r.success) out.set(repo, { kind: 'error', error: `malformed result: ${r.error.issues[0]?.message ?? 'invalid'}` });
      else if (typeof r.data.eval_loss === 'number') out.set(repo, { kind: 'image', textGuidedLosses: [r.data.eval_loss], noTextLosses: [r.data.eval_loss] });
      else out.set(repo, { kind: 'image', textGuidedLosses: r.data.eval_loss.text_guided_losses, noTextLosses: r.data.eval_loss.no_text_losses });
    } else {
      const r = evaluationResultTextSchema.safeParse(value);
      if (!r.success) out.set(repo, { kind: 'error', error: `malformed result: ${r.error.issues[0]?.message ?? 'invalid'}` });
      else out.set(repo, { kind: 'text', evalLoss: r.data.eval_loss, isFinetune: r.data.is_finetune });
    }
  }
  return { modelParamsCount: params, repos: out };
}
