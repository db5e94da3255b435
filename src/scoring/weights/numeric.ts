/**
 * Float arithmetic exactly as the original's Python/numpy does it, so that weights match to the last bit where
 * the operation order allows: numpy's pairwise summation (behind `np.mean`/`np.std`), Python's `round`
 * (half to even) and timestamps at microsecond precision (Python `datetime`).
 */

/** numpy's unrolled block size for pairwise summation (PW_BLOCKSIZE in loops_utils.h). */
const PAIRWISE_BLOCK = 128;

/**
 * `np.add.reduce` over a contiguous float64 array: sequential below 8 elements, eight interleaved
 * accumulators up to 128, and recursive halving (on a multiple of 8) above that.
 */
export function pairwiseSum(a: ArrayLike<number>, start = 0, n = a.length - start): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i]!;
    // numpy starts from +0.0 as well, so -0.0 inputs sum to +0.0 in both.
    return res;
  }
  if (n <= PAIRWISE_BLOCK) {
    let r0 = a[start]!;
    let r1 = a[start + 1]!;
    let r2 = a[start + 2]!;
    let r3 = a[start + 3]!;
    let r4 = a[start + 4]!;
    let r5 = a[start + 5]!;
    let r6 = a[start + 6]!;
    let r7 = a[start + 7]!;
    const end = n - (n % 8);
    let i = 8;
    for (; i < end; i += 8) {
      const p = start + i;
      r0 += a[p]!;
      r1 += a[p + 1]!;
      r2 += a[p + 2]!;
      r3 += a[p + 3]!;
      r4 += a[p + 4]!;
      r5 += a[p + 5]!;
      r6 += a[p + 6]!;
      r7 += a[p + 7]!;
    }
    let res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
    for (; i < n; i++) res += a[start + i]!;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

/** `float(np.mean(values))` of a non-empty list of floats (or of `values[start .. start+n)`). */
export function npMean(values: ArrayLike<number>, start = 0, n = values.length - start): number {
  return (0 + pairwiseSum(values, start, n)) / n;
}

/**
 * `float(np.std(values))` (population, ddof 0) of a non-empty list of floats (or of `values[start .. start+n)`),
 * in numpy's operation order. `scratch` (length ≥ n) avoids an allocation in hot loops.
 */
export function npStd(
  values: ArrayLike<number>,
  mean = npMean(values),
  start = 0,
  n = values.length - start,
  scratch: Float64Array = new Float64Array(n),
): number {
  for (let i = 0; i < n; i++) {
    const d = values[start + i]! - mean;
    scratch[i] = d * d;
  }
  return Math.sqrt((0 + pairwiseSum(scratch, 0, n)) / n);
}

/**
 * Python's `sum(iterable)` for floats at CPython 3.11 (the version the vectors came from): plain left-to-right
 * addition starting from the int 0. (CPython 3.12 switched to compensated summation; the original ran 3.11.)
 */
export function pySum(values: Iterable<number>): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

/** Python's `round(x)` for a float: nearest integer, exact halves to the even neighbour. */
export function pyRound(x: number): number {
  if (!Number.isFinite(x)) throw new RangeError(`cannot round ${x} to an integer`);
  const f = Math.floor(x);
  // Exact for |x| < 2^52; beyond that every double is already an integer and diff is 0.
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Python's `a // b` for numbers (floor division; exact for safe integers). */
export function pyFloorDiv(a: number, b: number): number {
  let q = Math.floor(a / b);
  if (Number.isSafeInteger(a) && Number.isSafeInteger(b) && b > 0) {
    // Float division can round a quotient just below an integer up to it; correct with exact products.
    if (q * b > a) q -= 1;
    else if ((q + 1) * b <= a) q += 1;
  }
  return q;
}

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * An ISO-8601 timestamp as microseconds since the epoch (Python `datetime` precision; fits a double exactly
 * until the year 2255). A timestamp without an offset is taken as UTC, as the database's `timestamptz` gives it.
 */
export function isoToMicros(iso: string): number {
  const m = ISO_RE.exec(iso);
  if (!m) throw new RangeError(`not an ISO-8601 timestamp: ${JSON.stringify(iso)}`);
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? '0'));
  if (Number.isNaN(ms)) throw new RangeError(`not an ISO-8601 timestamp: ${JSON.stringify(iso)}`);
  if (tz && tz !== 'Z') {
    const sign = tz[0] === '-' ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
  }
  const micros = frac ? Number(frac.padEnd(6, '0').slice(0, 6)) : 0;
  return ms * 1000 + micros;
}

export const MICROS_PER_DAY = 86_400_000_000;
