/**
 * The trainer's GPUs: configured (devnet: virtual GPUs) or detected with nvidia-smi, and which are free. As in the
 * original a GPU is busy exactly while a job in status `training` lists it; unlike the reference, a start whose GPUs
 * overlap a running job is refused (HEAD's 409), so two runs never share a GPU.
 */
import { execFile } from 'node:child_process';
import { GPU_TYPES, type GpuType } from '../core/enums.ts';
import type { GpuInfo } from '../core/models/trainer.ts';

export interface GpuSpec {
  id: number;
  type: GpuType;
  vramGb: number;
}

const DEFAULT_VRAM: Record<GpuType, number> = { H100: 80, A100: 80, A6000: 48 };

/**
 * `4xH100`, `2xA100:40`, or a comma list of such terms (`2xH100,1xA100`); ids are numbered from 0 in order.
 * Used for devnet's virtual GPUs and for operators who do not want detection.
 */
export function parseGpuList(text: string): GpuSpec[] {
  const out: GpuSpec[] = [];
  for (const term of text.split(',').map((t) => t.trim()).filter(Boolean)) {
    const m = /^(?:(\d+)x)?([A-Za-z0-9]+)(?::(\d+))?$/.exec(term);
    const type = m?.[2]?.toUpperCase();
    if (!m || !type || !(GPU_TYPES as readonly string[]).includes(type)) throw new Error(`GPU list term "${term}": expected [N x]${GPU_TYPES.join('|')}[:vram_gb]`);
    const count = m[1] ? Number(m[1]) : 1;
    if (count < 1 || count > 64) throw new Error(`GPU list term "${term}": count must be 1–64`);
    for (let i = 0; i < count; i++) out.push({ id: out.length, type: type as GpuType, vramGb: m[3] ? Number(m[3]) : DEFAULT_VRAM[type as GpuType] });
  }
  if (!out.length) throw new Error('GPU list is empty');
  return out;
}

/**
 * nvidia-smi's CSV (`index, name, memory.total [MiB]`) → GPUs whose name contains a known type (the original's
 * rule: others, e.g. H200 or L40, are left out), vram in whole GiB.
 */
export function parseNvidiaSmi(csv: string): { gpus: GpuSpec[]; skipped: string[] } {
  const gpus: GpuSpec[] = [];
  const skipped: string[] = [];
  for (const line of csv.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const [index, name, mem] = line.split(',').map((s) => s.trim());
    const id = Number(index);
    const mib = Number(mem);
    if (!Number.isInteger(id) || !name || !Number.isFinite(mib)) throw new Error(`unexpected nvidia-smi line: ${line}`);
    const type = GPU_TYPES.find((t) => name.toUpperCase().includes(t));
    if (type) gpus.push({ id, type, vramGb: Math.floor(mib / 1024) });
    else skipped.push(`${id}: ${name}`);
  }
  return { gpus, skipped };
}

export function detectNvidiaGpus(timeoutMs = 20_000): Promise<{ gpus: GpuSpec[]; skipped: string[] }> {
  return new Promise((resolve, reject) => {
    execFile('nvidia-smi', ['--query-gpu=index,name,memory.total', '--format=csv,noheader,nounits'], { timeout: timeoutMs, env: { PATH: '/usr/local/bin:/usr/bin:/bin' } }, (error, stdout) => {
      if (error) reject(new Error(`nvidia-smi failed: ${error.message}`));
      else {
        try {
          resolve(parseNvidiaSmi(stdout));
        } catch (e) {
          reject(e);
        }
      }
    });
  });
}

/** GPU ids held by running jobs. */
export function busyGpuIds(running: readonly { gpuIds: readonly number[] }[]): Set<number> {
  const busy = new Set<number>();
  for (const job of running) for (const id of job.gpuIds) busy.add(id);
  return busy;
}

export function gpuAvailability(gpus: readonly GpuSpec[], busy: ReadonlySet<number>): GpuInfo[] {
  return gpus.map((g) => ({ gpu_id: g.id, gpu_type: g.type, vram_gb: g.vramGb, available: !busy.has(g.id), used_until: null }));
}

export type GpuRequestProblem = { kind: 'invalid'; message: string } | { kind: 'busy'; message: string; busy: number[] };

/** Why a request for `ids` cannot be served now, or null when all are known, distinct and free. */
export function checkGpuRequest(ids: readonly number[], gpus: readonly GpuSpec[], busy: ReadonlySet<number>): GpuRequestProblem | null {
  if (ids.length === 0) return { kind: 'invalid', message: 'gpu_ids is empty' };
  if (new Set(ids).size !== ids.length) return { kind: 'invalid', message: 'gpu_ids has duplicates' };
  const known = new Set(gpus.map((g) => g.id));
  const unknown = ids.filter((id) => !known.has(id));
  if (unknown.length) return { kind: 'invalid', message: `unknown GPU ids: ${unknown.join(', ')}` };
  const taken = ids.filter((id) => busy.has(id));
  if (taken.length) return { kind: 'busy', message: `GPUs ${taken.join(', ')} are in use by a running job`, busy: taken };
  return null;
}
