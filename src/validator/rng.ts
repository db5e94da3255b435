/**
 * The validator's randomness in one injectable object, so tests and the devnet can replay a run (offer
 * targets, shuffles, task mix, subsamples). `Math.random` is the production default; `seededRandom` is a
 * small splitmix32 generator.
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
}

export const mathRandom: Random = { next: () => Math.random() };

export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return {
    next() {
      state = (state + 0x9e3779b9) >>> 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
    },
  };
}

/** Python's `random.randint(a, b)`: inclusive on both ends. */
export function randint(rng: Random, a: number, b: number): number {
  return a + Math.floor(rng.next() * (b - a + 1));
}

export function uniform(rng: Random, a: number, b: number): number {
  return a + (b - a) * rng.next();
}

/** Index drawn proportionally to `weights` (all ≥ 0); the last positive index when rounding runs past the end. */
export function weightedIndex(rng: Random, weights: readonly number[]): number {
  const total = weights.reduce((s, w) => s + w, 0);
  if (!(total > 0)) throw new Error('weightedIndex: weights must have a positive sum');
  let r = rng.next() * total;
  let last = -1;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    if (w <= 0) continue;
    last = i;
    if (r < w) return i;
    r -= w;
  }
  return last;
}

export function pick<T>(rng: Random, items: readonly T[]): T {
  if (items.length === 0) throw new Error('pick: empty list');
  return items[Math.floor(rng.next() * items.length)]!;
}

/** Fisher–Yates on a copy. */
export function shuffled<T>(rng: Random, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** `k` distinct items in random order (Python `random.sample`). */
export function sample<T>(rng: Random, items: readonly T[], k: number): T[] {
  return shuffled(rng, items).slice(0, Math.max(0, Math.min(k, items.length)));
}

/** 16 random lowercase hex characters (the original's object-key prefix). */
export function hex16(rng: Random): string {
  let s = '';
  for (let i = 0; i < 16; i++) s += Math.floor(rng.next() * 16).toString(16);
  return s;
}

/** A version-4 UUID from this generator (crypto.randomUUID when none is given). */
export function uuid4(rng?: Random): string {
  if (!rng) return crypto.randomUUID();
  const b: number[] = [];
  for (let i = 0; i < 16; i++) b.push(Math.floor(rng.next() * 256));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
