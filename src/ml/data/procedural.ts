// A procedural instruct dataset with structure a tiny model can learn in seconds: per-character string
// transforms. Items are split into train and held-out by a hash of the full prompt, so the held-out set
// never shares a prompt with training (the model must generalise the rule, not memorise rows).
import { Rng } from '../rng.ts';
import type { InstructRow } from './template.ts';

export type ProceduralTask = 'upper' | 'copy' | 'reverse' | 'first' | 'last';

export const PROCEDURAL_TASKS: readonly ProceduralTask[] = ['upper', 'copy', 'reverse', 'first', 'last'];

const APPLY: Record<ProceduralTask, (s: string) => string> = {
  upper: (s) => s.toUpperCase(),
  copy: (s) => s,
  reverse: (s) => [...s].reverse().join(''),
  first: (s) => s.slice(0, 1),
  last: (s) => s.slice(-1),
};

/** FNV-1a over the prompt; the held-out split is every prompt whose hash is 0 mod `heldOutEvery`. */
function promptHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export interface ProceduralOptions {
  seed: number;
  count: number;
  split: 'train' | 'test';
  tasks?: readonly ProceduralTask[];
  minLength?: number;
  maxLength?: number;
  /** one prompt in this many is held out */
  heldOutEvery?: number;
}

export function isHeldOut(row: InstructRow, heldOutEvery = 5): boolean {
  return promptHash(`${row.instruct}\u0000${row.input ?? ''}`) % heldOutEvery === 0;
}

export function proceduralInstruct(opts: ProceduralOptions): InstructRow[] {
  const rng = new Rng(opts.seed);
  const tasks = opts.tasks ?? PROCEDURAL_TASKS;
  const minLen = opts.minLength ?? 3, maxLen = opts.maxLength ?? 6;
  const every = opts.heldOutEvery ?? 5;
  const rows: InstructRow[] = [];
  let guard = 0;
  while (rows.length < opts.count) {
    if (++guard > opts.count * 100) throw new Error('procedural dataset: could not draw enough distinct rows');
    const task = rng.pick(tasks);
    const len = minLen + rng.int(maxLen - minLen + 1);
    let word = '';
    for (let i = 0; i < len; i++) word += String.fromCharCode(97 + rng.int(26));
    const row: InstructRow = { instruct: task, input: word, output: APPLY[task](word) };
    if (isHeldOut(row, every) === (opts.split === 'test')) rows.push(row);
  }
  return rows;
}
