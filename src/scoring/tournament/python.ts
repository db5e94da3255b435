/**
 * Python semantics the original relies on, so that decisions and floats match it exactly. Only what the
 * tournament rules need; each helper says which Python behaviour it stands for.
 */

/** Python `max(a, b)`: the first argument unless the second is strictly greater (so NaN handling follows). */
export function pyMax2(a: number, b: number): number {
  return b > a ? b : a;
}

/** Python `max(iterable)` over a non-empty list: keeps the first of equal maxima, skips over NaN comparisons. */
export function pyMaxOf(values: readonly number[]): number {
  let best = values[0] as number;
  for (let i = 1; i < values.length; i++) {
    const v = values[i] as number;
    if (v > best) best = v;
  }
  return best;
}

/** Python `min(iterable)` over a non-empty list. */
export function pyMinOf(values: readonly number[]): number {
  let best = values[0] as number;
  for (let i = 1; i < values.length; i++) {
    const v = values[i] as number;
    if (v < best) best = v;
  }
  return best;
}

/** Python `sum(list_of_floats)` before 3.12: plain left-to-right addition from 0 (the vectors came from 3.11). */
export function pySum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/** Python truthiness of an optional string or number (`None`, `""` and `0` are false; NaN is true). */
export function pyTruthy(value: string | number | null | undefined): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === 'number') return value !== 0;
  return value.length > 0;
}

/** Python's `sorted()` order for strings: by code point, not by UTF-16 unit as `Array.prototype.sort` does. */
export function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const cx = x.value.codePointAt(0) as number;
    const cy = y.value.codePointAt(0) as number;
    if (cx !== cy) return cx - cy;
  }
}

/**
 * Python's `Counter(items).most_common(1)[0][0]`: the most frequent item, ties going to the item seen first.
 * Undefined for an empty list.
 */
export function mostCommonFirst<T>(items: readonly T[]): T | undefined {
  const counts = new Map<T, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  let best: T | undefined;
  let bestCount = 0;
  for (const [item, count] of counts) {
    if (count > bestCount) {
      best = item;
      bestCount = count;
    }
  }
  return best;
}
