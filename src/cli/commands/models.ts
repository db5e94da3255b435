/**
 * `god models`: the built-in base models. `build` pre-trains the zoo (deterministic, cached under
 * $GOD_HOME/models, skipped when cached) with progress lines; `list` shows each model and whether it is built.
 */
import type { Command } from 'commander';

/** Loaded on use, so `god --help` does not load the ML engine. */
const zoo = () => import('../../ml/zoo.ts');

function fmtSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  return s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${s.toFixed(0)}s`;
}

export function register(program: Command): void {
  const models = program
    .command('models')
    .description('built-in base models (tiny GPTs and caption-conditioned image denoisers) pre-trained on this machine, cached in $GOD_HOME/models');

  models
    .command('build')
    .description('pre-train the base-model zoo from the built-in corpora (deterministic; models already built with the same recipe are skipped)')
    .argument('[ids...]', 'models to build (default: all; see `god models list`)')
    .option('--force', 'rebuild even when cached')
    .option('--home <dir>', 'data directory (default $GOD_HOME, else ./.god)')
    .action(async (ids: string[], opts: { force?: boolean; home?: string }) => {
      const { ZOO, defaultHome, ensureBaseModel, isCached, zooEntry } = await zoo();
      const home = opts.home ?? defaultHome();
      const wanted = ids.length > 0 ? ids.map((id) => zooEntry(id).id) : ZOO.map((z) => z.id);
      const start = performance.now();
      for (const id of wanted) {
        if (!opts.force && (await isCached(id, home))) {
          process.stdout.write(`${id}: cached, skipped\n`);
          continue;
        }
        let lastPrint = 0;
        const dir = await ensureBaseModel(id, {
          home,
          force: opts.force ?? false,
          onProgress: (p) => {
            const now = performance.now();
            if (now - lastPrint < 2000 && p.step !== p.totalSteps) return;
            lastPrint = now;
            process.stdout.write(`${id}: step ${p.step}/${p.totalSteps} loss ${p.loss.toFixed(4)} elapsed ${fmtSeconds(p.elapsedSeconds)} eta ${fmtSeconds(p.etaSeconds)}\n`);
          },
        });
        process.stdout.write(`${id}: built → ${dir}\n`);
      }
      process.stdout.write(`done in ${fmtSeconds((performance.now() - start) / 1000)}\n`);
    });

  models
    .command('list')
    .description('list the base models, their parameter counts and whether they are built')
    .option('--json', 'print JSON')
    .option('--home <dir>', 'data directory (default $GOD_HOME, else ./.god)')
    .action(async (opts: { json?: boolean; home?: string }) => {
      const { defaultHome, listBaseModels } = await zoo();
      const list = await listBaseModels(opts.home ?? defaultHome());
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        return;
      }
      for (const m of list) {
        process.stdout.write(`${m.id.padEnd(26)} ${m.kind.padEnd(8)} ${String(m.params).padStart(9)} params  ${m.cached ? 'built  ' : 'missing'}  ${m.description}\n`);
      }
    });
}
