/**
 * The weight-setting loop (miner-protocol-chain.md §7.1): wait for the chain's rate limit, compute the vector from
 * the last week of scores, set it, and publish the scores file it came from (the auditors' `/auditing/scores-url`).
 * Failures are counted; after `failuresBeforeFallback` of them, with the validator close to deregistration
 * (`fallbackUpdatedBlocks`), the current on-chain incentives are set instead, as the original's fallback does.
 */
import { scoredTasksSince, storeLatestScoresUrl } from '../../db/queries/validator-weights.ts';
import { normalizeAndQuantizeWeights } from '../../scoring/weights/index.ts';
import { errorText, now, type ValidatorContext } from '../context.ts';
import { computeWeights, scoresFile, scoresFileKey } from './compute.ts';

export type WeightsAttempt =
  | { kind: 'set'; uids: number[]; weights: number[]; url: string; fallback: boolean }
  | { kind: 'rate_limited'; blocksRemaining: number }
  | { kind: 'not_registered' }
  | { kind: 'nothing_to_set' }
  | { kind: 'failed'; error: string; blocksSinceUpdate: number };

/** One attempt; never throws. */
export async function setWeightsOnce(ctx: ValidatorContext, options: { fallback?: boolean } = {}): Promise<WeightsAttempt> {
  const chain = ctx.chain;
  if (!chain) return { kind: 'failed', error: 'no chain configured', blocksSinceUpdate: 0 };
  let blocksSinceUpdate = 0;
  try {
    const readiness = await chain.weightsReadiness(ctx.netuid);
    if (!readiness.ok) {
      return readiness.reason === 'not_registered' ? { kind: 'not_registered' } : { kind: 'rate_limited', blocksRemaining: readiness.blocksRemaining };
    }
    blocksSinceUpdate = readiness.blocksSinceUpdate;
    const at = now(ctx);
    const rules = ctx.config.scoring;
    const nodes = await chain.getNodes(ctx.netuid);
    const hotkeys: string[] = [];
    for (const n of nodes) hotkeys[n.node_id] = n.hotkey;
    for (let i = 0; i < hotkeys.length; i++) hotkeys[i] ??= '';
    const rows = await scoredTasksSince(ctx.db, new Date(at.getTime() - rules.scoringWindowDays * 86_400_000), ctx.netuid);
    let uids: number[];
    let weights: number[];
    if (options.fallback) {
      const q = normalizeAndQuantizeWeights(nodes.map((n) => n.node_id), nodes.map((n) => n.incentive), rules);
      uids = q.uids;
      weights = q.weightsU16;
      if (uids.length === 0) return { kind: 'nothing_to_set' };
    } else {
      const computed = computeWeights({
        rows,
        metagraphHotkeys: hotkeys,
        history: await ctx.tournaments.burnHistory(),
        participants: await ctx.tournaments.participants(),
        tournamentWeights: await ctx.tournaments.tournamentWeights(),
        now: at,
        rules,
      });
      if (!computed) return { kind: 'nothing_to_set' };
      uids = computed.uids;
      weights = computed.weightsU16;
    }
    await chain.setWeights({ netuid: ctx.netuid, uids, weights, versionKey: rules.versionKey });
    const file = scoresFile(rows, await ctx.tournaments.auditData(), { netuid: ctx.netuid, uids, weights, versionKey: rules.versionKey, createdAt: at });
    const key = scoresFileKey(at);
    await ctx.blobs.put(key, new TextEncoder().encode(JSON.stringify(file, null, 2)), 'application/json');
    const url = await ctx.blobs.signedUrl(key, ctx.config.prep.presignedUrlSeconds);
    await ctx.db.transaction((tx) => storeLatestScoresUrl(tx, url, at));
    return { kind: 'set', uids, weights, url, fallback: options.fallback === true };
  } catch (err) {
    return { kind: 'failed', error: errorText(err), blocksSinceUpdate };
  }
}

/** Runs until `signal` aborts. */
export async function weightsLoop(ctx: ValidatorContext, signal: AbortSignal): Promise<void> {
  const rules = ctx.config.weights;
  const block = rules.blockTimeSeconds * 1000;
  let failures = 0;
  while (!signal.aborted) {
    const attempt = await setWeightsOnce(ctx);
    ctx.metrics?.weightSets.inc({ outcome: attempt.kind });
    let waitMs = rules.sleepBlocksAfterAttempt * block;
    switch (attempt.kind) {
      case 'set':
        failures = 0;
        ctx.log.info({ uids: attempt.uids.length, url: attempt.url }, 'weights set; scores file published');
        break;
      case 'rate_limited':
        waitMs = (attempt.blocksRemaining + 1) * block;
        ctx.log.debug({ blocks_remaining: attempt.blocksRemaining }, 'too soon to set weights');
        break;
      case 'not_registered':
        ctx.log.error({ netuid: ctx.netuid, hotkey: ctx.hotkey }, 'our hotkey is not registered on the subnet; cannot set weights');
        break;
      case 'nothing_to_set':
        ctx.log.info('no scored task in the window; weights not set');
        break;
      case 'failed': {
        failures++;
        ctx.log.warn({ err: attempt.error, failures }, 'setting weights failed');
        if (failures >= rules.failuresBeforeFallback && attempt.blocksSinceUpdate >= rules.fallbackUpdatedBlocks) {
          const fb = await setWeightsOnce(ctx, { fallback: true });
          ctx.metrics?.weightSets.inc({ outcome: fb.kind === 'set' ? 'fallback' : `fallback_${fb.kind}` });
          ctx.log.warn({ outcome: fb.kind }, 'set the on-chain incentives as weights to avoid deregistration');
          if (fb.kind === 'set') failures = 0;
        }
        break;
      }
    }
    try {
      await ctx.clock.sleep(waitMs, signal);
    } catch {
      return;
    }
  }
}
