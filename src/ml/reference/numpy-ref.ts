// Runs the numpy reference (gpt_numpy.py) as a child process. Tests and the bench use it to check the
// engine against an independent implementation that reads our files from disk.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Batch } from '../gpt.ts';

export const REFERENCE_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'gpt_numpy.py');
const PYTHON = process.env['GOD_PYTHON'] ?? 'python3';

/** Null when python3 with numpy runs here, else the reason it does not. */
export function numpyUnavailableReason(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import numpy; print(numpy.__version__)'], { encoding: 'utf8' });
  if (r.error) return `${PYTHON} cannot run: ${r.error.message}`;
  if (r.status !== 0) return `${PYTHON} has no numpy: ${r.stderr.trim().split('\n').pop() ?? ''}`;
  return null;
}

export interface NumpyEval {
  loss: number;
  token_losses: number[];
  logits?: number[];
}

export function numpyEval(
  modelDir: string, batch: Batch, opts: { adapterDir?: string; dtype?: 'float64' | 'float32'; logits?: boolean } = {},
): NumpyEval {
  const dir = mkdtempSync(join(tmpdir(), 'god-numpy-'));
  try {
    const input = join(dir, 'input.json');
    writeFileSync(input, JSON.stringify({
      b: batch.b, t: batch.t, tokens: Array.from(batch.tokens), targets: Array.from(batch.targets),
      weights: Array.from(batch.weights),
    }));
    const args = [REFERENCE_SCRIPT, 'eval', modelDir, input, '--dtype', opts.dtype ?? 'float64'];
    if (opts.adapterDir) args.push('--adapter', opts.adapterDir);
    if (opts.logits) args.push('--logits');
    const r = spawnSync(PYTHON, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
    if (r.status !== 0) throw new Error(`numpy reference failed: ${r.stderr || r.error?.message}`);
    return JSON.parse(r.stdout) as NumpyEval;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface NumpyBench {
  tokens_per_s: number;
  seconds_per_forward: number;
  runs: number;
  loss: number;
  numpy: string;
  blas: string;
  openblas_coretype: string | null;
  openblas_num_threads: string | null;
}

/** `blasThreads` sets OPENBLAS_NUM_THREADS for the child (undefined: inherit; OPENBLAS_CORETYPE is always inherited). */
export function numpyBench(modelDir: string, batch: Batch, seconds: number, blasThreads?: number): NumpyBench {
  const dir = mkdtempSync(join(tmpdir(), 'god-numpy-'));
  try {
    const input = join(dir, 'input.json');
    writeFileSync(input, JSON.stringify({
      b: batch.b, t: batch.t, tokens: Array.from(batch.tokens), targets: Array.from(batch.targets),
      weights: Array.from(batch.weights),
    }));
    const env = blasThreads === undefined ? process.env : { ...process.env, OPENBLAS_NUM_THREADS: String(blasThreads) };
    const r = spawnSync(PYTHON, [REFERENCE_SCRIPT, 'bench', modelDir, input, String(seconds)], { encoding: 'utf8', env });
    if (r.status !== 0) throw new Error(`numpy bench failed: ${r.stderr || r.error?.message}`);
    return JSON.parse(r.stdout) as NumpyBench;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
