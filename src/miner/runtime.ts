/**
 * A whole miner in one process: the job worker and the HTTP server over one database. Used by `god miner run`
 * and, in-process, by the devnet.
 */
import type { Clock } from '../clock/index.ts';
import { systemClock } from '../clock/index.ts';
import type { MinerRules } from '../core/rules/miner.ts';
import type { Queryable } from '../db/types.ts';
import { silentLogger, type Logger } from '../log/index.ts';
import type { VerifyContext } from '../net/verify.ts';
import type { TrainingBackend } from './backends/types.ts';
import type { MinerModelHub } from './ports.ts';
import { createMinerServer, type TrainingRepoSetting } from './server.ts';
import { MinerWorker } from './worker.ts';

export interface MinerRuntimeOptions {
  readonly db: Queryable;
  readonly minerHotkey: string;
  readonly lookupStake: VerifyContext['lookupStake'];
  readonly minStake: number;
  readonly rules: MinerRules;
  readonly hubUsername: string;
  readonly dataDir: string;
  readonly backend: TrainingBackend;
  readonly hub: MinerModelHub;
  readonly host?: string;
  readonly port?: number;
  readonly clock?: Clock;
  readonly log?: Logger;
}

export interface RunningMiner {
  readonly url: string;
  readonly worker: MinerWorker;
  stop(): Promise<void>;
}

/** The training repo answer from the rules (image falls back to the text values). */
export function trainingRepoFromRules(rules: MinerRules): { text: TrainingRepoSetting; image: TrainingRepoSetting } {
  const text = { githubRepo: rules.trainingRepoUrl, commitHash: rules.trainingRepoCommit };
  return { text, image: { githubRepo: rules.imageTrainingRepoUrl ?? text.githubRepo, commitHash: rules.imageTrainingRepoCommit ?? text.commitHash } };
}

export async function startMiner(o: MinerRuntimeOptions): Promise<RunningMiner> {
  const clock = o.clock ?? systemClock;
  const log = o.log ?? silentLogger();
  const worker = new MinerWorker({ db: o.db, backend: o.backend, hub: o.hub, rules: o.rules, clock, log: log.child({ component: 'worker' }) });
  await worker.start();
  const server = createMinerServer({
    db: o.db,
    minerHotkey: o.minerHotkey,
    lookupStake: o.lookupStake,
    minStake: o.minStake,
    rules: o.rules,
    hubUsername: o.hubUsername,
    dataDir: o.dataDir,
    trainingRepo: trainingRepoFromRules(o.rules),
    backendName: o.backend.name,
    onEnqueued: () => worker.poke(),
    clock,
    log: log.child({ component: 'api' }),
  });
  let url: string;
  try {
    url = await server.listen({ port: o.port ?? 7999, host: o.host ?? '0.0.0.0' });
  } catch (err) {
    await worker.stop();
    throw err;
  }
  return {
    url,
    worker,
    async stop() {
      await server.close();
      await worker.stop();
    },
  };
}
