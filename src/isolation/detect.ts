/**
 * Which OS isolation layers this machine gives a child process, probed once at run time with harmless commands.
 * Nothing degrades silently: every missing layer becomes a warning line the caller logs and reports.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { probeController, type ControllerRoot } from './cgroup.ts';

export type Layer = 'namespaces' | 'privateTmp' | 'user' | 'pdeathsig' | 'rlimits' | 'cgroupMemory' | 'cgroupPids' | 'nodePermission';

export interface HostIsolation {
  isRoot: boolean;
  /** Absolute paths of the helper binaries, or null when missing. */
  bin: { sh: string; unshare: string | null; setpriv: string | null; prlimit: string | null; env: string | null };
  /** `unshare` flags that gave fresh namespaces (net at least), or null. */
  namespaces: { flags: string[]; net: boolean; pid: boolean; mount: boolean; userNs: boolean } | null;
  /** A private size-limited tmpfs can be mounted over /tmp, /var/tmp and /dev/shm inside the mount namespace. */
  privateTmp: boolean;
  /** The child can be switched to an unprivileged uid/gid (needs real root and setpriv). */
  userSwitch: boolean;
  /** The launcher dies with its parent (setpriv --pdeathsig), so a killed trainer leaves no running job. */
  pdeathsig: boolean;
  /** prlimit can set RLIMIT_NPROC/FSIZE/CORE/NOFILE on the child. */
  rlimits: boolean;
  /** Node's permission flag (`--permission`, or `--experimental-permission` on Node 20), or null. */
  permissionFlag: string | null;
  cgroups: { memory: ControllerRoot | null; pids: ControllerRoot | null };
  warnings: string[];
}

export interface DetectOptions {
  /** Layers to leave off even where available (tests of the fallbacks; an operator's choice). */
  disable?: readonly Layer[];
  /** Prefix of the cgroup roots created under our own cgroup. */
  cgroupPrefix?: string;
}

const SEARCH = ['/usr/bin', '/bin', '/usr/sbin', '/sbin', '/usr/local/bin'];

export function findBinary(name: string): string | null {
  for (const dir of SEARCH) if (existsSync(`${dir}/${name}`)) return `${dir}/${name}`;
  return null;
}

function runs(command: string, args: string[]): { ok: boolean; reason: string } {
  const r = spawnSync(command, args, { env: {}, stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000, cwd: '/' });
  if (r.status === 0) return { ok: true, reason: '' };
  return { ok: false, reason: r.error?.message ?? (r.stderr?.toString().trim() || `exit ${r.status ?? r.signal}`) };
}

const NS_CANDIDATES: string[][] = [
  ['--net', '--pid', '--mount', '--fork', '--kill-child', '--mount-proc'],
  ['--net', '--pid', '--mount', '--fork', '--kill-child', '--mount-proc', '--map-root-user'],
  ['--net', '--fork', '--kill-child'],
  ['--net', '--fork', '--kill-child', '--map-root-user'],
];

const cache = new Map<string, HostIsolation>();

