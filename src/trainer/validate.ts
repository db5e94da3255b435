/**
 * Checks on what a start request names before any of it reaches git, the filesystem or a command line. The
 * original passes miner-supplied repo URLs and commits to git unchecked and keys clone folders by repo name
 * (tournament.md §10); here a repo must be https on an allowed host (or, where enabled, a local repository) and
 * the commit a full 40-hex sha.
 */
import { isAbsolute, normalize, resolve, sep } from 'node:path';
import { RepoName } from '../storage/names.ts';

export class RequestRefused extends Error {
  override name = 'RequestRefused';
}

export interface RepoPolicy {
  /** Hosts https repos may come from (exact, lower case). */
  allowedHosts: readonly string[];
  /** Allow `file://` URLs and absolute paths (devnet, tests). */
  allowLocal: boolean;
  /** When non-empty, local repos must lie inside one of these folders. */
  localRoots: readonly string[];
}

export type RepoSource = { kind: 'remote'; url: string; host: string } | { kind: 'local'; path: string; url: string };

const SEGMENT = /^[A-Za-z0-9_.-]{1,100}$/;

function inside(path: string, root: string): boolean {
  const r = resolve(root);
  return path === r || path.startsWith(r.endsWith(sep) ? r : r + sep);
}

/** `https://<allowed host>/<owner>/<repo>(.git)` or, when allowed, `file:///abs/path` / `/abs/path`. */
export function parseRepoUrl(raw: string, policy: RepoPolicy): RepoSource {
  if (raw.length > 1000 || /\s/.test(raw) || [...raw].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) {
    throw new RequestRefused('github_repo contains control characters or whitespace');
  }
  if (raw.startsWith('-')) throw new RequestRefused('github_repo cannot start with "-"');
  if (isAbsolute(raw) || raw.startsWith('file:')) {
    if (!policy.allowLocal) throw new RequestRefused('local repositories are not allowed on this trainer');
    let path: string;
    if (raw.startsWith('file:')) {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        throw new RequestRefused('github_repo is not a valid file:// URL');
      }
      if (url.host !== '' || url.search !== '' || url.hash !== '') throw new RequestRefused('a file:// repo URL has no host, query or fragment');
      path = decodeURIComponent(url.pathname);
    } else path = raw;
    if (path.split('/').includes('..')) throw new RequestRefused('a local repo path cannot contain ".."');
    path = normalize(path);
    if (policy.localRoots.length && !policy.localRoots.some((root) => inside(path, root))) {
      throw new RequestRefused('the local repo is outside the allowed folders');
    }
    return { kind: 'local', path, url: `file://${path}` };
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new RequestRefused('github_repo is not a URL');
  }
  if (url.protocol !== 'https:') throw new RequestRefused(`only https repo URLs are allowed, not ${url.protocol}`);
  if (url.username || url.password) throw new RequestRefused('credentials in the repo URL are not allowed');
  if (url.search || url.hash) throw new RequestRefused('a repo URL has no query or fragment');
  const host = url.hostname.toLowerCase();
  if (!policy.allowedHosts.map((h) => h.toLowerCase()).includes(host)) throw new RequestRefused(`repo host ${host} is not allowed`);
  const parts = url.pathname.replace(/\/+$/, '').split('/').slice(1);
  if (parts.length !== 2) throw new RequestRefused('a repo URL is https://<host>/<owner>/<repo>');
  const [owner, repoRaw] = parts as [string, string];
  const repo = repoRaw.endsWith('.git') ? repoRaw.slice(0, -4) : repoRaw;
  for (const p of [owner, repo]) if (!SEGMENT.test(p) || p === '.' || p === '..') throw new RequestRefused('owner and repo are 1–100 of [A-Za-z0-9_.-]');
  const port = url.port ? `:${url.port}` : '';
  return { kind: 'remote', url: `https://${host}${port}/${owner}/${repo}.git`, host };
}

export function parseCommit(raw: string | null | undefined): string {
  if (!raw) throw new RequestRefused('github_commit_hash is required (a full 40-hex commit sha)');
  if (!/^[0-9a-fA-F]{40}$/.test(raw)) throw new RequestRefused('github_commit_hash must be a full 40-hex commit sha');
  return raw.toLowerCase();
}

export function parseBranch(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined || raw === '') return null;
  if (!/^[A-Za-z0-9._/-]{1,200}$/.test(raw) || raw.startsWith('-') || raw.includes('..') || raw.endsWith('.lock') || raw.includes('//')) {
    throw new RequestRefused('github_branch is not a safe branch name');
  }
  return raw;
}

/** A task id becomes a folder name (`/app/checkpoints/<task_id>/…`) and a file name prefix. */
export function parseTaskId(raw: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(raw)) throw new RequestRefused('task_id must be 1–128 of [A-Za-z0-9_.-], starting with a letter or digit');
  return raw;
}

/** expected_repo_name becomes a folder and the hub repo name; the hub's own rule applies. */
export function parseExpectedRepoName(raw: string | null | undefined): string {
  if (!raw) throw new RequestRefused('training_data.expected_repo_name is required on a trainer');
  const r = RepoName.safeParse(raw);
  if (!r.success) throw new RequestRefused(`expected_repo_name: ${r.error.issues.map((i) => i.message).join('; ')}`);
  return raw;
}

export function parseHotkey(raw: string): string {
  if (!/^[A-Za-z0-9]{1,64}$/.test(raw)) throw new RequestRefused('hotkey must be 1–64 of [A-Za-z0-9]');
  return raw;
}

/** The original maps a model id to its cache folder by replacing "/" with "--". */
export function modelFolderName(modelId: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}(?:\/[A-Za-z0-9][A-Za-z0-9_.-]{0,95})?$/.test(modelId) || modelId.includes('..')) {
    throw new RequestRefused('training_data.model must be a hub id "owner/name"');
  }
  return modelId.replace('/', '--');
}
