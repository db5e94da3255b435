// The SIMD matmul micro-kernel, written as WebAssembly instructions.
//
// gemm_4x8(c, a, b, m, k, n, ncols): C[m,n] += A[m,k] @ B[k,n] over rows 0..m (m a multiple of 4, m ≥ 4) and
// columns 0..ncols (a multiple of 8, ≥ 8); n is the row stride of B and C; k ≥ 1. Pointers are byte offsets.
// Each 4×8 block of C lives in eight f32x4 registers while k runs, so every step loads two vectors of B and
// four scalars of A for 64 flops. Edges (m % 4 rows, n % 8 columns) are done by the caller in JavaScript.
import { Worker } from 'node:worker_threads';
import { I32, V128, buildModule, op } from './wasm-asm.ts';
import type { WasmFunction } from './wasm-asm.ts';

const C = 0, A = 1, B = 2, M = 3, K = 4, N = 5, NCOLS = 6;
const I = 7, J = 8, KK = 9, PA = 10, PB = 14, PC = 15, ROWB = 16, ROWA = 17;
const ACC = 18, B0 = 26, B1 = 27, X = 28;

function rowAddress(base: number, r: number): number[] {
  return r === 0 ? op.get(base) : [...op.get(base), ...op.get(ROWB), ...op.i32(r), ...op.i32Mul(), ...op.i32Add()];
}

function gemm4x8(): WasmFunction {
  const b: number[] = [];
  b.push(...op.get(N), ...op.i32(4), ...op.i32Mul(), ...op.set(ROWB));
  b.push(...op.get(K), ...op.i32(4), ...op.i32Mul(), ...op.set(ROWA));
  b.push(...op.i32(0), ...op.set(I));
  b.push(...op.block(), ...op.loop());
  {
    b.push(...op.i32(0), ...op.set(J));
    b.push(...op.block(), ...op.loop());
    {
      // pc = c + (i*n + j)*4
      b.push(...op.get(C), ...op.get(I), ...op.get(N), ...op.i32Mul(), ...op.get(J), ...op.i32Add());
      b.push(...op.i32(4), ...op.i32Mul(), ...op.i32Add(), ...op.set(PC));
      for (let r = 0; r < 4; r++) {
        for (let h = 0; h < 2; h++) {
          b.push(...rowAddress(PC, r), ...op.v128Load(h * 16), ...op.set(ACC + r * 2 + h));
        }
      }
      // pa0 = a + i*rowA; pa_r = pa_{r-1} + rowA
      b.push(...op.get(A), ...op.get(I), ...op.get(ROWA), ...op.i32Mul(), ...op.i32Add(), ...op.set(PA));
      for (let r = 1; r < 4; r++) b.push(...op.get(PA + r - 1), ...op.get(ROWA), ...op.i32Add(), ...op.set(PA + r));
      b.push(...op.get(B), ...op.get(J), ...op.i32(4), ...op.i32Mul(), ...op.i32Add(), ...op.set(PB));
      b.push(...op.get(K), ...op.set(KK));
      b.push(...op.loop());
      {
        b.push(...op.get(PB), ...op.v128Load(0), ...op.set(B0));
        b.push(...op.get(PB), ...op.v128Load(16), ...op.set(B1));
        for (let r = 0; r < 4; r++) {
          b.push(...op.get(PA + r), ...op.f32Load(), ...op.f32x4Splat(), ...op.set(X));
          for (let h = 0; h < 2; h++) {
            const acc = ACC + r * 2 + h;
            b.push(...op.get(acc), ...op.get(X), ...op.get(h === 0 ? B0 : B1), ...op.f32x4Mul(), ...op.f32x4Add());
            b.push(...op.set(acc));
          }
          b.push(...op.get(PA + r), ...op.i32(4), ...op.i32Add(), ...op.set(PA + r));
        }
        b.push(...op.get(PB), ...op.get(ROWB), ...op.i32Add(), ...op.set(PB));
        b.push(...op.get(KK), ...op.i32(1), ...op.i32Sub(), ...op.tee(KK), ...op.brIf(0));
      }
      b.push(...op.end());
      for (let r = 0; r < 4; r++) {
        for (let h = 0; h < 2; h++) {
          b.push(...rowAddress(PC, r), ...op.get(ACC + r * 2 + h), ...op.v128Store(h * 16));
        }
      }
      b.push(...op.get(J), ...op.i32(8), ...op.i32Add(), ...op.tee(J), ...op.get(NCOLS), ...op.i32LtU(), ...op.brIf(0));
    }
    b.push(...op.end(), ...op.end());
    b.push(...op.get(I), ...op.i32(4), ...op.i32Add(), ...op.tee(I), ...op.get(M), ...op.i32LtU(), ...op.brIf(0));
  }
  b.push(...op.end(), ...op.end());
  return {
    name: 'gemm_4x8',
    params: [I32, I32, I32, I32, I32, I32, I32],
    locals: [...new Array<typeof I32>(11).fill(I32), ...new Array<typeof V128>(11).fill(V128)],
    body: b,
  };
}

