/**
 * The devnet's tournament training repositories: one local git repository per recipe, created at start-up under
 * the devnet home, each following the trainer's local repo contract (docs/trainer.md): `scripts/text_trainer.mjs`
 * and `scripts/image_trainer.mjs`, Node scripts that import the engine the trainer links into the job's cache and
 * run one whole training job with the recipe's hyper-parameters. One recipe exits with an error, as a broken
 * miner's code would.
 */
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Hyper } from '../ml/jobs/spec.ts';

const run = promisify(execFile);

/** Text rows a recipe samples from the task's training file. */
export const MAX_ROWS = 400;

/** Hyper-parameters a recipe sets; `steps` is a share of the devnet's tournament step budget. */
export type RecipeHyper = Partial<Omit<Hyper, 'steps'>> & { stepsFactor: number };

export interface TournamentRecipe {
  /** Also the tournament miner's name. */
  readonly name: string;
  readonly what: string;
  /** Null: the entry script fails before training. */
  readonly text: RecipeHyper | null;
  readonly image: RecipeHyper | null;
}

/**
 * Eight entrants' recipes — different methods, learning rates and step counts, one broken — and the champion's
 * baseline (the code the burn placeholder plays with before any tournament has a winner).
 */
export const TOURNAMENT_RECIPES: readonly TournamentRecipe[] = [
  { name: 'lora-r8', what: 'LoRA rank 8, lr 3e-3', text: { method: 'lora', loraRank: 8, loraAlpha: 16, lr: 3e-3, stepsFactor: 1 }, image: { method: 'lora', loraRank: 8, loraAlpha: 16, lr: 3e-3, stepsFactor: 1 } },
  { name: 'lora-r2', what: 'LoRA rank 2, lr 1e-3', text: { method: 'lora', loraRank: 2, loraAlpha: 4, lr: 1e-3, stepsFactor: 1 }, image: { method: 'lora', loraRank: 2, loraAlpha: 4, lr: 1e-3, stepsFactor: 1 } },
  { name: 'lora-long', what: 'LoRA rank 8, lr 3e-3, twice the steps', text: { method: 'lora', loraRank: 8, loraAlpha: 16, lr: 3e-3, stepsFactor: 2 }, image: { method: 'lora', loraRank: 8, loraAlpha: 16, lr: 3e-3, stepsFactor: 2 } },
  { name: 'lora-hot', what: 'LoRA rank 16, lr 2e-2', text: { method: 'lora', loraRank: 16, loraAlpha: 32, lr: 2e-2, stepsFactor: 1 }, image: { method: 'lora', loraRank: 16, loraAlpha: 32, lr: 2e-2, stepsFactor: 1 } },
  // The image evaluator accepts LoRA repositories only, so the full fine-tuners train image tasks as LoRA too.
  { name: 'full-ft', what: 'full fine-tune, lr 1e-2 (image: LoRA rank 8, lr 1e-2)', text: { method: 'full', lr: 1e-2, stepsFactor: 1 }, image: { method: 'lora', loraRank: 8, loraAlpha: 16, lr: 1e-2, stepsFactor: 1 } },
  { name: 'full-slow', what: 'full fine-tune, lr 1e-3 (image: LoRA rank 4, lr 1e-3)', text: { method: 'full', lr: 1e-3, stepsFactor: 1 }, image: { method: 'lora', loraRank: 4, loraAlpha: 8, lr: 1e-3, stepsFactor: 1 } },
  { name: 'lazy', what: 'LoRA rank 2, lr 1e-4, a quarter of the steps', text: { method: 'lora', loraRank: 2, loraAlpha: 4, lr: 1e-4, stepsFactor: 0.25 }, image: { method: 'lora', loraRank: 2, loraAlpha: 4, lr: 1e-4, stepsFactor: 0.25 } },
  { name: 'broken', what: 'exits with an error before training', text: null, image: null },
];

export const CHAMPION_RECIPE: TournamentRecipe = {
  name: 'champion',
  what: 'baseline: LoRA rank 4, lr 2e-3',
  text: { method: 'lora', loraRank: 4, loraAlpha: 8, lr: 2e-3, stepsFactor: 1 },
  image: { method: 'lora', loraRank: 4, loraAlpha: 8, lr: 2e-3, stepsFactor: 1 },
};

export interface RecipeRepo {
  readonly recipe: TournamentRecipe;
  /** Absolute path of the repository (what the miner answers as `github_repo`). */
  readonly path: string;
  /** Full sha of its single commit. */
  readonly commit: string;
}

