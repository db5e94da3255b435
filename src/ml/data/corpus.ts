// The built-in pre-training corpus of the base text models: the facts behind every built-in task written as
// plain lines ("add 23 45 -> 68", "spell 312 -> three hundred twelve"), several per sequence, loss on every
// token. No chat template appears in it, so a base model knows the rules but not the instruct/chat format —
// fine-tuning has a real gap to close, as with a pre-trained base in production.
import { Rng } from '../rng.ts';
import { SPECIAL_TOKENS, encode } from '../tokenizer.ts';
import { MIXED } from './generators.ts';
import type { Example } from './template.ts';

export function pretrainCorpus(seed: number, sequences: number, maxTokens: number): Example[] {
  const rng = new Rng(seed);
  const out: Example[] = [];
  for (let s = 0; s < sequences; s++) {
    const ids: number[] = [SPECIAL_TOKENS.bos];
    for (;;) {
      const item = MIXED(rng);
      const line = encode(`${item.instruction}${item.input === '' ? '' : ` ${item.input}`} -> ${item.output}\n`);
      if (ids.length + line.length > maxTokens + 1) break;
      ids.push(...line);
    }
    out.push({ ids, lossMask: ids.map((_, i) => (i === 0 ? 0 : 1)) });
  }
  return out;
}
