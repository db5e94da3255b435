/**
 * Memory caps for sandbox processes through a memory cgroup (v2 or v1), where this process may create one.
 *
 * `RLIMIT_AS` cannot be used: WebAssembly engines reserve large virtual ranges up front, so an address-space limit
 * breaks Pyodide before it runs. A cgroup caps resident memory instead and kills the process when it is exceeded.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface MemoryCgroupRoot {
  version: 1 | 2;
  /** Folder we created under our own cgroup; one sub-folder per sandbox process goes inside. */
  dir: string;
}

export type CgroupProbe = { ok: true; root: MemoryCgroupRoot } | { ok: false; reason: string };

const V2_MOUNT = '/sys/fs/cgroup';
const V1_MOUNT = '/sys/fs/cgroup/memory';

/** Our own cgroup path for the v2 hierarchy ("0::/path") or the v1 memory controller ("N:memory:/path"). */
function ownCgroupPath(version: 1 | 2): string | null {
  let text: string;
  try {
    text = readFileSync('/proc/self/cgroup', 'utf8');
  } catch {
    return null;
  }
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1);
    if (version === 2 && line.slice(0, first) === '0' && controllers === '') return path;
    if (version === 1 && controllers.split(',').includes('memory')) return path;
  }
  return null;
}

/** Removes a cgroup folder and its (empty) sub-cgroups, best effort. */
function removeTree(dir: string): void {
  try {
    for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) safeRemove(join(dir, entry.name));
  } catch {
    return;
  }
  safeRemove(dir);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Roots left by parents that died without cleaning up (killed test workers, crashes) are removed on the next probe. */
function removeStaleRoots(parent: string): void {
  let entries: string[];
  try {
    entries = readdirSync(parent);
  } catch {
    return;
  }
  for (const entry of entries) {
    const pid = /^god-sandbox-(\d+)$/.exec(entry)?.[1];
    if (pid && Number(pid) !== process.pid && !pidAlive(Number(pid))) removeTree(join(parent, entry));
  }
}

function tryCreate(parent: string, version: 1 | 2, name: string): CgroupProbe {
  removeStaleRoots(parent);
  const limitFile = version === 2 ? 'memory.max' : 'memory.limit_in_bytes';
  const dir = join(parent, name);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    return { ok: false, reason: `cannot create ${dir}: ${(error as Error).message}` };
  }
  if (!existsSync(join(dir, limitFile))) {
    safeRemove(dir);
    return { ok: false, reason: `${dir} has no ${limitFile} (memory controller not enabled there)` };
  }
  // Best effort at exit; per-process cgroups below it are removed as their processes end.
  process.once('exit', () => removeTree(dir));
  return { ok: true, root: { version, dir } };
}

/** Finds a memory cgroup this process can create children in, trying v2 first. Creates `<own>/<name>`. */
export function probeMemoryCgroup(name = `god-sandbox-${process.pid}`): CgroupProbe {
  const reasons: string[] = [];
  const controllers = readText(join(V2_MOUNT, 'cgroup.controllers'));
  if (controllers !== null && controllers.split(/\s+/).includes('memory')) {
    const own = ownCgroupPath(2);
    if (own !== null) {
      const probe = tryCreate(join(V2_MOUNT, own), 2, name);
      if (probe.ok) return probe;
      reasons.push(`v2: ${probe.reason}`);
    }
  } else reasons.push('v2: no memory controller at /sys/fs/cgroup');
  if (existsSync(join(V1_MOUNT, 'memory.limit_in_bytes'))) {
    const own = ownCgroupPath(1);
    if (own !== null) {
      const probe = tryCreate(join(V1_MOUNT, own), 1, name);
      if (probe.ok) return probe;
      reasons.push(`v1: ${probe.reason}`);
    } else reasons.push('v1: no memory line in /proc/self/cgroup');
  } else reasons.push('v1: no memory hierarchy mounted');
  return { ok: false, reason: reasons.join('; ') };
}

/** Creates the cgroup of one sandbox process with its memory limit; returns its folder. */
export function createProcessCgroup(root: MemoryCgroupRoot, name: string, limitBytes: number): string {
  const dir = join(root.dir, name);
  mkdirSync(dir, { recursive: true });
  if (root.version === 2) {
    writeFileSync(join(dir, 'memory.max'), String(limitBytes));
    try {
      writeFileSync(join(dir, 'memory.swap.max'), '0');
    } catch {
      // no swap accounting: the memory limit alone still holds
    }
  } else {
    writeFileSync(join(dir, 'memory.limit_in_bytes'), String(limitBytes));
    try {
      writeFileSync(join(dir, 'memory.memsw.limit_in_bytes'), String(limitBytes));
    } catch {
      // swap accounting off
    }
  }
  return dir;
}

/** True when the kernel OOM-killed something in this cgroup (the limit was hit and enforced). */
export function wasOomKilled(dir: string, version: 1 | 2): boolean {
  const text = readText(join(dir, version === 2 ? 'memory.events' : 'memory.oom_control')) ?? '';
  const match = /^oom_kill (\d+)$/m.exec(text);
  if (match) return Number(match[1]) > 0;
  if (version === 1) return Number(readText(join(dir, 'memory.failcnt')) ?? '0') > 0;
  return false;
}

/** Removes a cgroup folder (only possible once it holds no process); true when it is gone. */
export function safeRemove(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch (error) {
    // still populated (retry later) or already gone (done)
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}
