/**
 * Per-job cgroups for the `memory` and `pids` controllers (v1 hierarchies or the v2 unified one), created under
 * this process's own cgroup where the kernel lets us write. Each job gets a leaf whose `cgroup.procs` the launcher
 * joins before anything untrusted runs, so every descendant — however it forks or detaches — stays counted, capped
 * and killable.
 *
 * Two users: the trainer (memory + pids, kill-all, leaves that survive a restart of their creator — their paths are
 * persisted by the caller; roots named `god-trainer-<pid>`) and the Python sandbox pool (memory only, one leaf per
 * sandbox process; roots named `god-sandbox-<pid>`). The prefix keeps their roots and stale-root cleanups apart.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type Controller = 'memory' | 'pids';

export interface ControllerRoot {
  controller: Controller;
  version: 1 | 2;
  /** Folder we created under our own cgroup; one leaf per job goes inside. */
  dir: string;
}

/** What a leaf needs from its root; a `ControllerRoot` is one, and so is a root kept without its controller name. */
export type CgroupRoot = Pick<ControllerRoot, 'version' | 'dir'>;

export type ControllerProbe = { ok: true; root: ControllerRoot } | { ok: false; reason: string };

const MOUNT = '/sys/fs/cgroup';
const LIMIT_FILE: Record<Controller, { 1: string; 2: string }> = {
  memory: { 1: 'memory.limit_in_bytes', 2: 'memory.max' },
  pids: { 1: 'pids.max', 2: 'pids.max' },
};

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** Our own cgroup path in the v2 hierarchy ("0::/path") or in the v1 hierarchy of `controller` ("N:ctrl:/path"). */
function ownPath(version: 1 | 2, controller: Controller): string | null {
  const text = readText('/proc/self/cgroup');
  if (text === null) return null;
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1);
    if (version === 2 && line.slice(0, first) === '0' && controllers === '') return path;
    if (version === 1 && controllers.split(',').includes(controller)) return path;
  }
  return null;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes an empty cgroup folder; true when it is gone. */
export function removeCgroupDir(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

function removeTree(dir: string): void {
  try {
    for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) removeTree(join(dir, entry.name));
  } catch {
    return;
  }
  removeCgroupDir(dir);
}

/** Roots of creators that died (crash, SIGKILL) are removed once empty; their leaves are killed by the recovery path. */
function removeStaleRootsIn(parent: string, prefix: string): void {
  let entries: string[];
  try {
    entries = readdirSync(parent);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!entry.startsWith(`${prefix}-`)) continue;
    const pid = Number(entry.slice(prefix.length + 1));
    if (Number.isInteger(pid) && pid !== process.pid && !pidAlive(pid)) removeTree(join(parent, entry));
  }
}

function tryCreate(parent: string, version: 1 | 2, controller: Controller, prefix: string): ControllerProbe {
  removeStaleRootsIn(parent, prefix);
  const dir = join(parent, `${prefix}-${process.pid}`);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    return { ok: false, reason: `cannot create ${dir}: ${(error as Error).message}` };
  }
  if (version === 2) {
    // v2 needs the controller enabled for our children; best effort (refused when our cgroup holds processes).
    try {
      writeFileSync(join(dir, 'cgroup.subtree_control'), `+${controller}`);
    } catch {
      // checked below through the limit file of a probe leaf
    }
    const probeLeaf = join(dir, 'probe');
    try {
      mkdirSync(probeLeaf, { recursive: true });
      const has = existsSync(join(probeLeaf, LIMIT_FILE[controller][2]));
      removeCgroupDir(probeLeaf);
      if (!has) {
        removeTree(dir);
        return { ok: false, reason: `${controller} controller not enabled below ${parent}` };
      }
    } catch (error) {
      removeTree(dir);
      return { ok: false, reason: `cannot create a leaf in ${dir}: ${(error as Error).message}` };
    }
  } else if (!existsSync(join(dir, LIMIT_FILE[controller][1]))) {
    removeTree(dir);
    return { ok: false, reason: `${dir} has no ${LIMIT_FILE[controller][1]}` };
  }
  process.once('exit', () => removeTree(dir));
  return { ok: true, root: { controller, version, dir } };
}

/** Finds where this process may create `controller` cgroups (v2 first, then v1) and creates `<own>/<prefix>-<pid>`. */
export function probeController(controller: Controller, prefix = 'god-trainer'): ControllerProbe {
  const reasons: string[] = [];
  const controllers = readText(join(MOUNT, 'cgroup.controllers'));
  if (controllers !== null && controllers.split(/\s+/).includes(controller)) {
    const own = ownPath(2, controller);
    if (own !== null) {
      const probe = tryCreate(join(MOUNT, own), 2, controller, prefix);
      if (probe.ok) return probe;
      reasons.push(`v2: ${probe.reason}`);
    }
  } else reasons.push(`v2: no ${controller} controller at ${MOUNT}`);
  const v1 = join(MOUNT, controller);
  if (existsSync(join(v1, LIMIT_FILE[controller][1])) || existsSync(join(v1, 'cgroup.procs'))) {
    const own = ownPath(1, controller);
    if (own !== null) {
      const probe = tryCreate(join(v1, own), 1, controller, prefix);
      if (probe.ok) return probe;
      reasons.push(`v1: ${probe.reason}`);
    } else reasons.push(`v1: no ${controller} line in /proc/self/cgroup`);
  } else reasons.push(`v1: no ${controller} hierarchy mounted`);
  return { ok: false, reason: reasons.join('; ') };
}

