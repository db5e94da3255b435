/**
 * `/aplp/evaluation_results.json` read back from a container (evaluation.md §2.2): validated with zod before
 * anything reaches scoring. A file that is missing, not JSON or not an object of the documented shape is a
 * MalformedResultsError (typed, for the whole container); a single repo's entry of the wrong shape becomes that
 * repo's error text. Entries for repos the container was not asked about are dropped, so one container can
 * never write results for another container's repos.
 */
import type { z } from 'zod';
import {
  evaluationResultImageSchema,
  evaluationResultsFileSchema,
  evaluationResultTextSchema,
  type EvaluationResultImage,
  type EvaluationResultText,
} from '../core/models/evaluation.ts';
import { MalformedResultsError } from './errors.ts';

export type RepoEntry = EvaluationResultText | EvaluationResultImage | string;

export interface ContainerResults {
  /** Null when the file does not carry it. */
  modelParamsCount: number | null;
  /** One entry per asked repo: the validated result object, or the error text. */
  repos: Map<string, RepoEntry>;
}

export const NO_RESULT = 'no result for this repository';

function issuesText(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

/**
 * Python's `json.dump` writes bare `NaN`, `Infinity` and `-Infinity` for non-finite floats, which JSON.parse
 * refuses. They become null (outside strings only), so a NaN loss fails that repo's entry, not the whole file.
 */
export function pythonJsonToJson(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
      continue;
    }
    const rest = text.slice(i, i + 9);
    const token = rest.startsWith('NaN') ? 'NaN' : rest.startsWith('-Infinity') ? '-Infinity' : rest.startsWith('Infinity') ? 'Infinity' : null;
    if (token) {
      out += 'null';
      i += token.length - 1;
      continue;
    }
    out += c;
  }
  return out;
}

export function parseContainerResults(raw: Buffer | null, repos: readonly string[], image: boolean, logTail: readonly string[] = []): ContainerResults {
  if (raw === null) throw new MalformedResultsError('the container wrote no results file', logTail);
  let json: unknown;
  try {
    json = JSON.parse(pythonJsonToJson(raw.toString('utf8')));
  } catch (err) {
    throw new MalformedResultsError(`not JSON (${(err as Error).message})`, logTail);
  }
  const file = evaluationResultsFileSchema.safeParse(json);
  if (!file.success) throw new MalformedResultsError(issuesText(file.error), logTail);
  const out = new Map<string, RepoEntry>();
  for (const repo of repos) {
    const value = Object.hasOwn(file.data, repo) ? file.data[repo] : undefined;
    if (value === undefined) {
      out.set(repo, NO_RESULT);
    } else if (typeof value === 'string') {
      out.set(repo, value);
    } else if (typeof value === 'number') {
      out.set(repo, `malformed result: a number (${value}) instead of a result object`);
    } else if (image) {
      const r = evaluationResultImageSchema.safeParse(value);
      // The host marks every image result as a fine-tune (evaluation.md §2.3).
      out.set(repo, r.success ? { ...r.data, is_finetune: true } : `malformed result: ${issuesText(r.error)}`);
    } else {
      const r = evaluationResultTextSchema.safeParse(value);
      out.set(repo, r.success ? r.data : `malformed result: ${issuesText(r.error)}`);
    }
  }
  const params = file.data.model_params_count;
  return { modelParamsCount: typeof params === 'number' ? params : null, repos: out };
}
