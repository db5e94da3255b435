/**
 * The command line that runs an untrusted program inside every layer `detectHostIsolation` found:
 *
 *   sh (joins the job's cgroups) → setpriv --pdeathsig KILL → unshare (net, pid, mount, own /proc)
 *     → sh as root in the namespaces (private /tmp, /var/tmp, /dev/shm; job folder kept visible; cd)
 *     → prlimit (nproc, fsize, core, nofile) → setpriv (job uid/gid, no groups, no capabilities, no_new_privs)
 *     → env -i (only the given variables) → the program
 *
 * Every value reaches the shell single-quoted; nothing from the job's request is interpolated unquoted.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import type { HostIsolation } from './detect.ts';

export interface ConfinedLaunch {
  host: HostIsolation;
  /** Absolute path of the program, then its arguments. */
  argv: readonly string[];
  /** Working folder of the program (inside `jobRoot`). */
  cwd: string;
  /** The whole environment of the program. */
  env: Readonly<Record<string, string>>;
  /** Unprivileged identity to switch to; ignored when the host cannot switch users. */
  user: { uid: number; gid: number } | null;
  /** cgroup leaves whose `cgroup.procs` the launcher joins before anything else runs. */
  cgroupDirs: readonly string[];
  rlimits: { nproc: number; fsizeBytes: number; nofile: number };
  /** Folder holding everything the program must see; stays visible when /tmp etc. are covered. */
  jobRoot: string;
  /** Size of each private tmpfs (/tmp, /var/tmp, /dev/shm). */
  privateTmpBytes: number;
  /** Existing empty-ish folder used to carry `jobRoot` across the /tmp cover (only inside the namespace). */
  stageDir?: string;
}

export interface LaunchCommand {
  command: string;
  args: string[];
  /** Layers this command actually applies (a subset of what the host offers). */
  layers: string[];
}

/** POSIX shell single-quoting. */
export function shq(value: string): string {
  if (value.includes('\0')) throw new Error('a NUL byte cannot be passed through the shell');
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

const COVERABLE = ['/tmp', '/var/tmp', '/dev/shm'];

function isUnder(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

function realDir(path: string): string | null {
  try {
    const real = realpathSync(path);
    return statSync(real).isDirectory() ? real : null;
  } catch {
    return null;
  }
}

/** Shell lines (run as root inside the mount namespace) that cover the world-writable folders with small tmpfs mounts. */
function privateTmpLines(spec: ConfinedLaunch): string[] {
  const jobRoot = realpathSync(spec.jobRoot);
  const stage = spec.stageDir ?? '/mnt';
  const lines: string[] = [];
  const covered = new Set<string>();
  for (const dir of COVERABLE) {
    const real = realDir(dir);
    if (!real || covered.has(real)) continue;
    covered.add(real);
    const tmpfs = `mount -t tmpfs -o size=${Math.max(4096, Math.floor(spec.privateTmpBytes))},mode=1777,nosuid,nodev tmpfs ${shq(real)}`;
    if (isUnder(jobRoot, real)) {
      if (!realDir(stage)) throw new Error(`cannot keep ${jobRoot} visible under a private ${real}: stage folder ${stage} is missing`);
      lines.push(`mount --bind ${shq(jobRoot)} ${shq(stage)}`, tmpfs, `mkdir -p ${shq(jobRoot)}`, `mount --move ${shq(stage)} ${shq(jobRoot)}`);
    } else lines.push(tmpfs);
  }
  return lines;
}

export function confinedCommand(spec: ConfinedLaunch): LaunchCommand {
  const { host } = spec;
  const layers: string[] = [];
  const sh = host.bin.sh;
  if (!spec.argv[0]) throw new Error('confinedCommand: empty argv');

  const program: string[] = [];
  if (host.bin.env) program.push(host.bin.env, '-i', ...Object.entries(spec.env).map(([k, v]) => `${k}=${v}`));
  else throw new Error('confinedCommand: no env binary to clear the environment');
  layers.push('empty environment');
  program.push(...spec.argv);

  const userPart: string[] = [];
  const switching = host.userSwitch && spec.user !== null && host.bin.setpriv !== null;
  if (switching) {
    userPart.push(host.bin.setpriv!, `--reuid=${spec.user!.uid}`, `--regid=${spec.user!.gid}`, '--clear-groups', '--no-new-privs', '--inh-caps=-all', '--bounding-set=-all');
    // A uid change clears the parent-death signal unshare --kill-child gave this process; set it again after it.
    if (host.pdeathsig) userPart.push('--pdeathsig', 'KILL');
    userPart.push('--');
    layers.push(`user ${spec.user!.uid}:${spec.user!.gid}`);
  }
  const limitPart: string[] = [];
  if (host.rlimits && host.bin.prlimit) {
    const limits = [`--fsize=${Math.floor(spec.rlimits.fsizeBytes)}`, '--core=0', `--nofile=${spec.rlimits.nofile}`];
    // RLIMIT_NPROC counts every process of the uid, so it is only meaningful for the job's own uid.
    if (switching) limits.unshift(`--nproc=${spec.rlimits.nproc}`);
    limitPart.push(host.bin.prlimit, ...limits, '--');
    layers.push('rlimits');
  }

  const inner: string[] = ['set -e'];
  if (host.namespaces?.mount && host.privateTmp) {
    inner.push(...privateTmpLines(spec));
    layers.push('private tmp');
  }
  inner.push(`cd ${shq(spec.cwd)}`);
  inner.push(`exec ${[...limitPart, ...userPart, ...program].map(shq).join(' ')}`);
  const innerScript = inner.join('\n');

  const outer: string[] = [];
  for (const dir of spec.cgroupDirs) {
    const procs = join(dir, 'cgroup.procs');
    if (!existsSync(procs)) throw new Error(`cgroup ${dir} has no cgroup.procs`);
    outer.push(`echo $$ > ${shq(procs)} || exit 97`);
  }
  if (spec.cgroupDirs.length) layers.push('cgroups');
  const chain: string[] = [];
  if (host.pdeathsig && host.bin.setpriv) {
    chain.push(host.bin.setpriv, '--pdeathsig', 'KILL');
    layers.push('pdeathsig');
  }
  if (host.namespaces && host.bin.unshare) {
    chain.push(host.bin.unshare, ...host.namespaces.flags);
    layers.push(host.namespaces.pid ? 'namespaces net+pid+mount' : 'namespace net');
  }
  chain.push(sh, '-c', innerScript);
  outer.push(`exec ${chain.map(shq).join(' ')}`);
  return { command: sh, args: ['-c', outer.join('\n')], layers };
}