/** The hyper-parameters a recipe trains with under a step budget (at least one step, evaluation at the end). */
export function recipeHyper(h: RecipeHyper, steps: number, seed: number): Record<string, unknown> {
  const { stepsFactor, ...rest } = h;
  const n = Math.max(1, Math.round(steps * stepsFactor));
  return { batchSize: 8, warmupSteps: Math.min(5, Math.floor(n / 4)), evalEvery: 0, maxEvalRows: 32, ...rest, steps: n, seed };
}

/**
 * The entry script of one recipe for one task family. It takes the engine from the job's cache (the only code it
 * can read besides its own repository), trains in its own process and writes the result where the trainer
 * publishes from; a recipe without hyper-parameters fails, as broken miner code does.
 */
export function entryScript(recipe: TournamentRecipe, family: 'text' | 'image', steps: number, seed: number): string {
  const h = family === 'text' ? recipe.text : recipe.image;
  if (!h) {
    return `// ${recipe.name}: ${recipe.what}\nconsole.error('${recipe.name}: this recipe is broken on purpose');\nprocess.exit(3);\n`;
  }
  const hyper = JSON.stringify(recipeHyper(h, steps, seed));
  return `// ${recipe.name}: ${recipe.what} (god devnet tournament recipe)
import { readFileSync } from 'node:fs';
const cache = process.argv[process.argv.indexOf('--cache-dir') + 1];
const engine = await import(cache + '/god/engine.mjs');
const job = engine.contract(process.argv);
const hyper = ${hyper};
const image = job.taskType === 'ImageTask';
// A recipe trains on a sample of the rows (the devnet's budget is seconds, not hours).
const MAX_ROWS = ${MAX_ROWS};
let dataset = image ? { imageDir: job.datasetPath } : { path: job.datasetPath, format: 'json' };
if (!image) {
  const rows = JSON.parse(readFileSync(job.datasetPath, 'utf8'));
  let seed = hyper.seed + 1;
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let i = rows.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [rows[i], rows[j]] = [rows[j], rows[i]];
  }
  dataset = { rows: rows.slice(0, MAX_ROWS) };
}
const result = await engine.trainInProcess(
  {
    taskType: job.taskType,
    baseModel: job.modelDir,
    baseModelName: job.model,
    dataset,
    datasetType: job.datasetType ?? {},
    outputDir: job.outputDir,
    hyper,
  },
  {
    onEvent: (e) => {
      if (e.type === 'progress' && (e.step + 1 === e.totalSteps || e.step % 10 === 0)) console.log('step ' + (e.step + 1) + '/' + e.totalSteps + ' loss ' + e.loss.toFixed(4));
    },
  },
);
console.log('${recipe.name}: ' + result.status + ', ' + result.steps + ' steps, final loss ' + (result.finalLoss === null ? '-' : result.finalLoss.toFixed(4)));
`;
}

async function git(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await run('git', ['-c', 'user.name=god devnet', '-c', 'user.email=devnet@localhost', '-c', 'init.defaultBranch=main', '-c', 'commit.gpgsign=false', ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
  });
  return stdout.trim();
}

/** Creates (afresh) one repository per recipe under `root`; returns them in order. */
export async function createRecipeRepos(root: string, recipes: readonly TournamentRecipe[], options: { steps: number; seed?: number }): Promise<RecipeRepo[]> {
  await mkdir(root, { recursive: true });
  const out: RecipeRepo[] = [];
  for (const [i, recipe] of recipes.entries()) {
    const path = join(root, recipe.name);
    await rm(path, { recursive: true, force: true });
    await mkdir(join(path, 'scripts'), { recursive: true });
    const seed = (options.seed ?? 11) + i;
    await writeFile(join(path, 'scripts', 'text_trainer.mjs'), entryScript(recipe, 'text', options.steps, seed));
    await writeFile(join(path, 'scripts', 'image_trainer.mjs'), entryScript(recipe, 'image', options.steps, seed));
    await writeFile(join(path, 'README.md'), `# ${recipe.name}\n\n${recipe.what}. A god devnet tournament recipe (local repo contract, docs/trainer.md).\n`);
    await git(path, ['init', '-q']);
    await git(path, ['add', '-A']);
    await git(path, ['commit', '-q', '-m', `${recipe.name}: ${recipe.what}`]);
    out.push({ recipe, path, commit: await git(path, ['rev-parse', 'HEAD']) });
  }
  return out;
}
