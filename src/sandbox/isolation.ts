/**
 * Which isolation layers this machine gives a sandbox process, detected at run time, and the command line that
 * applies them. Every layer that is missing is reported as a warning; nothing silently degrades.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { probeController, type CgroupRoot } from '../isolation/cgroup.ts';

/** Prefix of this process's memory cgroup root (`god-sandbox-<pid>`), apart from the trainer's `god-trainer-<pid>`. */
export const SANDBOX_CGROUP_PREFIX = 'god-sandbox';

export const workerDir = join(dirname(fileURLToPath(import.meta.url)), 'worker');
export const childScript = join(workerDir, 'child.mjs');
export const harnessPath = join(workerDir, 'harness.py');

/** The folder of the installed `pyodide` npm package (wasm, stdlib zip and lock file; no network needed). */
export function pyodideDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('pyodide/package.json')) + '/';
}

export interface IsolationReport {
  /** Node's permission flag (`--permission`, or `--experimental-permission` on Node 20), or null when absent. */
  permissionFlag: string | null;
  /** The `unshare` prefix that gives fresh network, pid and mount namespaces, or null when the OS refuses. */
  namespaces: string[] | null;
  /** Memory cgroup under which each process gets its own limit, or null (then only the wasm and V8 caps hold). */
  cgroup: CgroupRoot | null;
  /** One line per missing layer, for the operator's log. */
  warnings: string[];
}

export interface DetectOptions {
  /** Skip the layers whose absence is tolerated (tests of the fallback path). */
  disable?: ReadonlyArray<'namespaces' | 'cgroup'>;
}

function nodeAccepts(flag: string): boolean {
  const result = spawnSync(process.execPath, [flag, '--allow-fs-read=/', '-e', '0'], { env: {}, stdio: 'ignore', timeout: 20_000 });
  return result.status === 0;
}

const UNSHARE_CANDIDATES: string[][] = [
  ['unshare', '--net', '--pid', '--mount', '--fork', '--kill-child', '--map-root-user'],
  ['unshare', '--net', '--pid', '--mount', '--fork', '--kill-child'],
  ['unshare', '--net', '--fork', '--kill-child', '--map-root-user'],
  ['unshare', '--net', '--fork', '--kill-child'],
];

function findUnshare(): { prefix: string[] | null; reason: string } {
  const reasons: string[] = [];
  for (const candidate of UNSHARE_CANDIDATES) {
    const [command, ...args] = candidate as [string, ...string[]];
    const result = spawnSync(command, [...args, process.execPath, '-e', '0'], { env: {}, stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
    if (result.status === 0) return { prefix: candidate, reason: '' };
    reasons.push(`${candidate.join(' ')}: ${result.error?.message ?? result.stderr?.toString().trim() ?? `exit ${result.status}`}`);
  }
  return { prefix: null, reason: reasons[reasons.length - 1] ?? 'unshare not found' };
}

let cached: IsolationReport | undefined;

/** Detects the layers once per process (a few short probes). */
export function detectIsolation(options: DetectOptions = {}): IsolationReport {
  if (cached && !options.disable?.length) return cached;
  const warnings: string[] = [];
  let permissionFlag: string | null = null;
  for (const flag of ['--permission', '--experimental-permission']) {
    if (nodeAccepts(flag)) {
      permissionFlag = flag;
      break;
    }
  }
  if (!permissionFlag) warnings.push('Node permission model unavailable: the sandbox child can read the host filesystem and spawn processes');

  let namespaces: string[] | null = null;
  if (options.disable?.includes('namespaces')) warnings.push('namespaces disabled by configuration: the sandbox child shares the host network');
  else if (process.platform !== 'linux') warnings.push(`namespaces unavailable on ${process.platform}: the sandbox child shares the host network`);
  else {
    const found = findUnshare();
    namespaces = found.prefix;
    if (!namespaces) warnings.push(`unshare failed (${found.reason}): the sandbox child shares the host network`);
    else if (!namespaces.includes('--pid')) warnings.push('pid/mount namespaces unavailable: only the network namespace is used');
  }

  let cgroup: CgroupRoot | null = null;
  if (options.disable?.includes('cgroup')) warnings.push('memory cgroup disabled by configuration: only the wasm and V8 heap caps bound memory');
  else if (process.platform !== 'linux') warnings.push('memory cgroups unavailable: only the wasm and V8 heap caps bound memory');
  else {
    const probe = probeController('memory', SANDBOX_CGROUP_PREFIX);
    if (probe.ok) cgroup = probe.root;
    else warnings.push(`memory cgroup unavailable (${probe.reason}): only the wasm and V8 heap caps bound memory`);
  }
  const report: IsolationReport = { permissionFlag, namespaces, cgroup, warnings };
  if (!options.disable?.length) cached = report;
  return report;
}

export interface LaunchSpec {
  command: string;
  args: string[];
}

export interface LaunchOptions {
  isolation: IsolationReport;
  /** Files and folders the child may read besides the Pyodide package and the worker folder. */
  extraReads?: readonly string[];
  /** Cgroup folder of this process (its cgroup.procs receives the process before anything runs). */
  cgroupDir?: string | null;
  /** V8 old-space cap in MB; the wasm heap is capped separately inside the child. */
  maxOldSpaceMb: number;
  /** JSON argument for child.mjs. */
  childConfig: unknown;
}

/**
 * The command that starts one sandbox child: `sh` puts itself into the cgroup and execs `unshare`, which execs
 * node under the permission model. Each layer is omitted when `isolation` says it is unavailable.
 */
export function launchSpec(options: LaunchOptions): LaunchSpec {
  const { isolation } = options;
  const reads = [pyodideDir(), workerDir + '/', ...(options.extraReads ?? [])];
  const nodeArgs = [
    '--disallow-code-generation-from-strings',
    `--max-old-space-size=${options.maxOldSpaceMb}`,
    '--disable-warning=ExperimentalWarning',
  ];
  if (isolation.permissionFlag) nodeArgs.unshift(isolation.permissionFlag, ...reads.map((p) => `--allow-fs-read=${p}`));
  const node = [process.execPath, ...nodeArgs, childScript, JSON.stringify(options.childConfig)];
  const wrapped = isolation.namespaces ? [...isolation.namespaces, ...node] : node;
  if (options.cgroupDir) {
    const procs = join(options.cgroupDir, 'cgroup.procs');
    // sh exports PWD to what it execs; `env -i` restores the empty environment.
    const script = existsSync('/usr/bin/env') ? 'echo $$ > "$0" && exec /usr/bin/env -i "$@"' : 'echo $$ > "$0" && unset PWD OLDPWD && exec "$@"';
    return { command: '/bin/sh', args: ['-c', script, procs, ...wrapped] };
  }
  const [command, ...args] = wrapped as [string, ...string[]];
  return { command, args };
}

/** True when every file the child needs exists (a broken install fails here with a clear message). */
export function missingFiles(): string[] {
  return [childScript, harnessPath, join(pyodideDir(), 'pyodide.asm.wasm'), join(pyodideDir(), 'python_stdlib.zip')].filter((p) => !existsSync(p));
}
