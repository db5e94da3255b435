/**
 * The auditor end to end, with nothing faked: the devnet chain service in-process, the validator's own weight
 * setter (`setWeightsOnce`) writing the scores file to a signed-URL blob store served over loopback HTTP, the real
 * public API (`createApiServer`, PGlite) answering `/auditing/*`, and the auditor reading all of it over HTTP.
 */
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditError, auditOnce, formatReport } from '../../src/auditor/index.ts';
import { DevnetChainService, inProcessChain, serveDevnetChain, type DevnetChain } from '../../src/chain/devnet/index.ts';
import { registerAuditor } from '../../src/cli/commands/auditor.ts';
import { ManualClock } from '../../src/clock/index.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { openTestDb, type TestDb } from '../../src/db/testing.ts';
import { Sr25519Keypair, initCrypto } from '../../src/keys/keypair.ts';
import type { GodServer } from '../../src/http/index.ts';
import { StorageBlobAdapter } from '../../src/validator/adapters/blob-stores.ts';
import { setWeightsOnce } from '../../src/validator/weights/loop.ts';
import { testContext } from '../validator/support/context.ts';
import { publishValidator, type PublishedValidator } from './support.ts';

const NETUID = 56;
const START = Date.UTC(2025, 8, 15, 12, 0, 0);
const DAY = 86_400_000;

let clock: ManualClock;
let service: DevnetChainService;
let validator: Sr25519Keypair;
let validatorChain: DevnetChain;
let auditorChain: DevnetChain;
let miners: Sr25519Keypair[];
let burn: Sr25519Keypair;
let config: Config;
let tdb: TestDb;
let published: PublishedValidator | undefined;
let apiUrl: string;
let blobs: StorageBlobAdapter;
let scoresKey: string;
let chainHttp: { server: GodServer; url: string };

async function addTask(t: { organic: boolean; daysAgo: number; hours: number; model: string; scores: [Sr25519Keypair, number][] }): Promise<string> {
  const created = new Date(START - t.daysAgo * DAY);
  const { rows } = await tdb.db.query<{ task_id: string }>(
    `INSERT INTO tasks (model_id, ds, status, hours_to_complete, account_id, created_at, updated_at, completed_at, task_type, is_organic, model_params_count)
     VALUES ($1, 'org/dataset', 'success', $2, '00000000-0000-0000-0000-000000000000', $3, $3, $3, 'InstructTextTask', $4, 0) RETURNING task_id::text`,
    [t.model, t.hours, created, t.organic],
  );
  const id = rows[0]!.task_id;
  await tdb.db.query(`INSERT INTO instruct_text_tasks (task_id, field_instruction) VALUES ($1, 'instruction')`, [id]);
  for (const [k, q] of t.scores) await tdb.db.query('INSERT INTO task_nodes (task_id, hotkey, netuid, quality_score) VALUES ($1, $2, $3, $4)', [id, k.ss58Address, NETUID, q]);
  return id;
}

function blocks(n: number): void {
  for (let i = 0; i < n; i++) service.produceBlock();
}

function audit(extra: { checkTasks?: number } = {}) {
  return auditOnce({ validatorUrl: apiUrl, chain: auditorChain, netuid: NETUID, hotkey: validator.ss58Address, rules: config.scoring, clock, checkTasks: 100, ...extra });
}

/** Rewrites the published scores file in the validator's blob store (what a dishonest operator could do). */
async function editScoresFile(edit: (file: { task_results: { task: Record<string, unknown>; node_scores: { hotkey: string; quality_score: number }[] }[] }) => void): Promise<() => Promise<void>> {
  const url = await blobs.signedUrl(scoresKey, 60);
  const honest = new Uint8Array(await (await fetch(url)).arrayBuffer());
  const file = JSON.parse(new TextDecoder().decode(honest));
  edit(file);
  await blobs.put(scoresKey, new TextEncoder().encode(JSON.stringify(file)), 'application/json');
  return () => blobs.put(scoresKey, honest, 'application/json');
}

