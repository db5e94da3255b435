// Dense matrix multiply, the engine's only hot kernel: C(M,N) (+)= A(M,K) @ B(K,N), all row-major.
// Every other product the model needs (x @ Wᵀ, xᵀ @ dy) is written as this one after an explicit transpose,
// because the i-k-j order with B's rows contiguous is the order both V8 and the SIMD kernel run fast.
//
// Float32 inputs go through the WebAssembly SIMD kernel (copying operands into its memory costs a few per
// cent against the flops); Float64 inputs (gradient checks) and machines without SIMD use the JS loops.
import { availableParallelism } from 'node:os';
import { loadSimdKernels } from './simd-kernels.ts';
import type { SimdKernels } from './simd-kernels.ts';

export type FloatArray = Float32Array | Float64Array;

let simd: SimdKernels | null | undefined;
let useSimd = process.env['GOD_ML_NO_SIMD'] !== '1';

let threadOverride: number | null = null;

/** Sets the thread count for large float32 products (1 or 2); the kernels restart on next use. */
export function setThreads(threads: number): void {
  threadOverride = Math.max(1, Math.min(2, Math.floor(threads)));
  simd?.dispose();
  simd = undefined;
}

/** Threads for large products: setThreads, GOD_ML_THREADS, else 2 where the machine has them (the target). */
function threadCount(): number {
  if (threadOverride !== null) return threadOverride;
  const env = Number(process.env['GOD_ML_THREADS']);
  if (Number.isInteger(env) && env >= 1) return Math.min(env, 2);
  return Math.min(2, availableParallelism());
}

function kernels(): SimdKernels | null {
  if (simd === undefined) simd = loadSimdKernels(threadCount());
  return simd;
}

/** Describes the active float32 kernel, for logs and the bench. */
export function kernelInfo(): string {
  const k = useSimd ? kernels() : null;
  return k ? `wasm-simd128 4x8 gemm, ${k.threads} thread${k.threads > 1 ? 's' : ''}` : 'javascript 4x4 gemm, 1 thread';
}

/** Which implementation float32 products use; tests and the bench switch it to compare the two. */
export function setSimd(enabled: boolean): void {
  useSimd = enabled;
}

export function simdActive(): boolean {
  return useSimd && kernels() !== null;
}

/**
 * C(M,N) += A(M,K) @ B(K,N), or C = A @ B when `accumulate` is false.
 * Offsets let callers address a sub-matrix stored contiguously inside a larger buffer (one head, one row block).
 */
export function matmul(
  c: FloatArray, a: FloatArray, b: FloatArray, m: number, k: number, n: number, accumulate = false,
  cOff = 0, aOff = 0, bOff = 0,
): void {
  if (m === 0 || n === 0) return;
  if (k === 0) {
    if (!accumulate) c.fill(0, cOff, cOff + m * n);
    return;
  }
  const kern = useSimd ? kernels() : null;
  if (kern && c instanceof Float32Array && a instanceof Float32Array && b instanceof Float32Array && m >= 4 && n >= 8) {
    matmulSimd(kern, c, a, b, m, k, n, accumulate, cOff, aOff, bOff);
    return;
  }
  matmulJs(c, a, b, m, k, n, accumulate, cOff, aOff, bOff, 0, m, 0, n);
}