/** Removes the empty roots of dead creators under our own cgroups, without creating one of ours. */
export function removeStaleRoots(prefix = 'god-trainer'): void {
  for (const controller of ['memory', 'pids'] as const) {
    const v2 = ownPath(2, controller);
    if (v2 !== null && existsSync(join(MOUNT, 'cgroup.controllers'))) removeStaleRootsIn(join(MOUNT, v2), prefix);
    const v1 = ownPath(1, controller);
    if (v1 !== null) removeStaleRootsIn(join(MOUNT, controller, v1), prefix);
  }
}

export interface LeafLimits {
  memoryBytes?: number;
  pids?: number;
}

/** One job's cgroup folders (one per controller in v1; v2 roots of both controllers may coincide). */
export interface JobCgroup {
  dirs: string[];
  memoryDir: string | null;
  memoryVersion: 1 | 2 | null;
  pidsDir: string | null;
}

/** Creates the leaves of one job with their limits. Roots that are null are skipped. */
export function createJobCgroup(roots: { memory: CgroupRoot | null; pids: CgroupRoot | null }, name: string, limits: LeafLimits): JobCgroup {
  const dirs: string[] = [];
  let memoryDir: string | null = null;
  let pidsDir: string | null = null;
  const ensure = (root: CgroupRoot): string => {
    const dir = join(root.dir, name);
    mkdirSync(dir, { recursive: true });
    if (!dirs.includes(dir)) dirs.push(dir);
    return dir;
  };
  if (roots.memory && limits.memoryBytes !== undefined) {
    memoryDir = ensure(roots.memory);
    const v = roots.memory.version;
    writeFileSync(join(memoryDir, LIMIT_FILE.memory[v]), String(limits.memoryBytes));
    // No swap, so the limit is the real footprint (ignored where swap accounting is off).
    try {
      writeFileSync(join(memoryDir, v === 2 ? 'memory.swap.max' : 'memory.memsw.limit_in_bytes'), v === 2 ? '0' : String(limits.memoryBytes));
    } catch {
      // swap accounting unavailable
    }
  }
  if (roots.pids && limits.pids !== undefined) {
    pidsDir = ensure(roots.pids);
    writeFileSync(join(pidsDir, 'pids.max'), String(limits.pids));
  }
  return { dirs, memoryDir, memoryVersion: roots.memory?.version ?? null, pidsDir };
}

/** Pids currently in a cgroup folder (empty when it is gone). */
export function cgroupPids(dir: string): number[] {
  const text = readText(join(dir, 'cgroup.procs'));
  if (!text) return [];
  return text
    .split('\n')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
}

/**
 * SIGKILLs every process in the folders until they are empty (a fork between reading and killing is caught by the
 * next pass; processes inside a frozen fork loop cannot outrun repeated passes because pids.max bounds them).
 * Returns the number of kill calls made.
 */
export async function killCgroups(dirs: readonly string[], timeoutMs = 5000): Promise<number> {
  let kills = 0;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let found = 0;
    for (const dir of dirs) {
      for (const pid of cgroupPids(dir)) {
        found++;
        try {
          process.kill(pid, 'SIGKILL');
          kills++;
        } catch {
          // already gone
        }
      }
    }
    if (found === 0 || Date.now() > deadline) return kills;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** True when the kernel OOM-killed something in this memory cgroup. */
export function oomKilled(dir: string, version: 1 | 2): boolean {
  const text = readText(join(dir, version === 2 ? 'memory.events' : 'memory.oom_control')) ?? '';
  const match = /^oom_kill (\d+)$/m.exec(text);
  if (match) return Number(match[1]) > 0;
  if (version === 1) return Number(readText(join(dir, 'memory.failcnt')) ?? '0') > 0;
  return false;
}

/** How many forks the pids limit refused (v1 and v2 both keep `pids.events` "max N"). */
export function pidsLimitHits(dir: string): number {
  const match = /^max (\d+)$/m.exec(readText(join(dir, 'pids.events')) ?? '');
  return match ? Number(match[1]) : 0;
}

/** Removes a job's leaves (only possible once empty); true when all are gone. */
export function removeJobCgroup(dirs: readonly string[]): boolean {
  return dirs.map(removeCgroupDir).every(Boolean);
}
