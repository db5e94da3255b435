/**
 * Upload tokens of the hub server, one namespace each: a token for `alice` may create and upload to
 * `alice/*` and nothing else (reading is public, as for public Hugging Face repos). Tokens are 256-bit random,
 * shown once, and kept as sha256 hashes in `<hub>/tokens.json` (mode 0600); that file is re-read when it
 * changes, so `god hub token` works while the server runs.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { systemClock } from '../../clock/index.ts';
import type { Clock } from '../../clock/index.ts';
import { StorageError } from '../errors.ts';
import { readJsonFile, writeJsonAtomic } from '../fsutil.ts';
import { withLockFile } from '../lock.ts';
import { parseRepoOwner } from '../names.ts';

export const HUB_TOKEN_PREFIX = 'hub_';
const TokenRecord = z.object({ owner: z.string(), prefix: z.string(), hash: z.string().regex(/^[0-9a-f]{64}$/), created_at: z.string() });
const TokenFile = z.object({ tokens: z.array(TokenRecord) });
type TokenRecord = z.infer<typeof TokenRecord>;

export interface IssuedHubToken {
  owner: string;
  token: string;
  prefix: string;
}

const hashToken = (token: string) => createHash('sha256').update(token).digest();

export class HubTokenStore {
  private cache: { ino: number; mtimeMs: number; size: number; tokens: TokenRecord[] } | undefined;

  constructor(
    readonly path: string,
    private readonly clock: Clock = systemClock,
  ) {}

  private async load(): Promise<TokenRecord[]> {
    let info;
    try {
      info = await stat(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    // Every write is a rename onto the path, so a new inode means new content even within one mtime tick.
    if (this.cache && this.cache.ino === info.ino && this.cache.mtimeMs === info.mtimeMs && this.cache.size === info.size) return this.cache.tokens;
    const parsed = TokenFile.safeParse(await readJsonFile(this.path));
    if (!parsed.success) throw new StorageError('corrupt', `hub token file ${this.path} is damaged`);
    this.cache = { ino: info.ino, mtimeMs: info.mtimeMs, size: info.size, tokens: parsed.data.tokens };
    return parsed.data.tokens;
  }

  private async update(fn: (tokens: TokenRecord[]) => TokenRecord[]): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    await withLockFile(`${this.path}.lock`, async () => {
      this.cache = undefined;
      const tokens = fn([...(await this.load())]);
      await writeJsonAtomic(this.path, { tokens }, join(dirname(this.path), 'tmp'), 0o600);
      this.cache = undefined;
    });
  }

  async issue(owner: string): Promise<IssuedHubToken> {
    parseRepoOwner(owner);
    const token = HUB_TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const prefix = token.slice(0, 12);
    await this.update((tokens) => [...tokens, { owner, prefix, hash: hashToken(token).toString('hex'), created_at: this.clock.date().toISOString() }]);
    return { owner, token, prefix };
  }

  /** The owner namespace a token grants, or null. Compared in constant time against every stored hash. */
  async verify(token: string): Promise<string | null> {
    if (!token.startsWith(HUB_TOKEN_PREFIX)) return null;
    const presented = hashToken(token);
    let owner: string | null = null;
    for (const record of await this.load()) {
      if (timingSafeEqual(presented, Buffer.from(record.hash, 'hex'))) owner = record.owner;
    }
    return owner;
  }

  async list(): Promise<{ owner: string; prefix: string; createdAt: string }[]> {
    return (await this.load()).map((t) => ({ owner: t.owner, prefix: t.prefix, createdAt: t.created_at }));
  }

  /** Revokes every token with this prefix; returns how many. */
  async revoke(prefix: string): Promise<number> {
    let removed = 0;
    await this.update((tokens) => {
      const kept = tokens.filter((t) => t.prefix !== prefix);
      removed = tokens.length - kept.length;
      return kept;
    });
    return removed;
  }
}
