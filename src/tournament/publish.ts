/**
 * Publishing a winner's training repository (tournament spec §3.12): the repo is cloned at the exact commit it was
 * entered with (the trainer's hardened clone), its tree becomes the single commit of a fresh `main`
 * ("Tournament winner repository - Commit: <8>"), and that is force-pushed to `<remote base>/<name>.git` with
 * name `god-<type>-<tournament_id>-position-<n>`. History is squashed, so only the snapshot is exposed.
 *
 * git runs without a shell. Unlike the original, a token never appears in a URL or a command line: it travels in
 * an HTTP header set through git's environment configuration, and is scrubbed from any error text.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { cloneAtCommit } from '../trainer/git.ts';
import { parseCommit, parseRepoUrl, type RepoPolicy } from '../trainer/validate.ts';
import type { PublishRequest, RepoPublisher } from './ports.ts';
import { publishedRepoName } from './structure.ts';

export interface GitPublisherOptions {
  /**
   * Where published repos go: a local directory of bare repositories (absolute path or file:// URL, created on
   * demand) or an https base such as `https://github.com/gradients-opensource`.
   */
  remoteBase: string;
  /** Token for an https remote (sent as `Authorization: Basic base64(x-access-token:<token>)`). */
  token?: string | null;
  /** Creates a missing https repository before the push (e.g. GitHub's POST /orgs/<org>/repos). */
  createRepo?: (name: string, description: string) => Promise<void>;
  /** Which source repositories may be cloned. */
  repoPolicy: RepoPolicy;
  timeoutMs?: number;
  maxBytes?: number;
}

class PublishError extends Error {
  override readonly name = 'PublishError';
}

function ordinal(n: number): string {
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th';
  return `${n}${s}`;
}

/** `G.O.D <Type> Tournament <n><st|nd|rd|th> Place - <tid> - Participant: <hotkey>`. */
export function publishedDescription(r: PublishRequest): string {
  const type = r.type.charAt(0).toUpperCase() + r.type.slice(1);
  return `G.O.D ${type} Tournament ${ordinal(r.position)} Place - ${r.tournamentId} - Participant: ${r.hotkey}`;
}

export class GitPublisher implements RepoPublisher {
  private readonly local: string | null;

  constructor(private readonly o: GitPublisherOptions) {
    const base = o.remoteBase.replace(/\/+$/, '');
    if (base.startsWith('file://')) this.local = decodeURIComponent(new URL(base).pathname);
    else if (isAbsolute(base)) this.local = base;
    else if (base.startsWith('https://')) this.local = null;
    else throw new PublishError(`publish remote ${o.remoteBase} is neither an absolute path, a file:// URL nor an https URL`);
  }

  private git(args: string[], cwd: string, home: string): Promise<string> {
    const token = this.o.token ?? null;
    const env: Record<string, string> = {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      HOME: home,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_TERMINAL_PROMPT: '0',
      GIT_ASKPASS: '/bin/false',
      GIT_AUTHOR_NAME: 'god tournament',
      GIT_AUTHOR_EMAIL: 'tournament@god.invalid',
      GIT_COMMITTER_NAME: 'god tournament',
      GIT_COMMITTER_EMAIL: 'tournament@god.invalid',
    };
    if (token && this.local === null) {
      env.GIT_CONFIG_COUNT = '1';
      env.GIT_CONFIG_KEY_0 = 'http.extraHeader';
      env.GIT_CONFIG_VALUE_0 = `Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
    }
    const config = ['-c', 'core.hooksPath=/dev/null', '-c', 'credential.helper=', '-c', 'protocol.allow=never', '-c', `protocol.${this.local ? 'file' : 'https'}.allow=always`];
    const timeout = this.o.timeoutMs ?? 300_000;
    return new Promise((resolve, reject) => {
      execFile('git', [...config, ...args], { cwd, env, timeout, killSignal: 'SIGKILL', maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        let why = stderr.trim().split('\n').slice(-3).join(' | ') || error.message;
        if (token) why = why.split(token).join('[Redacted]');
        reject(new PublishError(`git ${args[0]} failed: ${why}`));
      });
    });
  }

  async publish(r: PublishRequest): Promise<{ url: string; commit: string }> {
    const name = publishedRepoName(r.type, r.tournamentId, r.position);
    const source = parseRepoUrl(r.repo, this.o.repoPolicy);
    const commit = parseCommit(r.commit);
    const work = await mkdtemp(join(tmpdir(), 'god-publish-'));
    try {
      const home = join(work, 'home');
      const tree = join(work, 'tree');
      await mkdir(home);
      await cloneAtCommit({ source, commit, branch: null, dest: tree, timeoutMs: this.o.timeoutMs ?? 300_000, maxBytes: this.o.maxBytes ?? 2 * 1024 ** 3 });
      await this.git(['init', '--quiet', '--initial-branch=main'], tree, home);
      await this.git(['add', '--all', '--force'], tree, home);
      await this.git(['commit', '--quiet', '--allow-empty', '--no-verify', '-m', `Tournament winner repository - Commit: ${commit.slice(0, 8)}`], tree, home);
      const pushed = (await this.git(['rev-parse', 'HEAD'], tree, home)).trim();
      let remote: string;
      if (this.local) {
        remote = join(this.local, `${name}.git`);
        if (!existsSync(remote)) {
          await mkdir(remote, { recursive: true });
          await this.git(['init', '--quiet', '--bare', '--initial-branch=main'], remote, home);
        }
      } else {
        remote = `${this.o.remoteBase.replace(/\/+$/, '')}/${name}.git`;
        await this.o.createRepo?.(name, publishedDescription(r));
      }
      await this.git(['push', '--quiet', '--force', remote, 'HEAD:refs/heads/main'], tree, home);
      return { url: remote, commit: pushed };
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
}

/**
 * Creates `<org>/<name>` on GitHub when it does not exist (POST /orgs/<org>/repos, auto_init false), as the
 * original's publisher does.
 */
export function githubRepoCreator(org: string, token: string, fetchImpl: typeof fetch = fetch): (name: string, description: string) => Promise<void> {
  const headers = { authorization: `Bearer ${token}`, accept: 'application/vnd.github+json', 'content-type': 'application/json' };
  return async (name, description) => {
    const exists = await fetchImpl(`https://api.github.com/repos/${encodeURIComponent(org)}/${encodeURIComponent(name)}`, { headers });
    if (exists.status === 200) return;
    const res = await fetchImpl(`https://api.github.com/orgs/${encodeURIComponent(org)}/repos`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name, description, auto_init: false }),
    });
    if (res.status !== 201 && res.status !== 422) throw new PublishError(`creating ${org}/${name} failed: HTTP ${res.status}`);
  };
}
