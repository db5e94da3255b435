// One evaluation job, in the current process: every repo against the original model on the task's evaluation
// rows, answering production's result file (evaluation.md §2.2):
//   {"model_params_count": N, "<repo>": {"eval_loss": x, "is_finetune": bool} | "error text"}
// GRPO entries carry HEAD's extra keys; image entries are {"eval_loss": {text_guided_losses, no_text_losses}}.
import { chatExamples, dpoRows, grpoPrompts, instructExamples } from '../data/columns.ts';
import { encodeDpo } from '../dpo.ts';
import { evaluateDpoRepos, evaluateInstructRepos } from '../evaluate.ts';
import { evaluateGrpoRepos } from '../grpo-eval.ts';
import { DEFAULT_IMG2IMG, evaluateImageRepos } from '../image/evaluate.ts';
import { resolveModelDir } from '../zoo.ts';
import { loadImages, loadTextRows } from './data.ts';
import { evaluationJobSpecSchema, parseSpec } from './spec.ts';
import type { EvaluationJobSpec } from './spec.ts';
import type { CompletionScorer } from '../grpo-eval.ts';
import { rewardFunctionsOf } from './train.ts';

export async function evaluateInProcess(raw: EvaluationJobSpec, control: { scorer?: CompletionScorer } = {}): Promise<Record<string, unknown>> {
  const spec = parseSpec(evaluationJobSpecSchema, raw, 'evaluation job');
  const opts = spec.home ? { home: spec.home } : {};
  const originalDir = await resolveModelDir(spec.originalModel, opts);
  const repos: { id: string; dir: string }[] = [];
  const missing: Record<string, string> = {};
  for (const r of spec.repos) {
    try {
      repos.push({ id: r.id, dir: r.dir ?? (await resolveModelDir(r.id, opts)) });
    } catch (err) {
      missing[r.id] = (err as Error).message;
    }
  }
  const cap = <T>(xs: T[]): T[] => (spec.maxRows ? xs.slice(0, spec.maxRows) : xs);
  let results: Record<string, unknown>;
  if (spec.taskType === 'ImageTask') {
    const tests = cap(await loadImages(spec.dataset));
    const img = { ...DEFAULT_IMG2IMG, ...Object.fromEntries(Object.entries(spec.image ?? {}).filter(([, v]) => v !== undefined)) };
    results = await evaluateImageRepos(originalDir, repos, tests, img);
  } else {
    const { rows: allRows, datasetType: builtinType } = await loadTextRows(spec.dataset);
    const rows = cap(allRows);
    const dt = { ...builtinType, ...spec.datasetType };
    switch (spec.taskType) {
      case 'InstructTextTask':
        results = await evaluateInstructRepos(originalDir, repos, instructExamples(rows, dt));
        break;
      case 'ChatTask':
        results = await evaluateInstructRepos(originalDir, repos, chatExamples(rows, dt));
        break;
      case 'DpoTask':
        results = await evaluateDpoRepos(originalDir, repos, dpoRows(rows, dt).map(encodeDpo));
        break;
      case 'GrpoTask': {
        const { rewards, close } = await rewardFunctionsOf({ rewardFunctions: spec.rewardFunctions, datasetType: dt }, control);
        try {
          const g = Object.fromEntries(Object.entries(spec.grpo ?? {}).filter(([, v]) => v !== undefined));
          results = await evaluateGrpoRepos(originalDir, repos, grpoPrompts(rows, dt), rewards, g);
        } finally {
          await close();
        }
        break;
      }
    }
  }
  return { ...results, ...missing };
}
