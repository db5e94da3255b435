/**
 * GRPO reward functions (evaluation.md §9.4, §10.4): list, get, add. Unlike the original, a function is
 * trial-run in the sandbox before it is stored, and a bad one is refused with 400 and the reason (D-api-5).
 */
import { z } from 'zod';
import {
  addRewardFunctionRequestSchema,
  addRewardFunctionResponseSchema,
  rewardFunctionInfoSchema,
  rewardFunctionsResponseSchema,
  type StoredRewardFunction,
} from '../core/models/reward-functions.ts';
import { isUuid } from '../db/queries/api-tasks.ts';
import { docstringOf, functionNameOf } from '../sandbox/library.ts';
import { getRewardFunction, listManualRewardFunctions, saveRewardFunction } from '../sandbox/store.ts';
import { HttpError } from '../http/errors.ts';
import { route, type RouteDefinition } from '../http/route.ts';
import type { ApiContext } from './context.ts';

const TAGS = ['GRPO'];
const TOP_LEVEL_DEF = /^def\s+[A-Za-z_][A-Za-z0-9_]*\s*\(/m;

function pyString(text: string): string {
  return `"""${text.replace(/\\/g, '\\\\').replace(/"""/g, '\\"\\"\\"')}"""`;
}

/**
 * What gets stored for a submitted function (§10.4, without the AST rewrite): code without a top-level `def` is a
 * bare body and is wrapped as `def <name>(completions, **kwargs):` with the description as docstring; a function
 * without a docstring gets the description as one. The original only looks for `def` at the very start of the
 * text, so code opening with an import was wrapped into a function returning None; any top-level `def` counts here.
 */
export function prepareRewardCode(name: string, description: string, code: string): string {
  const text = code.replace(/\r\n/g, '\n');
  if (!TOP_LEVEL_DEF.test(text)) {
    const body = text.split('\n').map((line) => (line.trim() === '' ? '' : `    ${line}`)).join('\n');
    return `def ${name}(completions, **kwargs):\n    ${pyString(description)}\n${body}\n`;
  }
  const lines = text.split('\n');
  const defIndex = lines.findIndex((l) => /^def\s.*\)\s*(->\s*[^:]+)?:\s*(#.*)?$/.test(l));
  if (defIndex < 0) return text;
  const next = lines.slice(defIndex + 1).find((l) => l.trim() !== '');
  if (next === undefined || /^\s*[rubRUB]*("""|''')/.test(next)) return text;
  const indent = /^(\s*)/.exec(next)?.[1] || '    ';
  lines.splice(defIndex + 1, 0, `${indent}${pyString(description)}`);
  return lines.join('\n');
}

function info(fn: StoredRewardFunction) {
  return {
    reward_id: fn.reward_id,
    name: functionNameOf(fn.reward_func) ?? 'unnamed',
    description: docstringOf(fn.reward_func),
    code: fn.reward_func,
  };
}

export function rewardFunctionRoutes(ctx: ApiContext): RouteDefinition[] {
  return [
    route({
      method: 'GET',
      url: '/v1/grpo/reward_functions',
      auth: 'customer',
      response: rewardFunctionsResponseSchema,
      tags: TAGS,
      summary: 'Stored reward functions, by function name',
      description: 'Manual (library and customer-added) functions. When two share a name, the newest is listed.',
      handler: async () => {
        const out: Record<string, ReturnType<typeof info>> = {};
        for (const fn of await listManualRewardFunctions(ctx.db)) {
          const entry = info(fn);
          // Newest first: the first of each name stays (the original let the oldest overwrite it).
          out[entry.name] ??= entry;
        }
        return { reward_functions: out };
      },
    }),
    route({
      method: 'GET',
      url: '/v1/grpo/reward_functions/{reward_id}',
      auth: 'customer',
      params: z.object({ reward_id: z.string().min(1).max(100) }),
      response: rewardFunctionInfoSchema,
      tags: TAGS,
      summary: 'One stored reward function',
      handler: async ({ params }) => {
        const fn = isUuid(params.reward_id) ? await getRewardFunction(ctx.db, params.reward_id) : null;
        if (!fn) throw new HttpError(404, 'Reward function not found');
        return info(fn);
      },
    }),
    route({
      method: 'POST',
      url: '/v1/grpo/reward_functions',
      auth: 'customer',
      body: addRewardFunctionRequestSchema.extend({
        name: z.string().min(1).max(200),
        description: z.string().max(10_000),
        code: z.string().min(1).max(200_000),
      }),
      response: addRewardFunctionResponseSchema,
      tags: TAGS,
      summary: 'Add a reward function (validated in the sandbox first; 400 with the reason when it fails)',
      handler: async ({ body }) => {
        if (!ctx.rewards) throw new HttpError(503, 'Reward-function validation is not available on this server');
        const code = prepareRewardCode(body.name, body.description, body.code);
        const check = await ctx.rewards.validateRewardFunction(code);
        if (!check.valid) throw new HttpError(400, `Invalid reward function: ${check.error ?? 'rejected by validation'}`);
        const rewardId = await saveRewardFunction(ctx.db, { code, isManual: true }, true);
        ctx.log.info({ reward_id: rewardId, name: check.name }, 'reward function added');
        return { reward_id: rewardId };
      },
    }),
  ];
}
