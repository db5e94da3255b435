/**
 * `god devnet` (what `npm start` runs): a whole subnet on this machine — devnet chain, storage (hub + blobs),
 * the validator's own loops on PGlite, and miners with different recipes, one that fails and one that copies —
 * printing what happens as it happens. `--once` runs one task of each evaluated type to the end, prints the
 * summary and the weights set on the chain, and exits.
 */
import { resolve, join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import type { TaskType } from '../../core/enums.ts';

/** The roles of a subnet and whether `god devnet` runs them. */
export const ROLES = [
  { name: 'validator', implemented: true, what: 'turns requests into tasks, evaluates and scores miners, sets weights' },
  { name: 'miner', implemented: true, what: 'accepts offers, trains models, submits repositories' },
  { name: 'trainer', implemented: true, what: 'runs tournament miners\' training repos on validator-owned GPUs' },
  { name: 'auditor', implemented: false, what: 'recomputes the validator\'s weights from its published results' },
] as const;

const TYPE_ALIASES: Record<string, TaskType> = { instruct: 'InstructTextTask', chat: 'ChatTask', dpo: 'DpoTask', grpo: 'GrpoTask', image: 'ImageTask' };

function positive(raw: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}

function typeList(raw: string): TaskType[] {
  return raw.split(',').map((s) => {
    const t = TYPE_ALIASES[s.trim().toLowerCase()];
    if (!t) throw new InvalidArgumentError(`unknown task type "${s}" (instruct, chat, dpo, grpo, image)`);
    return t;
  });
}

export interface DevnetCliOptions {
  once: boolean;
  hourSeconds: number;
  steps: number;
  types?: TaskType[];
  home?: string;
  timeout: number;
  miners: string;
  logLevel?: string;
  synthetic: boolean;
  /** --tournaments / --no-tournaments (undefined: neither given). */
  tournaments?: boolean;
  tournamentSteps: number;
  trainerGpus: string;
}

export function register(program: Command): void {
  program
    .command('devnet')
    .description('run a whole subnet on this machine: devnet chain, model hub + blob store, validator (PGlite) and miners with different recipes (one fails, one copies)')
    .option('--once', 'create one task of every evaluated type, run them to the end, print the summary and the weights set, exit 0 on success', false)
    .option('--hour-seconds <n>', 'real seconds per task hour (the time scale)', positive, 45)
    .option('--steps <n>', 'training steps per job for the built-in recipes', positive, 80)
    .option('--types <list>', 'task types for --once: instruct,chat,dpo,grpo,image (default: all)', typeList)
    .option('--miners <list>', 'miners as name:kind[:recipe|:copied-miner], kinds builtin/broken/copycat', 'bob:builtin:careful,charlie:builtin:aggressive,dave:broken,eve:copycat:charlie')
    .option('--home <dir>', 'where the devnet writes hub, blobs, scratch and the base-model zoo (default $GOD_HOME/devnet)')
    .option('--timeout <s>', 'with --once: give up when the tasks have not finished this many seconds after they were created (--tournaments: default 1200)', positive, 600)
    .option('--no-synthetic', 'continuous mode: do not let the validator create synthetic tasks')
    .option('--tournaments', 'with --once: run a text and an image tournament (8 tournament miners, a trainer node) to a champion instead of the real-time tasks; print the brackets and the weights')
    .option('--no-tournaments', 'continuous mode: do not run tournaments (they run by default)')
    .option('--tournament-steps <n>', 'training steps per tournament job (each recipe scales it)', positive, 30)
    .option('--trainer-gpus <list>', 'the trainer node\'s virtual GPUs (text trains on H100, image on A100/H100)', '2xH100,1xA100')
    .option('--log-level <level>', 'show the components\' own structured logs at this level (default: only the devnet\'s lines)')
    .addHelpText('after', '\nRecipes: careful (LoRA, lr 3e-3), aggressive (full fine-tune, lr 1e-2), lazy (LoRA rank 2, a tenth of the steps).\nbroken fails every job (failure score); copycat uploads another miner\'s result (caught as a duplicate).\nDatabases are in memory: every run starts from an empty chain and validator.')
    .action(async (opts: DevnetCliOptions) => {
      const code = await runDevnetCli(opts, (line) => process.stdout.write(`${line}\n`));
      process.exitCode = code;
    });
}

export function parseMiners(raw: string): import('../../devnet/devnet.ts').DevnetMinerSpec[] {
  const uris = ['//Bob', '//Charlie', '//Dave', '//Eve', '//Ferdie', '//Miner6', '//Miner7', '//Miner8'];
  return raw.split(',').map((entry, i) => {
    const [name, kind, extra] = entry.trim().split(':');
    if (!name || !/^[a-z][a-z0-9-]{1,30}$/.test(name)) throw new InvalidArgumentError(`miner "${entry}": the name must be lower-case letters/digits`);
    const uri = uris[i] ?? `//Miner${i}`;
    if (kind === 'builtin') {
      const recipe = extra ?? 'careful';
      if (!['careful', 'aggressive', 'lazy'].includes(recipe)) throw new InvalidArgumentError(`miner ${name}: unknown recipe ${recipe}`);
      return { name, uri, kind, recipe: recipe as 'careful' };
    }
    if (kind === 'broken') return { name, uri, kind };
    if (kind === 'copycat') {
      if (!extra) throw new InvalidArgumentError(`miner ${name}: copycat needs the miner it copies (eve:copycat:charlie)`);
      return { name, uri, kind, copies: extra };
    }
    throw new InvalidArgumentError(`miner "${entry}": kind must be builtin, broken or copycat`);
  });
}

export async function runDevnetCli(opts: DevnetCliOptions, out: (line: string) => void): Promise<number> {
  const [{ loadConfig }, devnet, run, { ensureBaseModel }, { beatsBase }] = await Promise.all([
    import('../../config/load.ts'),
    import('../../devnet/devnet.ts'),
    import('../../devnet/run.ts'),
    import('../../ml/zoo.ts'),
    import('../../devnet/grpo.ts'),
  ]);
  const { config } = loadConfig();
  const home = resolve(opts.home ?? join(config.general.home, 'devnet'));
  const miners = parseMiners(opts.miners);
  const textModel = 'god-local/tinygpt-tiny';
  const imageModel = 'god-local/tinydiff-tiny';
  const t0 = Date.now();
  // Tournaments run in continuous mode unless --no-tournaments; --once runs them instead of the tasks with --tournaments.
  const withTournaments = opts.once ? opts.tournaments === true : opts.tournaments !== false;
  out(`god devnet: home ${home}; one task hour = ${opts.hourSeconds}s; ${opts.steps} training steps per job`);
  await devnet.cleanDevnetHome(home);
  await ensureBaseModel(textModel, { home });
  const wantsImage = opts.once ? (opts.types ?? []).includes('ImageTask') || !opts.types : true;
  if (wantsImage) await ensureBaseModel(imageModel, { home });
  const dn = await devnet.startDevnet({
    home,
    hourSeconds: opts.hourSeconds,
    steps: opts.steps,
    miners,
    textModel,
    imageModel,
    synthetic: !opts.once && opts.synthetic,
    weightsLoop: !opts.once,
    // GRPO reward functions are checked at prep by the Python sandbox.
    sandbox: !opts.once || (opts.types ?? devnet.EVALUATED_TYPES).includes('GrpoTask'),
    ...(opts.logLevel ? { logLevel: opts.logLevel } : {}),
    ...(withTournaments ? { tournaments: { steps: opts.tournamentSteps, gpus: opts.trainerGpus } } : {}),
  });
  const watcher = new AbortController();
  // The validator API with the web dashboard (src/web), on the devnet validator's database.
  const dash = await (await import('../../web/devnet.ts')).startDevnetDashboard(dn).catch(async (err: unknown) => {
    await dn.stop();
    throw err;
  });
  try {
    out(`  dashboard     ${dash.dashboardUrl}  (API ${dash.url}; customer API key ${dash.customerKey})`);
    out(`  hub + blobs   ${dn.urls.hub}`);
    out(`  chain         embedded devnet chain, netuid ${dn.ctx.netuid}, validator alice uid ${dn.validatorUid}`);
    for (const m of dn.miners) {
      const what = m.spec.kind === 'builtin' ? `built-in, ${m.spec.recipe} recipe` : m.spec.kind === 'broken' ? 'broken: fails every job' : `copycat: copies ${m.spec.copies}`;
      out(`  miner ${m.spec.name.padEnd(8)} uid ${m.uid}  ${m.url}  ${what}`);
    }
    const tournamentReport = await import('../../devnet/tournament-report.ts');
    for (const m of dn.tournaments?.miners ?? []) out(`  tournament miner ${m.name.padEnd(10)} uid ${m.uid}  ${m.url}  ${m.recipe.what}; repo ${m.repo.path} @ ${m.repo.commit.slice(0, 10)}`);
    if (dn.tournaments) out(`  trainer       ${dn.tournaments.trainerUrl} (local executor, GPUs ${opts.trainerGpus}); champion placeholder uid ${dn.tournaments.burnUid}`);
    const watching = Promise.all([run.watch(dn, out, watcher.signal), dn.tournaments ? tournamentReport.watchTournaments(dn, out, watcher.signal) : null]);
    if (opts.once && dn.tournaments) {
      const { runTournamentsOnce } = await import('../../devnet/tournament-once.ts');
      return await runTournamentsOnce(dn, out, (opts.timeout === 600 ? 1200 : opts.timeout) * 1000, async () => {
        watcher.abort();
        await watching;
      });
    }
    if (!opts.once) {
      out('running until Ctrl-C' + (opts.synthetic ? '; the validator creates synthetic tasks' : ''));
      await new Promise<void>((r) => {
        process.once('SIGINT', () => r());
        process.once('SIGTERM', () => r());
      });
      watcher.abort();
      await watching;
      return 0;
    }
    const wanted = opts.types ?? devnet.EVALUATED_TYPES;
    for (const type of ['InstructTextTask', 'ChatTask', 'DpoTask', 'GrpoTask', 'ImageTask'] as const) {
      if (!wanted.includes(type)) continue;
      if (!devnet.EVALUATED_TYPES.includes(type)) {
        out(`  ${type}: not covered by --once`);
        continue;
      }
      const task = await devnet.createDevnetTask(dn, type);
      out(`  created ${type} task ${String(task.task_id).slice(0, 8)} on ${task.ds}`);
    }
    const tasks = await run.waitForFinal(dn, opts.timeout * 1000);
    watcher.abort();
    await watching;
    const lines = await run.summarize(dn, home);
    out('');
    out('summary (* = winner; vs base = how much better than the base model the test metric is: lower loss, GRPO higher reward):');
    for (const l of run.summaryTable(dn, lines)) out(`  ${l}`);
    const weights = await run.setAndReadWeights(dn);
    out('');
    out(`weights set on the chain by alice (${weights.attempt.kind}):`);
    for (const l of run.weightsTable(dn, weights.onChain)) out(l);
    out('');
    let ok = weights.attempt.kind === 'set';
    for (const l of lines) {
      const beat = l.winner !== null && beatsBase(l.task.task_type, l.winner.test_loss, l.baseLoss);
      if (l.task.status !== 'success' || !beat) ok = false;
      out(`  ${l.task.task_type.padEnd(16)} ${l.task.status.padEnd(8)} ${beat ? `winner ${run.minerName(dn, l.winner!.hotkey)} beats the base model` : 'no winner beating the base model'}`);
    }
    out(`done in ${((Date.now() - t0) / 1000).toFixed(0)}s: ${tasks.length} task(s), ${ok ? 'all succeeded' : 'NOT all succeeded'}`);
    return ok ? 0 : 1;
  } finally {
    watcher.abort();
    await dash.close();
    await dn.stop();
  }
}
