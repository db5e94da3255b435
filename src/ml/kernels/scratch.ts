// Reusable temporary buffers for the layer kernels (transposes, per-head gathers), so a training step
// allocates nothing. Each kernel uses fixed slot numbers and never holds a slot across a call.
import type { FloatArray } from './matmul.ts';

const f32: Float32Array[] = [];
const f64: Float64Array[] = [];

/** A buffer of at least n elements of the same float type as `like`; contents are undefined. */
export function scratch(slot: number, n: number, like: FloatArray): FloatArray {
  if (like instanceof Float64Array) {
    const cur = f64[slot];
    if (cur && cur.length >= n) return cur;
    const next = new Float64Array(Math.max(n, 1));
    f64[slot] = next;
    return next;
  }
  const cur = f32[slot];
  if (cur && cur.length >= n) return cur;
  const next = new Float32Array(Math.max(n, 1));
  f32[slot] = next;
  return next;
}
