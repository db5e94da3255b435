/**
 * Which repo each miner submitted (validator.md §8, miner-protocol-chain.md §4.7): asked of the miner for market
 * tasks, constructed for tournament and benchmark tasks, then checked against the expected repo name and the
 * model hash.
 */
import { minerSubmissionResponseSchema, MINER_ENDPOINTS, submissionRepo } from '../../core/models/payloads.ts';
import type { AssignedNode } from '../../db/queries/validator-nodes.ts';
import { rowUrl } from '../../metagraph/convert.ts';
import { FAILURE_REASONS } from '../../scoring/task/failures.ts';
import type { ValidatorContext } from '../context.ts';

export type SubmissionCheck =
  | { ok: true; repo: string; modelHash: string | null }
  | { ok: false; reason: string; repo: string | null };

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** The repo name rule: the last path segment must be the expected name (the namespace is the miner's). */
export function repoNameMatches(repo: string, expected: string | null): boolean {
  if (!expected || !repo.includes('/')) return false;
  return repo.split('/').pop() === expected;
}

export async function lookupSubmission(
  ctx: ValidatorContext,
  taskId: string,
  node: AssignedNode,
  options: { constructedOrg: string | null },
): Promise<SubmissionCheck> {
  let repo: string | null = null;
  let modelHash: string | null = null;
  if (options.constructedOrg !== null) {
    if (!node.expected_repo_name) return { ok: false, reason: FAILURE_REASONS.noRepo, repo: null };
    repo = `${options.constructedOrg}/${node.expected_repo_name}`;
  } else {
    const baseUrl = node.ip !== null && node.ip_type !== null && node.port !== null ? rowUrl({ ip: node.ip, ip_type: node.ip_type, port: node.port }) : null;
    if (baseUrl) {
      const result = await ctx.miners.get({
        baseUrl,
        minerHotkey: node.hotkey,
        path: MINER_ENDPOINTS.latestModelSubmission.replace('{task_id}', taskId),
        timeout: ctx.config.validator.submissionTimeoutSeconds * 1000,
        schema: minerSubmissionResponseSchema,
      });
      if (result.kind === 'ok') {
        const submission = submissionRepo(result.body);
        repo = submission?.repo ?? null;
        modelHash = submission?.model_hash ?? null;
      } else {
        ctx.log.info({ task_id: taskId, hotkey: node.hotkey, reply: result.kind }, 'no usable submission reply');
      }
    }
    if (!repo) return { ok: false, reason: FAILURE_REASONS.noRepo, repo: null };
    if (!repoNameMatches(repo, node.expected_repo_name)) return { ok: false, reason: FAILURE_REASONS.repoNameMismatch, repo };
  }
  if (modelHash !== null) {
    if (!SHA256_HEX.test(modelHash)) return { ok: false, reason: FAILURE_REASONS.hashVerificationFailed, repo };
    if (ctx.hub.modelHash) {
      const actual = await ctx.hub.modelHash(repo).catch(() => null);
      if (actual !== modelHash) return { ok: false, reason: FAILURE_REASONS.hashVerificationFailed, repo };
    }
  }
  return { ok: true, repo, modelHash };
}
