/**
 * Commit-reveal is not implemented (docs/operations.md, "Commit-reveal weights"): on a subnet with
 * `CommitRevealWeightsEnabled`, the chain layer refuses before sending anything and the validator's weight
 * setter reports the refusal as a failed attempt with the chain layer's message, instead of failing silently.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommitRevealNotSupportedError } from '../../src/chain/errors.ts';
import { DevnetChainService, inProcessChain } from '../../src/chain/devnet/index.ts';
import { ManualClock } from '../../src/clock/index.ts';
import { latestScoresUrl } from '../../src/db/queries/validator-weights.ts';
import { openTestDb, type TestDb } from '../../src/db/testing.ts';
import { Sr25519Keypair, initCrypto } from '../../src/keys/keypair.ts';
import { setWeightsOnce } from '../../src/validator/weights/loop.ts';
import { testContext } from '../validator/support/context.ts';

const NETUID = 56;
let tdb: TestDb;

beforeAll(async () => {
  await initCrypto();
  tdb = await openTestDb('pglite');
}, 60_000);
afterAll(async () => {
  await tdb?.cleanup();
});

describe('commit-reveal subnets', () => {
  it('are refused with a typed, explicit error and nothing is set or published', async () => {
    const clock = new ManualClock(Date.UTC(2025, 8, 15));
    const service = await DevnetChainService.open({ clock, netuids: [NETUID], subnet: { commitRevealWeightsEnabled: true, weightsSetRateLimit: 1 } });
    const validator = Sr25519Keypair.fromUri('//CrValidator');
    const miner = Sr25519Keypair.fromUri('//CrMiner');
    const chain = inProcessChain(service, validator);
    await chain.register({ netuid: NETUID, coldkey: validator.ss58Address, alphaStake: 100 });
    await inProcessChain(service, miner).register({ netuid: NETUID, coldkey: miner.ss58Address });
    service.produceBlock();
    service.produceBlock();

    const direct = await chain.setWeights({ netuid: NETUID, uids: [1], weights: [65535], versionKey: 61_000 }).catch((e: unknown) => e);
    expect(direct).toBeInstanceOf(CommitRevealNotSupportedError);
    expect(direct).toMatchObject({ code: 'commit_reveal_enabled', chainError: 'CommitRevealEnabled', details: { netuid: NETUID } });
    expect((direct as Error).message).toBe('commit-reveal not supported yet: CommitRevealWeightsEnabled is true on netuid 56, so the chain refuses plain set_weights');

    const { rows } = await tdb.db.query<{ task_id: string }>(
      `INSERT INTO tasks (model_id, ds, status, hours_to_complete, account_id, created_at, task_type, is_organic)
       VALUES ('gpt2', 'd', 'success', 1, '00000000-0000-0000-0000-000000000000', $1, 'InstructTextTask', false) RETURNING task_id::text`,
      [new Date(clock.now() - 3_600_000)],
    );
    await tdb.db.query('INSERT INTO task_nodes (task_id, hotkey, netuid, quality_score) VALUES ($1, $2, $3, 3)', [rows[0]!.task_id, miner.ss58Address, NETUID]);
    const attempt = await setWeightsOnce(testContext({ db: tdb.db, clock, keypair: validator, chain }));
    expect(attempt).toMatchObject({ kind: 'failed', error: expect.stringContaining('commit-reveal not supported yet') });
    expect(await chain.getWeights(NETUID, 0)).toEqual([]);
    expect(await latestScoresUrl(tdb.db)).toBeNull();
    await service.stop();
  });
});
