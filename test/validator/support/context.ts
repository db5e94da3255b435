/**
 * A validator context for tests: real database, real signed client over loopback, in-memory blob store, the
 * built-in dataset source and template LLM, and a table-driven evaluator and hub whose numbers the test chooses
 * (the ML engine is tested on its own; here the numbers only have to be known).
 */
import type { Clock } from '../../../src/clock/index.ts';
import { loadConfig } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/schema.ts';
import type { Db } from '../../../src/db/types.ts';
import type { Sr25519Keypair } from '../../../src/keys/keypair.ts';
import { silentLogger, type Logger } from '../../../src/log/index.ts';
import { SqlNodeStore } from '../../../src/metagraph/store.ts';
import { SignedClient } from '../../../src/net/client.ts';
import { BuiltinContentService, BuiltinDatasetSource, BuiltinImageGenerator, noTournaments, TemplateLlm } from '../../../src/validator/adapters/builtin.ts';
import { MemoryBlobStore } from '../../../src/validator/adapters/blob-stores.ts';
import type { ValidatorContext } from '../../../src/validator/context.ts';
import type { DataRow, EvaluationExecutor, EvaluationJob, ModelHub, RewardChecker, ValidatorChain } from '../../../src/validator/ports.ts';
import { seededRandom } from '../../../src/validator/rng.ts';

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? Partial<T[K]> : T[K] };

/** The reference config with per-group overrides (tests shrink row minimums, leases and intervals). */
export function testConfig(overrides: DeepPartial<Config> = {}): Config {
  const base = loadConfig({ env: {} }).config;
  const out: Record<string, unknown> = {};
  for (const [group, values] of Object.entries(base)) {
    out[group] = { ...(values as object), ...((overrides as Record<string, object | undefined>)[group] ?? {}) };
  }
  return out as unknown as Config;
}

/** Loss per repo and split; a string is that repo's error text; undefined leaves it out of the file. */
export type LossTable = (repo: string, job: EvaluationJob) => number | string | undefined;

export class TableExecutor implements EvaluationExecutor {
  readonly jobs: EvaluationJob[] = [];
  failWith: string | null = null;
  constructor(public losses: LossTable, readonly modelParamsCount = 123_456) {}

  async run(job: EvaluationJob): Promise<unknown> {
    this.jobs.push(job);
    if (this.failWith) throw new Error(this.failWith);
    const out: Record<string, unknown> = { model_params_count: this.modelParamsCount };
    for (const repo of job.repos) {
      const v = this.losses(repo, job);
      if (v === undefined) continue;
      if (typeof v === 'string') out[repo] = v;
      else if (job.task_type === 'ImageTask') out[repo] = { eval_loss: { text_guided_losses: [v], no_text_losses: [v] } };
      else out[repo] = { eval_loss: v, is_finetune: true };
    }
    return out;
  }
}

export class TableHub implements ModelHub {
  readonly uploads = new Map<string, Date>();
  async repoInfo(repo: string) {
    const at = this.uploads.get(repo);
    return at ? { lastModified: at } : null;
  }
}

/** Accepts functions whose source contains `def `, refuses the rest (stands in for the Python sandbox). */
export const defChecker: RewardChecker = {
  async validate(code: string, _rows: readonly DataRow[]) {
    return code.includes('def ') ? { valid: true, error: null } : { valid: false, error: 'no function definition' };
  },
};

export interface TestContextOptions {
  db: Db;
  clock: Clock;
  keypair: Sr25519Keypair;
  config?: Config;
  executor?: EvaluationExecutor;
  hub?: ModelHub;
  chain?: ValidatorChain;
  log?: Logger;
  seed?: number;
  worker?: string;
  blobs?: MemoryBlobStore;
  metrics?: ValidatorContext['metrics'];
}

export function testContext(o: TestContextOptions): ValidatorContext & { blobs: MemoryBlobStore } {
  const config = o.config ?? testConfig();
  const blobs = o.blobs ?? new MemoryBlobStore(o.clock);
  const fetch = blobs.fetcher();
  return {
    db: o.db,
    clock: o.clock,
    log: o.log ?? silentLogger(),
    config,
    netuid: config.protocol.netuid,
    hotkey: o.keypair.ss58Address,
    worker: o.worker ?? 'test-worker',
    random: seededRandom(o.seed ?? 7),
    // Nonces use wall-clock time (miners check them against theirs), whatever clock drives the loops.
    miners: new SignedClient({ keypair: o.keypair }),
    blobs,
    fetch,
    hub: o.hub ?? new TableHub(),
    llm: new TemplateLlm(),
    datasets: new BuiltinDatasetSource(fetch),
    content: new BuiltinContentService({ textModels: [{ model_id: 'god-local/tiny-gpt', params: 1_000_000 }], imageModels: [{ model_id: 'god-local/tiny-denoiser', model_type: 'sdxl' }] }),
    images: new BuiltinImageGenerator(),
    rewards: defChecker,
    executor: o.executor ?? new TableExecutor(() => 1.0),
    tournaments: noTournaments,
    ...(o.chain ? { chain: o.chain } : {}),
    ...(o.metrics ? { metrics: o.metrics } : {}),
  };
}

/** Writes the metagraph rows for these miners (uids from 1; uid 0 is left for the validator if given). */
export async function registerNodes(db: Db, netuid: number, miners: readonly { hotkey: string; port: number }[], at: Date, validator?: string): Promise<void> {
  const rows = miners.map((m, i) => ({
    hotkey: m.hotkey,
    netuid,
    node_id: i + 1,
    coldkey: m.hotkey,
    ip: '127.0.0.1',
    ip_type: 4,
    port: m.port,
    protocol: 4,
    trust: 0,
    vtrust: 0,
    stake: 0,
    alpha_stake: 0,
    tao_stake: 0,
    incentive: 0,
    last_updated: 0,
    our_validator: false,
  }));
  if (validator) {
    rows.unshift({ ...rows[0]!, hotkey: validator, coldkey: validator, node_id: 0, ip: '0.0.0.0', ip_type: 0, port: 0, stake: 5000, our_validator: true });
  }
  await new SqlNodeStore(db).replaceNodes(netuid, rows, at);
}