/** Probes the layers (a dozen short commands, ~0.1 s each); cached per option set for the process lifetime. */
export function detectHostIsolation(options: DetectOptions = {}): HostIsolation {
  const disabled = new Set(options.disable ?? []);
  const key = JSON.stringify([[...disabled].sort(), options.cgroupPrefix ?? '']);
  const hit = cache.get(key);
  if (hit) return hit;
  const warnings: string[] = [];
  const isRoot = process.getuid?.() === 0;
  const sh = findBinary('sh') ?? '/bin/sh';
  const bin = { sh, unshare: findBinary('unshare'), setpriv: findBinary('setpriv'), prlimit: findBinary('prlimit'), env: findBinary('env') };
  const linux = process.platform === 'linux';

  let namespaces: HostIsolation['namespaces'] = null;
  if (disabled.has('namespaces')) warnings.push('namespaces disabled by configuration: the job shares the host network, pids and mounts');
  else if (!linux || !bin.unshare) warnings.push(`namespaces unavailable (${!linux ? process.platform : 'no unshare binary'}): the job shares the host network`);
  else {
    let last = '';
    for (const flags of NS_CANDIDATES) {
      const r = runs(bin.unshare, [...flags, sh, '-c', 'exit 0']);
      if (r.ok) {
        namespaces = { flags, net: true, pid: flags.includes('--pid'), mount: flags.includes('--mount'), userNs: flags.includes('--map-root-user') };
        break;
      }
      last = r.reason;
    }
    if (!namespaces) warnings.push(`unshare refused (${last}): the job shares the host network`);
    else if (!namespaces.pid) warnings.push('pid/mount namespaces unavailable: only the network namespace is used');
  }

  let privateTmp = false;
  if (namespaces?.mount && !disabled.has('privateTmp')) {
    const r = runs(bin.unshare!, [...namespaces.flags, sh, '-c', 'mount -t tmpfs -o size=64k,mode=1777 tmpfs /tmp']);
    privateTmp = r.ok;
    if (!r.ok) warnings.push(`cannot mount a private /tmp in the mount namespace (${r.reason}): world-writable folders stay shared`);
  } else if (!disabled.has('privateTmp')) warnings.push('no private /tmp (needs a mount namespace): world-writable folders stay shared');

  let userSwitch = false;
  if (disabled.has('user')) warnings.push('user switch disabled by configuration: the job runs as the trainer\'s user');
  else if (!isRoot || !bin.setpriv) warnings.push(`cannot switch the job to an unprivileged user (${!isRoot ? 'the trainer is not root' : 'no setpriv'}): it runs as the trainer's user`);
  else if (namespaces?.userNs) warnings.push('user namespaces are mapped to root: the job keeps the trainer\'s uid');
  else {
    const r = runs(bin.setpriv, ['--reuid=65534', '--regid=65534', '--clear-groups', '--no-new-privs', '--inh-caps=-all', '--bounding-set=-all', sh, '-c', 'exit 0']);
    userSwitch = r.ok;
    if (!r.ok) warnings.push(`setpriv cannot switch users (${r.reason}): the job runs as the trainer's user`);
  }

  let pdeathsig = false;
  if (!disabled.has('pdeathsig') && bin.setpriv) {
    pdeathsig = runs(bin.setpriv, ['--pdeathsig', 'KILL', sh, '-c', 'exit 0']).ok;
  }
  if (!pdeathsig) warnings.push('no parent-death signal: a job may outlive a killed trainer until its cgroup is killed on restart');

  let rlimits = false;
  if (!disabled.has('rlimits') && bin.prlimit) rlimits = runs(bin.prlimit, ['--nproc=64', '--fsize=1048576', '--core=0', '--nofile=64', sh, '-c', 'exit 0']).ok;
  if (!rlimits) warnings.push('prlimit unavailable: no per-user process limit or file-size limit');

  let permissionFlag: string | null = null;
  if (!disabled.has('nodePermission')) {
    for (const flag of ['--permission', '--experimental-permission']) {
      if (runs(process.execPath, [flag, '--allow-fs-read=/', '-e', '0']).ok) {
        permissionFlag = flag;
        break;
      }
    }
  }
  if (!permissionFlag) warnings.push('Node permission model unavailable: Node entry scripts are confined by the OS layers only');

  const prefix = options.cgroupPrefix ?? 'god-trainer';
  const cgroups: HostIsolation['cgroups'] = { memory: null, pids: null };
  for (const controller of ['memory', 'pids'] as const) {
    const layer = controller === 'memory' ? 'cgroupMemory' : 'cgroupPids';
    if (disabled.has(layer)) {
      warnings.push(`${controller} cgroup disabled by configuration`);
      continue;
    }
    if (!linux) {
      warnings.push(`${controller} cgroups unavailable on ${process.platform}`);
      continue;
    }
    const probe = probeController(controller, prefix);
    if (probe.ok) cgroups[controller] = probe.root;
    else warnings.push(`${controller} cgroup unavailable (${probe.reason})`);
  }

  const report: HostIsolation = { isRoot, bin, namespaces, privateTmp, userSwitch, pdeathsig, rlimits, permissionFlag, cgroups, warnings };
  cache.set(key, report);
  return report;
}

/** One line per layer, for `god trainer isolation` and the docs. */
export function describeHostIsolation(h: HostIsolation): { layer: string; active: boolean; detail: string }[] {
  const ns = h.namespaces;
  return [
    { layer: 'network namespace', active: !!ns?.net, detail: ns ? `unshare ${ns.flags.join(' ')}` : 'none' },
    { layer: 'pid + mount namespaces (own /proc)', active: !!ns?.pid && !!ns.mount, detail: ns?.pid ? 'the job is pid 1 of its own namespace' : 'none' },
    { layer: 'private /tmp, /var/tmp, /dev/shm', active: h.privateTmp, detail: h.privateTmp ? 'small tmpfs mounts inside the mount namespace' : 'none' },
    { layer: 'unprivileged user', active: h.userSwitch, detail: h.userSwitch ? 'setpriv to a per-job uid/gid, no capabilities, no_new_privs' : 'runs as the trainer user' },
    { layer: 'dies with the trainer', active: h.pdeathsig, detail: h.pdeathsig ? 'setpriv --pdeathsig KILL + unshare --kill-child' : 'none' },
    { layer: 'rlimits (nproc, fsize, core, nofile)', active: h.rlimits, detail: h.rlimits ? 'prlimit' : 'none' },
    { layer: 'memory cgroup', active: !!h.cgroups.memory, detail: h.cgroups.memory ? `v${h.cgroups.memory.version} ${h.cgroups.memory.dir}` : 'none' },
    { layer: 'pids cgroup', active: !!h.cgroups.pids, detail: h.cgroups.pids ? `v${h.cgroups.pids.version} ${h.cgroups.pids.dir}` : 'none' },
    { layer: 'Node permission model', active: !!h.permissionFlag, detail: h.permissionFlag ?? 'none' },
    { layer: 'empty environment', active: true, detail: 'env -i; only CUDA_VISIBLE_DEVICES is set' },
  ];
}
