/**
 * Clones a miner's repository at one exact commit into a folder of its own (the original shares one folder per
 * repo *name*, so concurrent jobs of forks overwrite each other — tournament.md §10). git runs without a shell, with
 * a timeout, no user or system config, no hooks, no submodules, no prompts, symlinks checked out as plain files,
 * and only the transport the URL needs.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { folderUsage } from '../isolation/usage.ts';
import type { RepoSource } from './validate.ts';

export class CloneError extends Error {
  override name = 'CloneError';
}

export interface CloneOptions {
  source: RepoSource;
  commit: string;
  branch: string | null;
  dest: string;
  timeoutMs: number;
  maxBytes: number;
}

function git(args: string[], opts: { cwd?: string; timeoutMs: number; home: string; local: boolean }): Promise<string> {
  const config = [
    '-c', 'core.hooksPath=/dev/null',
    '-c', 'core.symlinks=false',
    '-c', 'core.fsmonitor=false',
    '-c', 'submodule.recurse=false',
    '-c', 'credential.helper=',
    '-c', 'protocol.allow=never',
    '-c', `protocol.${opts.local ? 'file' : 'https'}.allow=always`,
    '-c', 'advice.detachedHead=false',
    ...(opts.local ? ['-c', 'safe.directory=*'] : []),
  ];
  const env = {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    HOME: opts.home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '/bin/false',
    SSH_ASKPASS: '/bin/false',
    GIT_LFS_SKIP_SMUDGE: '1',
  };
  return new Promise((resolve, reject) => {
    execFile('git', [...config, ...args], { cwd: opts.cwd, env, timeout: opts.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error) {
        const why = (error as NodeJS.ErrnoException & { killed?: boolean }).killed ? `timed out after ${opts.timeoutMs} ms` : stderr.trim().split('\n').slice(-3).join(' | ') || error.message;
        reject(new CloneError(`git ${args[0]} failed: ${why}`));
      } else resolve(stdout);
    });
  });
}

/** Clones, checks out `commit` detached, verifies HEAD is exactly it, drops `.git` and checks the size. */
export async function cloneAtCommit(opts: CloneOptions): Promise<void> {
  const local = opts.source.kind === 'local';
  const home = await mkdtemp(join(tmpdir(), 'god-git-home-'));
  const deadline = Date.now() + opts.timeoutMs;
  const left = () => Math.max(1000, deadline - Date.now());
  try {
    const clone = ['clone', '--quiet', '--no-checkout', '--no-recurse-submodules'];
    if (opts.branch) clone.push('--branch', opts.branch);
    await git([...clone, '--', opts.source.url, opts.dest], { timeoutMs: left(), home, local });
    const has = await git(['cat-file', '-e', `${opts.commit}^{commit}`], { cwd: opts.dest, timeoutMs: left(), home, local }).then(
      () => true,
      () => false,
    );
    if (!has) await git(['fetch', '--quiet', '--no-recurse-submodules', 'origin', opts.commit], { cwd: opts.dest, timeoutMs: left(), home, local });
    await git(['checkout', '--quiet', '--detach', opts.commit], { cwd: opts.dest, timeoutMs: left(), home, local });
    const head = (await git(['rev-parse', 'HEAD'], { cwd: opts.dest, timeoutMs: left(), home, local })).trim();
    if (head !== opts.commit) throw new CloneError(`checked out ${head}, expected ${opts.commit}`);
    await rm(join(opts.dest, '.git'), { recursive: true, force: true });
    const usage = await folderUsage(opts.dest);
    if (usage.truncated || usage.bytes > opts.maxBytes) throw new CloneError(`the repository is larger than ${opts.maxBytes} bytes`);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}
