/**
 * The weights loop against the real devnet chain (in-process): a week of scores → the vector on the chain, the
 * scores file published and served at /auditing/scores-url, the rate limit respected.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock/index.ts';
import { DevnetChainService, inProcessChain } from '../../src/chain/devnet/index.ts';
import { SYNTHETIC_ACCOUNT_ID, type AnyRawTask } from '../../src/core/models/tasks.ts';
import { insertTask } from '../../src/db/queries/tasks.ts';
import { openTestDb, type TestDb } from '../../src/db/testing.ts';
import { createServer } from '../../src/http/index.ts';
import { initCrypto, Sr25519Keypair } from '../../src/keys/keypair.ts';
import { EMISSION_BURN_HOTKEY } from '../../src/core/rules/scoring.ts';
import { setWeightsOnce } from '../../src/validator/weights/loop.ts';
import { scoresUrlRoute } from '../../src/validator/weights/route.ts';
import { scoresFileKey } from '../../src/validator/weights/compute.ts';
import { testContext } from './support/context.ts';

const NETUID = 56;
const T0 = Date.parse('2025-08-01T10:00:00Z');
let validator: Sr25519Keypair;
let minerA: Sr25519Keypair;
let minerB: Sr25519Keypair;
let burn: Sr25519Keypair;
let t: TestDb;

beforeAll(async () => {
  await initCrypto();
  validator = Sr25519Keypair.fromUri('//WeightsValidator');
  minerA = Sr25519Keypair.fromUri('//WeightsMinerA');
  minerB = Sr25519Keypair.fromUri('//WeightsMinerB');
  burn = Sr25519Keypair.fromUri('//WeightsBurn');
});

beforeEach(async () => {
  t = await openTestDb('pglite');
});
afterEach(async () => {
  await t.cleanup();
});

async function subnet(clock: ManualClock) {
  const service = await DevnetChainService.open({
    clock,
    netuids: [NETUID],
    subnet: { tempo: 10, weightsSetRateLimit: 5, commitRevealWeightsEnabled: false, weightsVersionKey: 0 },
  });
  service.start();
  const coldkey = Sr25519Keypair.fromUri('//WeightsColdkey').ss58Address;
  for (const k of [validator, minerA, minerB]) await inProcessChain(service, k).register({ netuid: NETUID, coldkey, alphaStake: 1000 });
  return { service, chain: inProcessChain(service, validator) };
}

/** A successful task created `ageHours` ago with these scores. */
async function scoredTask(clock: ManualClock, scores: [string, number][], ageHours: number, organic = false): Promise<void> {
  const at = new Date(clock.now() - ageHours * 3_600_000).toISOString();
  const task = await insertTask(
    t.db,
    {
      task_type: 'InstructTextTask',
      is_organic: organic,
      status: 'success',
      model_id: 'org/model-7B',
      ds: 'd',
      account_id: SYNTHETIC_ACCOUNT_ID,
      hours_to_complete: 2,
      created_at: at,
      field_instruction: 'instruct',
      field_output: 'output',
    } as AnyRawTask,
    { now: new Date(at) },
  );
  for (const [hotkey, score] of scores) {
    await t.db.query('INSERT INTO task_nodes (task_id, hotkey, netuid, quality_score) VALUES ($1, $2, $3, $4)', [task.task_id, hotkey, NETUID, score]);
  }
}

describe('weight setting', () => {
  it('sets the vector from a week of scores, publishes the scores file and honours the rate limit', async () => {
    const clock = new ManualClock(T0);
    const { service, chain } = await subnet(clock);
    await clock.advance(6 * 12_000);
    const ctx = testContext({ db: t.db, clock, keypair: validator, chain });
    expect((await setWeightsOnce(ctx)).kind).toBe('nothing_to_set');

    await scoredTask(clock, [[minerA.ss58Address, 3], [minerB.ss58Address, -1]], 2);
    await scoredTask(clock, [[minerB.ss58Address, 3], [minerA.ss58Address, 0]], 30);
    // outside the 7-day window: ignored
    await scoredTask(clock, [[minerB.ss58Address, 3]], 24 * 8);
    const attempt = await setWeightsOnce(ctx);
    expect(attempt.kind).toBe('set');
    if (attempt.kind !== 'set') return;
    // uids: 0 validator, 1 A, 2 B; A won the newer task and B got a penalty there, so A ranks highest
    expect(attempt.uids).toContain(1);
    const wa = attempt.weights[attempt.uids.indexOf(1)]!;
    const wb = attempt.uids.includes(2) ? attempt.weights[attempt.uids.indexOf(2)]! : 0;
    expect(wa).toBe(65535);
    expect(wb).toBeLessThan(wa);
    const lastUpdate = await chain.lastUpdate(NETUID);
    expect(lastUpdate[0]).toBe(await chain.getBlock());

    // the scores file behind it
    const key = ctx.blobs.keyOfUrl(attempt.url);
    expect(key).toBe(scoresFileKey(new Date(clock.now())));
    const file = JSON.parse(new TextDecoder().decode(await ctx.fetch(attempt.url))) as {
      task_results: { task: { task_id: string; task_type: string; hours_to_complete: number }; node_scores: { hotkey: string; quality_score: number }[] }[];
      weights: { uids: number[]; weights: number[] };
    };
    expect(file.task_results).toHaveLength(2);
    // zeros are not part of the weight data (scoring.md §2.1)
    expect(file.task_results.flatMap((r) => r.node_scores.map((n) => n.quality_score)).sort()).toEqual([-1, 3, 3]);
    expect(file.weights).toEqual({ ...file.weights, uids: attempt.uids, weights: attempt.weights });

    const server = createServer({ logRequests: false });
    server.route(scoresUrlRoute(t.db));
    const base = await server.listen({ port: 0 });
    try {
      expect(await (await fetch(`${base}/auditing/scores-url`)).json()).toEqual({ url: attempt.url });
      // right after a weight set the chain's rate limit applies
      expect(await setWeightsOnce(ctx)).toMatchObject({ kind: 'rate_limited' });
      await clock.advance(5 * 12_000);
      const again = await setWeightsOnce(ctx);
      expect(again.kind).toBe('set');
      if (again.kind === 'set') expect(await (await fetch(`${base}/auditing/scores-url`)).json()).toEqual({ url: again.url });
      const { rows } = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM latest_scores_url WHERE expired_at IS NULL');
      expect(rows[0]?.n).toBe(1);
    } finally {
      await server.close();
      await service.stop();
    }
  });

  it('answers 400 before any weight setting, and refuses when our hotkey is not registered', async () => {
    const clock = new ManualClock(T0);
    const server = createServer({ logRequests: false });
    server.route(scoresUrlRoute(t.db));
    const base = await server.listen({ port: 0 });
    const res = await fetch(`${base}/auditing/scores-url`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ detail: 'No scores URL found' });
    await server.close();
    const { service } = await subnet(clock);
    const ctx = testContext({ db: t.db, clock, keypair: burn, chain: inProcessChain(service, burn) });
    expect(await setWeightsOnce(ctx)).toEqual({ kind: 'not_registered' });
    await service.stop();
    expect(EMISSION_BURN_HOTKEY).toMatch(/^5/);
  });
});