beforeAll(async () => {
  await initCrypto();
  clock = new ManualClock(START);
  validator = Sr25519Keypair.fromUri('//AuditedValidator');
  miners = [1, 2, 3, 4].map((i) => Sr25519Keypair.fromUri(`//AuditMiner${i}`));
  burn = Sr25519Keypair.fromUri('//AuditBurn');
  const base = loadConfig({ env: {} }).config;
  // The burn hotkey must be on the subnet for the burn share to land on a uid; the devnet needs its key to register it.
  config = { ...base, scoring: { ...base.scoring, emissionBurnHotkey: burn.ss58Address } };

  service = await DevnetChainService.open({ clock, netuids: [NETUID], subnet: { tempo: 360, weightsSetRateLimit: 3 } });
  const coldkey = Sr25519Keypair.fromUri('//AuditColdkey').ss58Address;
  validatorChain = inProcessChain(service, validator);
  await validatorChain.register({ netuid: NETUID, coldkey, alphaStake: 5000 });
  for (const k of [...miners, burn]) await inProcessChain(service, k).register({ netuid: NETUID, coldkey });
  chainHttp = await serveDevnetChain(service);
  auditorChain = inProcessChain(service);

  tdb = await openTestDb('pglite');
  const [m1, m2, m3, m4] = miners as [Sr25519Keypair, Sr25519Keypair, Sr25519Keypair, Sr25519Keypair];
  await addTask({ organic: false, daysAgo: 0.5, hours: 2, model: 'Qwen/Qwen2.5-7B-Instruct', scores: [[m1, 3], [m4, -1]] });
  await addTask({ organic: false, daysAgo: 1.5, hours: 4, model: 'gpt2', scores: [[m2, 3]] });
  await addTask({ organic: false, daysAgo: 2.5, hours: 1, model: 'falcon-40b', scores: [[m1, 3], [m3, -1]] });
  await addTask({ organic: false, daysAgo: 4, hours: 3, model: 'Qwen/Qwen2.5-1.5B', scores: [[m3, 3], [m4, -1]] });
  await addTask({ organic: true, daysAgo: 0.2, hours: 2, model: 'gpt2', scores: [[m2, 3]] });
  await addTask({ organic: false, daysAgo: 6, hours: 6, model: 'llama-3b', scores: [[m2, 3]] });
  // Outside the 7-day window: the validator leaves it out of the file.
  await addTask({ organic: false, daysAgo: 8, hours: 2, model: 'gpt2', scores: [[m4, 3]] });

  published = await publishValidator(tdb.db, clock, config);
  ({ blobs, apiUrl } = published);
}, 120_000);

afterAll(async () => {
  await published?.close();
  await chainHttp?.server.close();
  await service?.stop();
  await tdb?.cleanup();
});

