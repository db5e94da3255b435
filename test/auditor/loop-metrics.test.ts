/**
 * `god auditor` in loop mode with `--metrics-port`: every audit it runs against the devnet chain and the
 * validator's real public API is counted in `god_audits_total` by outcome, read from its own `/metrics`. Nothing is
 * faked: the validator's weight setter publishes the scores file to a signed-URL blob store over loopback HTTP.
 */
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevnetChainService, inProcessChain, serveDevnetChain, type DevnetChain } from '../../src/chain/devnet/index.ts';
import { registerAuditor } from '../../src/cli/commands/auditor.ts';
import { ManualClock } from '../../src/clock/index.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { openTestDb, type TestDb } from '../../src/db/testing.ts';
import type { GodServer } from '../../src/http/index.ts';
import { Sr25519Keypair, initCrypto } from '../../src/keys/keypair.ts';
import { StorageBlobAdapter } from '../../src/validator/adapters/blob-stores.ts';
import { setWeightsOnce } from '../../src/validator/weights/loop.ts';
import { testContext } from '../validator/support/context.ts';
import { publishValidator, type PublishedValidator } from './support.ts';

const NETUID = 56;
const START = Date.UTC(2025, 8, 15, 12, 0, 0);

let clock: ManualClock;
let service: DevnetChainService;
let validator: Sr25519Keypair;
let validatorChain: DevnetChain;
let miner: Sr25519Keypair;
let burn: Sr25519Keypair;
let config: Config;
let tdb: TestDb;
let published: PublishedValidator | undefined;
let apiUrl: string;
let blobs: StorageBlobAdapter;
let chainHttp: { server: GodServer; url: string };

beforeAll(async () => {
  await initCrypto();
  clock = new ManualClock(START);
  validator = Sr25519Keypair.fromUri('//LoopAuditedValidator');
  miner = Sr25519Keypair.fromUri('//LoopAuditMiner');
  burn = Sr25519Keypair.fromUri('//LoopAuditBurn');
  const base = loadConfig({ env: {} }).config;
  config = { ...base, scoring: { ...base.scoring, emissionBurnHotkey: burn.ss58Address } };

  service = await DevnetChainService.open({ clock, netuids: [NETUID], subnet: { tempo: 360, weightsSetRateLimit: 3 } });
  const coldkey = Sr25519Keypair.fromUri('//LoopAuditColdkey').ss58Address;
  validatorChain = inProcessChain(service, validator);
  await validatorChain.register({ netuid: NETUID, coldkey, alphaStake: 5000 });
  for (const k of [miner, burn]) await inProcessChain(service, k).register({ netuid: NETUID, coldkey });
  chainHttp = await serveDevnetChain(service);

  tdb = await openTestDb('pglite');
  const { rows } = await tdb.db.query<{ task_id: string }>(
    `INSERT INTO tasks (model_id, ds, status, hours_to_complete, account_id, created_at, updated_at, completed_at, task_type, is_organic, model_params_count)
     VALUES ('gpt2', 'org/dataset', 'success', 2, '00000000-0000-0000-0000-000000000000', $1, $1, $1, 'InstructTextTask', false, 0) RETURNING task_id::text`,
    [new Date(START - 43_200_000)],
  );
  const taskId = rows[0]!.task_id;
  await tdb.db.query(`INSERT INTO instruct_text_tasks (task_id, field_instruction) VALUES ($1, 'instruction')`, [taskId]);
  await tdb.db.query('INSERT INTO task_nodes (task_id, hotkey, netuid, quality_score) VALUES ($1, $2, $3, 3)', [taskId, miner.ss58Address, NETUID]);

  published = await publishValidator(tdb.db, clock, config);
  ({ blobs, apiUrl } = published);
}, 120_000);

afterAll(async () => {
  await published?.close();
  await chainHttp?.server.close();
  await service?.stop();
  await tdb?.cleanup();
});

describe('god auditor --metrics-port', () => {
  it('counts each audit of the loop by outcome on its /metrics: error, then ok, then mismatch', async () => {
    const stop = new AbortController();
    let err = '';
    let out = '';
    let code: number | undefined;
    const program = new Command().exitOverride();
    registerAuditor(program, { out: (t) => (out += t), err: (t) => (err += t), setExitCode: (c) => (code = c), env: {}, stop: stop.signal });
    const args = ['--validator-url', apiUrl, '--chain-url', chainHttp.url, '--netuid', String(NETUID), '--hotkey', validator.ss58Address];
    const run = program.parseAsync(['node', 'god', 'auditor', ...args, '--interval', '1', '--metrics-port', '0', '--set', `scoring.emissionBurnHotkey=${burn.ss58Address}`, '--set', 'general.logLevel=silent']);
    try {
      let metricsUrl: string | undefined;
      for (let i = 0; i < 200 && !metricsUrl; i++) {
        metricsUrl = /metrics on (http:\/\/\S+)/.exec(err)?.[1];
        if (!metricsUrl) await new Promise((r) => setTimeout(r, 50));
      }
      expect(metricsUrl, err).toBeDefined();
      const audits = async (outcome: string) => {
        const line = (await (await fetch(metricsUrl!)).text()).split('\n').find((l) => l.startsWith(`god_audits_total{outcome="${outcome}",role="auditor"}`));
        return line ? Number(line.split(' ').at(-1)) : 0;
      };
      const until = async (outcome: string) => {
        for (let i = 0; i < 300 && (await audits(outcome)) < 1; i++) await new Promise((r) => setTimeout(r, 50));
        expect(await audits(outcome), `${outcome}: ${err}${out}`).toBeGreaterThanOrEqual(1);
      };

      // Nothing published yet: the audit cannot run.
      await until('error');
      expect(await audits('ok')).toBe(0);

      // The validator sets weights and publishes its scores file: the next audits match.
      for (let i = 0; i < 5; i++) service.produceBlock();
      const ctx = { ...testContext({ db: tdb.db, clock, keypair: validator, config, chain: validatorChain }), blobs };
      const attempt = await setWeightsOnce(ctx);
      expect(attempt.kind).toBe('set');
      if (attempt.kind !== 'set') return;
      await until('ok');
      expect(out).toMatch(/^OK: validator/);

      // The published file is edited afterwards (chain weights unchanged): a mismatch, not a transient one.
      const key = blobs.keyOfUrl(attempt.url)!;
      const file = JSON.parse(new TextDecoder().decode(new Uint8Array(await (await fetch(await blobs.signedUrl(key, 60))).arrayBuffer())));
      file.task_results[0].node_scores[0].quality_score = -1;
      await blobs.put(key, new TextEncoder().encode(JSON.stringify(file)), 'application/json');
      await until('mismatch');
      expect(await audits('transient')).toBe(0);
    } finally {
      stop.abort();
      await run;
    }
    expect(code).toBeUndefined();
    // The metrics server went away with the loop.
    const url = /metrics on (http:\/\/\S+)/.exec(err)?.[1];
    await expect(fetch(url!)).rejects.toThrow();
  }, 120_000);
});
