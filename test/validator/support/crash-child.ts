/**
 * Child process of the crash-resume test: runs the validator's loops on a PGlite data directory with a fast
 * clock that continues across restarts, logs JSON lines to stdout, and exits by itself once every task is in a
 * terminal status. The parent kills it with SIGKILL at chosen points and starts it again.
 *
 * argv: <dataDir> <json: { t0, r0, factor, miners: { [namespace]: loss } }>
 */
import pino from 'pino';
import { ScaledClock } from '../../../src/clock/index.ts';
import { openDb } from '../../../src/db/index.ts';
import { initCrypto, Sr25519Keypair } from '../../../src/keys/keypair.ts';
import { Validator } from '../../../src/validator/validator.ts';
import { TableExecutor, testConfig, testContext } from './context.ts';

const [dataDir, raw] = process.argv.slice(2);
if (!dataDir || !raw) throw new Error('usage: crash-child.ts DATA_DIR JSON');
const args = JSON.parse(raw) as { t0: number; r0: number; factor: number; losses: Record<string, number> };

await initCrypto();
const keypair = Sr25519Keypair.fromUri('//CrashValidator');
const clock = new ScaledClock(args.factor, { origin: args.t0 + (Date.now() - args.r0) * args.factor });
const db = await openDb({ dataDir });
const log = pino({ level: 'info', base: { pid: process.pid } }, pino.destination({ dest: 1, sync: true }));
const config = testConfig({
  validator: {
    // Generous: the miners answer from the parent test process on a shared, loaded machine.
    offerTimeoutSeconds: 3,
    startTrainingTimeoutSeconds: 3,
    submissionTimeoutSeconds: 3,
    pendingLoopIdleSeconds: 60,
    pendingLoopErrorSeconds: 60,
    preevaluationPollSeconds: 60,
  },
  evaluation: { pollIntervalSeconds: 60 },
});
const executor = new TableExecutor((repo) => args.losses[repo.split('/')[0] ?? ''] ?? 'unknown repository');
const ctx = testContext({ db, clock, keypair, config, executor, log, worker: `child-${process.pid}` });
const validator = new Validator(ctx, { synthetic: false, weights: false });
await validator.start();

const TERMINAL = ['success', 'failure', 'failure_finding_nodes', 'prep_task_failure'];
for (;;) {
  await new Promise((r) => setTimeout(r, 100));
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM tasks WHERE status <> ALL($1::text[])', [TERMINAL]);
  if (rows[0]?.n === 0) break;
}
await validator.stop();
await db.close();
log.info('all tasks finished');
process.exit(0);