describe('god auditor against the devnet chain and the validator API', () => {
  it('says so when the validator has not published a scores file yet', async () => {
    const err = await audit().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuditError);
    expect(err).toMatchObject({ code: 'no_scores', status: 400 });
  });

  it('recomputes the weights the validator set from its published scores file, u16 for u16', async () => {
    blocks(5);
    const ctx = { ...testContext({ db: tdb.db, clock, keypair: validator, config, chain: validatorChain }), blobs };
    const attempt = await setWeightsOnce(ctx);
    expect(attempt.kind).toBe('set');
    if (attempt.kind !== 'set') return;
    scoresKey = blobs.keyOfUrl(attempt.url)!;
    expect(scoresKey).toMatch(/^latest_scores_2025-09-15_12-00-00\.json$/);
    const uidOf = (k: Sr25519Keypair) => 1 + [...miners, burn].indexOf(k);
    // Every miner with a counted score and the burn uid hold weight; the 8-day-old task does not count.
    expect(new Set(attempt.uids)).toEqual(new Set([...miners.slice(0, 3).map(uidOf), uidOf(burn)]));

    const report = await audit();
    expect(report.differences).toEqual([]);
    expect(report.publishedInconsistentUids).toEqual([]);
    expect(report.taskChecks).toEqual({ checked: 6, problems: [] });
    expect(report.ok).toBe(true);
    expect(report.recomputed.uids).toEqual(attempt.uids);
    expect(report.recomputed.weights).toEqual(attempt.weights);
    expect(report.onChain).toEqual({ uids: attempt.uids, weights: attempt.weights });
    expect(report.validatorUid).toBe(0);
    expect(report.taskCount).toBe(6);
    expect(report.recomputed.splitSource).toBe('no_tournament');
    expect(formatReport(report)).toMatch(/^OK: validator/);
  });

  it('reports exactly the uid whose weight was changed on the chain', async () => {
    const before = await audit();
    const tampered = miners[1]!;
    const uid = 1 + miners.indexOf(tampered);
    const weights = before.onChain.uids.map((u, i) => (u === uid ? before.onChain.weights[i]! + 777 : before.onChain.weights[i]!));
    blocks(5);
    await validatorChain.setWeights({ netuid: NETUID, uids: before.onChain.uids, weights, versionKey: config.scoring.versionKey });

    const report = await audit();
    expect(report.ok).toBe(false);
    const expected = before.recomputed.weights[before.recomputed.uids.indexOf(uid)]!;
    expect(report.differences).toEqual([
      { uid, hotkey: tampered.ss58Address, expected, onChain: expected + 777, published: expected, reason: 'chain_differs_from_published' },
    ]);
    expect(report.publishedInconsistentUids).toEqual([]);
    expect(formatReport(report)).toContain(`uid ${uid} (${tampered.ss58Address.slice(0, 8)}…): expected ${expected}, on chain ${expected + 777}, published ${expected}`);

    // Put the honest vector back for the next test.
    blocks(5);
    await validatorChain.setWeights({ netuid: NETUID, uids: before.recomputed.uids, weights: before.recomputed.weights, versionKey: config.scoring.versionKey });
    expect((await audit()).ok).toBe(true);
  });

  it('catches a published file whose task results do not back the weights it says were set', async () => {
    // The file now credits miner 3's penalty (-1) as a win: the chain and the weights block still hold the old vector.
    const m3 = miners[2]!.ss58Address;
    const restore = await editScoresFile((file) => {
      file.task_results.flatMap((r) => r.node_scores).find((n) => n.hotkey === m3 && n.quality_score === -1)!.quality_score = 3;
    });

    const report = await audit();
    expect(report.ok).toBe(false);
    expect(report.differences.length).toBeGreaterThan(0);
    expect(report.differences.every((d) => d.reason === 'published_weights_not_backed_by_scores' && d.published === d.onChain)).toBe(true);
    expect(report.differences.map((d) => d.uid)).toContain(3);
    expect(report.publishedInconsistentUids).toEqual(report.differences.map((d) => d.uid));
    // The validator's own public task details still hold the penalty: the cross-check names the task and hotkey.
    expect(report.taskChecks?.problems).toEqual([{ task_id: expect.any(String), problem: `hotkey ${m3}: quality_score 3 in the file, -1 published` }]);

    await restore();
    expect((await audit()).ok).toBe(true);

    // A file that does not even parse names the field.
    const restore2 = await editScoresFile((file) => {
      file.task_results[0]!.task.created_at = 'yesterday';
    });
    await expect(audit()).rejects.toMatchObject({ code: 'bad_document', message: expect.stringContaining('task_results.0.task.created_at') });
    await restore2();
    expect((await audit()).ok).toBe(true);
  });

  it('god auditor --once exits 0 on a match, 1 on a mismatch and 2 when it cannot audit', async () => {
    const run = async (args: string[]) => {
      let out = '';
      let code: number | undefined;
      const program = new Command().exitOverride();
      registerAuditor(program, { out: (t) => (out += t), err: (t) => (out += t), setExitCode: (c) => (code = c), env: {} });
      await program.parseAsync(['node', 'god', 'auditor', ...args]);
      return { out, code };
    };
    const common = ['--once', '--validator-url', apiUrl, '--chain-url', chainHttp.url, '--netuid', String(NETUID), '--hotkey', validator.ss58Address, '--set', `scoring.emissionBurnHotkey=${burn.ss58Address}`];
    const ok = await run(common);
    expect(ok.out).toMatch(/^OK: validator/);
    expect(ok.code).toBe(0);

    const restore = await editScoresFile((file) => {
      file.task_results.pop();
    });
    const bad = await run([...common, '--json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.out)).toMatchObject({ ok: false });
    await restore();

    const down = await run(['--once', '--validator-url', 'http://127.0.0.1:9', '--chain-url', chainHttp.url, '--hotkey', validator.ss58Address]);
    expect(down.code).toBe(2);
    expect(down.out).toContain('unreachable');
  });
});
