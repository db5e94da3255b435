// Item generators with rules a small model can learn: arithmetic, string transforms and compositional
// lookups (numbers spelled out, month and weekday names). Each item is (instruction, input, output); every
// dataset, the pre-training corpus and the GRPO answers are built from these, so the rule — not the row — is
// what a model must learn. All randomness comes from the Rng passed in.
import { Rng } from '../rng.ts';

export interface Item {
  instruction: string;
  input: string;
  output: string;
}

export type Generator = (rng: Rng) => Item;

const word = (rng: Rng, min: number, max: number): string => {
  const len = min + rng.int(max - min + 1);
  let w = '';
  for (let i = 0; i < len; i++) w += String.fromCharCode(97 + rng.int(26));
  return w;
};

export const ARITHMETIC: Generator = (rng) => {
  const op = rng.int(3);
  if (op === 0) {
    const a = rng.int(100), b = rng.int(100);
    return { instruction: 'add', input: `${a} ${b}`, output: String(a + b) };
  }
  if (op === 1) {
    const a = rng.int(100), b = rng.int(a + 1);
    return { instruction: 'subtract', input: `${a} ${b}`, output: String(a - b) };
  }
  const a = rng.int(13), b = rng.int(13);
  return { instruction: 'multiply', input: `${a} ${b}`, output: String(a * b) };
};

const STRING_RULES: Record<string, (s: string) => string> = {
  upper: (s) => s.toUpperCase(),
  copy: (s) => s,
  reverse: (s) => [...s].reverse().join(''),
  first: (s) => s.slice(0, 1),
  last: (s) => s.slice(-1),
  sort: (s) => [...s].sort().join(''),
};
const STRING_NAMES = Object.keys(STRING_RULES);

export const STRINGS: Generator = (rng) => {
  const name = rng.pick(STRING_NAMES);
  const w = word(rng, 3, 6);
  return { instruction: name, input: w, output: STRING_RULES[name]!(w) };
};

const ONES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve',
  'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen'];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];
export const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october',
  'november', 'december'];
export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

/** English words for 0–999 ("three hundred twelve", "forty-two"). */
export function spell(n: number): string {
  if (n < 20) return ONES[n]!;
  if (n < 100) return n % 10 === 0 ? TENS[n / 10]! : `${TENS[Math.floor(n / 10)]}-${ONES[n % 10]}`;
  const rest = n % 100;
  return `${ONES[Math.floor(n / 100)]} hundred${rest === 0 ? '' : ` ${spell(rest)}`}`;
}

export const LOOKUP: Generator = (rng) => {
  const kind = rng.int(10);
  if (kind < 5) {
    const n = rng.int(1000);
    return { instruction: 'spell', input: String(n), output: spell(n) };
  }
  if (kind < 8) {
    const n = rng.int(1000);
    return { instruction: 'number', input: spell(n), output: String(n) };
  }
  if (kind < 9) {
    const m = rng.int(12);
    return { instruction: 'month', input: String(m + 1), output: MONTHS[m]! };
  }
  const d = rng.int(7);
  return { instruction: 'weekday', input: String(d + 1), output: WEEKDAYS[d]! };
};

/** The whole mix, for chat and the pre-training corpus. */
export const MIXED: Generator = (rng) => {
  const k = rng.int(3);
  return k === 0 ? ARITHMETIC(rng) : k === 1 ? STRINGS(rng) : LOOKUP(rng);
};

/**
 * A wrong answer close to the right one (DPO's rejected side): numbers off by a small amount or with two digits
 * swapped, words with one letter replaced or the case flipped.
 */
export function corrupt(output: string, rng: Rng): string {
  if (/^\d+$/.test(output)) {
    const n = Number(output);
    if (output.length >= 2 && rng.next() < 0.3) {
      const d = [...output];
      const i = rng.int(d.length - 1);
      [d[i], d[i + 1]] = [d[i + 1]!, d[i]!];
      const swapped = d.join('').replace(/^0+(?=\d)/, '');
      if (swapped !== output) return swapped;
    }
    const delta = 1 + rng.int(9);
    return String(rng.next() < 0.5 && n >= delta ? n - delta : n + delta);
  }
  const letters = [...output];
  const positions = letters.map((ch, i) => (/[a-z]/i.test(ch) ? i : -1)).filter((i) => i >= 0);
  if (positions.length === 0) return `${output}${output}`;
  if (rng.next() < 0.3 && output.toLowerCase() !== output.toUpperCase()) {
    const flipped = letters.map((ch) => (ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase())).join('');
    if (flipped !== output) return flipped;
  }
  const i = rng.pick(positions);
  const old = letters[i]!;
  const lower = old.toLowerCase().charCodeAt(0) - 97;
  const replaced = String.fromCharCode(97 + ((lower + 1 + rng.int(25)) % 26));
  letters[i] = old === old.toLowerCase() ? replaced : replaced.toUpperCase();
  return letters.join('');
}

/** Draws `count` items with distinct (instruction, input), so a random test split never repeats a train prompt. */
export function distinctItems(gen: Generator, count: number, seed: number): Item[] {
  const rng = new Rng(seed);
  const seen = new Set<string>();
  const out: Item[] = [];
  let guard = 0;
  while (out.length < count) {
    if (++guard > count * 50 + 1000) throw new Error(`could draw only ${out.length} distinct items of the ${count} asked for`);
    const item = gen(rng);
    const key = `${item.instruction}\u0000${item.input}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(item);
  }
  return out;
}

/** The prompt text of an item as the instruct template renders it with the original's default format. */
export function itemPrompt(item: Item): string {
  return item.input === '' ? item.instruction : `${item.instruction} ${item.input}`;
}