/** The JS kernel over rows [i0,i1) and columns [j0,j1): 4×4 register tiles, with a plain loop for edges. */
function matmulJs(
  c: FloatArray, a: FloatArray, b: FloatArray, _m: number, k: number, n: number, accumulate: boolean,
  cOff: number, aOff: number, bOff: number, i0: number, i1: number, j0: number, j1: number,
): void {
  if (!accumulate) {
    for (let i = i0; i < i1; i++) c.fill(0, cOff + i * n + j0, cOff + i * n + j1);
  }
  const i4 = i0 + ((i1 - i0) & ~3);
  const j4 = j0 + ((j1 - j0) & ~3);
  for (let i = i0; i < i4; i += 4) {
    const a0 = aOff + i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
    for (let j = j0; j < j4; j += 4) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      let bo = bOff + j;
      for (let p = 0; p < k; p++, bo += n) {
        const b0 = b[bo]!, b1 = b[bo + 1]!, b2 = b[bo + 2]!, b3 = b[bo + 3]!;
        const x0 = a[a0 + p]!, x1 = a[a1 + p]!, x2 = a[a2 + p]!, x3 = a[a3 + p]!;
        c00 += x0 * b0; c01 += x0 * b1; c02 += x0 * b2; c03 += x0 * b3;
        c10 += x1 * b0; c11 += x1 * b1; c12 += x1 * b2; c13 += x1 * b3;
        c20 += x2 * b0; c21 += x2 * b1; c22 += x2 * b2; c23 += x2 * b3;
        c30 += x3 * b0; c31 += x3 * b1; c32 += x3 * b2; c33 += x3 * b3;
      }
      let o = cOff + i * n + j;
      c[o] = c[o]! + c00; c[o + 1] = c[o + 1]! + c01; c[o + 2] = c[o + 2]! + c02; c[o + 3] = c[o + 3]! + c03;
      o += n;
      c[o] = c[o]! + c10; c[o + 1] = c[o + 1]! + c11; c[o + 2] = c[o + 2]! + c12; c[o + 3] = c[o + 3]! + c13;
      o += n;
      c[o] = c[o]! + c20; c[o + 1] = c[o + 1]! + c21; c[o + 2] = c[o + 2]! + c22; c[o + 3] = c[o + 3]! + c23;
      o += n;
      c[o] = c[o]! + c30; c[o + 1] = c[o + 1]! + c31; c[o + 2] = c[o + 2]! + c32; c[o + 3] = c[o + 3]! + c33;
    }
  }
  // Edges: rows past the last full block of 4 (all columns), and columns past the last block of 4.
  edge(c, a, b, k, n, cOff, aOff, bOff, i4, i1, j0, j1);
  edge(c, a, b, k, n, cOff, aOff, bOff, i0, i4, j4, j1);
}

function edge(
  c: FloatArray, a: FloatArray, b: FloatArray, k: number, n: number,
  cOff: number, aOff: number, bOff: number, i0: number, i1: number, j0: number, j1: number,
): void {
  if (i0 >= i1 || j0 >= j1) return;
  for (let i = i0; i < i1; i++) {
    const ao = aOff + i * k;
    const co = cOff + i * n;
    for (let p = 0; p < k; p++) {
      const x = a[ao + p]!;
      const bo = bOff + p * n;
      for (let j = j0; j < j1; j++) c[co + j] = c[co + j]! + x * b[bo + j]!;
    }
  }
}

function matmulSimd(
  kern: SimdKernels, c: Float32Array, a: Float32Array, b: Float32Array, m: number, k: number, n: number,
  accumulate: boolean, cOff: number, aOff: number, bOff: number,
): void {
  const aBytes = m * k * 4, bBytes = k * n * 4, cBytes = m * n * 4;
  const pa = 0;
  const pb = align16(pa + aBytes);
  const pc = align16(pb + bBytes);
  const need = pc + cBytes;
  const mem = kern.memory;
  if (mem.buffer.byteLength < need) mem.grow(Math.ceil((need - mem.buffer.byteLength) / 65536));
  const heap = new Float32Array(mem.buffer as ArrayBuffer);
  heap.set(a.subarray(aOff, aOff + m * k), pa >> 2);
  heap.set(b.subarray(bOff, bOff + k * n), pb >> 2);
  const cView = heap.subarray(pc >> 2, (pc >> 2) + m * n);
  if (accumulate) cView.set(c.subarray(cOff, cOff + m * n));
  else cView.fill(0);
  const m4 = m & ~3;
  const n8 = n & ~7;
  kern.gemm4x8(pc, pa, pb, m4, k, n, n8);
  const aHeap = heap.subarray(pa >> 2, (pa >> 2) + m * k);
  const bHeap = heap.subarray(pb >> 2, (pb >> 2) + k * n);
  edge(cView, aHeap, bHeap, k, n, 0, 0, 0, m4, m, 0, n);
  edge(cView, aHeap, bHeap, k, n, 0, 0, 0, 0, m4, n8, n);
  c.set(cView, cOff);
}

function align16(x: number): number {
  return (x + 15) & ~15;
}

/** out(C,R) = inp(R,C)ᵀ. */
export function transpose(out: FloatArray, inp: FloatArray, rows: number, cols: number, outOff = 0, inpOff = 0): void {
  for (let r = 0; r < rows; r++) {
    const ro = inpOff + r * cols;
    for (let col = 0; col < cols; col++) out[outOff + col * rows + r] = inp[ro + col]!;
  }
}