// The project's TypeScript lib set has no DOM/WebAssembly types, so the few members used are declared here.
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** 1 GiB of address space reserved for operands; pages are committed only as the memory grows. */
const MAX_PAGES = 16384;

type Gemm = (c: number, a: number, b: number, m: number, k: number, n: number, ncols: number) => void;

export interface SimdKernels {
  memory: WasmMemory;
  /** threads taking part in large products (1 = this thread only) */
  threads: number;
  gemm4x8: Gemm;
  /** stops the helper thread, if any */
  dispose: () => void;
}

// The helper thread. Protocol over ctrl (Int32): [0] the latest posted job number, [1] the last job the
// helper finished, [2..8] gemm arguments, [9] the last CLAIMED job. Whoever moves [9] from j−1 to j (one
// compare-exchange) computes the second half of job j; so when the helper is slow to wake (a busy shared
// machine) the caller takes the work back instead of waiting. The helper spins briefly between jobs, since
// a training step posts them every few hundred microseconds. Plain JavaScript: it runs without a TS loader.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { bytes, memory, ctrl } = workerData;
const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { mem: memory } });
const gemm = inst.exports.gemm_4x8;
const c = new Int32Array(ctrl);
const MASK = 0x3fffffff;
let last = 0;
for (;;) {
  let j = Atomics.load(c, 0);
  for (let spin = 0; j === last && spin < 20000; spin++) j = Atomics.load(c, 0);
  if (j === last) {
    Atomics.wait(c, 0, last);
    continue;
  }
  last = j;
  const prev = (j - 1) & MASK;
  if (Atomics.compareExchange(c, 9, prev, j) !== prev) continue;
  gemm(c[2], c[3], c[4], c[5], c[6], c[7], c[8]);
  Atomics.store(c, 1, j);
  Atomics.notify(c, 1);
}
`;

/** Below this many multiply-adds a hand-off to the helper thread costs more than it saves. */
const PARALLEL_MIN_MACS = 1 << 20;

/**
 * Instantiates the kernels over one shared memory, with a helper thread when `threads` > 1; returns null
 * where WebAssembly SIMD is unavailable. Each large product is split by rows of C between the two threads;
 * every element is still computed by the same instruction sequence, so results do not depend on threads.
 */
export function loadSimdKernels(threads: number): SimdKernels | null {
  let bytes: Uint8Array, memory: WasmMemory, gemm: Gemm;
  try {
    bytes = buildModule([gemm4x8()], MAX_PAGES);
    memory = new wasm.Memory({ initial: 16, maximum: MAX_PAGES, shared: true });
    const instance = new wasm.Instance(new wasm.Module(bytes), { env: { mem: memory } });
    gemm = instance.exports['gemm_4x8'] as Gemm;
  } catch (_err) {
    return null;
  }
  if (threads <= 1) return { memory, threads: 1, gemm4x8: gemm, dispose: () => undefined };
  const ctrlBuf = new SharedArrayBuffer(16 * 4);
  const ctrl = new Int32Array(ctrlBuf);
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { bytes, memory, ctrl: ctrlBuf } });
  worker.unref();
  let job = 0;
  const parallel: Gemm = (c, a, b, m, k, n, ncols) => {
    if (m < 8 || m * k * ncols < PARALLEL_MIN_MACS) {
      gemm(c, a, b, m, k, n, ncols);
      return;
    }
    const half = (m >> 3) << 2; // a multiple of 4, about m/2
    const prev = job;
    job = (job + 1) & 0x3fffffff;
    ctrl[2] = c + half * n * 4;
    ctrl[3] = a + half * k * 4;
    ctrl[4] = b;
    ctrl[5] = m - half;
    ctrl[6] = k;
    ctrl[7] = n;
    ctrl[8] = ncols;
    Atomics.store(ctrl, 0, job);
    Atomics.notify(ctrl, 0);
    gemm(c, a, b, half, k, n, ncols);
    if (Atomics.compareExchange(ctrl, 9, prev, job) === prev) {
      gemm(ctrl[2]!, ctrl[3]!, b, m - half, k, n, ncols);
      return;
    }
    for (let spin = 0; Atomics.load(ctrl, 1) !== job; spin++) {
      if (spin > 1000) Atomics.wait(ctrl, 1, Atomics.load(ctrl, 1), 1);
    }
  };
  return { memory, threads: 2, gemm4x8: parallel, dispose: () => void worker.terminate() };
}
