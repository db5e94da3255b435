/**
 * `god doctor`: the checks an operator runs before starting a role, each one line of ok / warn / fail. Every check
 * touches the real thing (a peer's clock, the key file, the chain, the database, the storage) and changes nothing:
 * it never creates a database, never migrates, never writes outside a temporary probe file in the blob directory.
 */
import { constants, existsSync, statSync } from 'node:fs';
import { access, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ChainTarget } from '../chain/connect.ts';
import type { Chain } from '../chain/types.ts';
import type { Config } from '../config/schema.ts';
import type { Db } from '../db/types.ts';
import type { Sr25519Keypair } from '../keys/keypair.ts';
import { fail, ok, warn, type CheckOutcome, type HealthCheck } from './health.ts';

/** Below this skew against a peer, the clock is fine; NTP-synced hosts are within milliseconds. */
export const CLOCK_OK_SECONDS = 5;

export interface ClockSample {
  peer: string;
  /** Peer time minus ours, in seconds (positive: we are behind). */
  skewSeconds: number;
  /** Uncertainty: half the round trip plus the Date header's one-second resolution. */
  errorSeconds: number;
}

/**
 * Our clock against a peer's HTTP `Date` header, taken at the midpoint of the round trip. The header has
 * one-second resolution (truncated), so the peer's time lies in [date, date + 1 s).
 */
export async function sampleClock(url: string, options: { signal?: AbortSignal; now?: () => number; fetch?: typeof fetch } = {}): Promise<ClockSample> {
  const now = options.now ?? Date.now;
  const t0 = now();
  const response = await (options.fetch ?? fetch)(url, { method: 'GET', redirect: 'manual', ...(options.signal ? { signal: options.signal } : {}) });
  const t1 = now();
  await response.body?.cancel();
  const header = response.headers.get('date');
  const peerMs = header ? Date.parse(header) : NaN;
  if (!Number.isFinite(peerMs)) throw new Error(`${url} sent no usable Date header`);
  const midpoint = (t0 + t1) / 2;
  return { peer: url, skewSeconds: (peerMs + 500 - midpoint) / 1000, errorSeconds: (t1 - t0) / 2000 + 0.5 };
}

/** A websocket endpoint's HTTPS twin (RPC nodes answer plain HTTP on the same port), for its Date header. */
export function httpPeerOf(url: string): string {
  return url.replace(/^wss:/i, 'https:').replace(/^ws:/i, 'http:');
}

/**
 * The verdict on a clock skew. The fiber nonce window is ±`windowSeconds` (120 s) around the receiver's clock: a
 * miner refuses a validator whose clock differs from its own by more than that (minus network latency). Two hosts
 * can err in opposite directions, so each must stay within half the window; past that, requests fail.
 */
export function judgeSkew(samples: readonly ClockSample[], windowSeconds: number): CheckOutcome {
  if (samples.length === 0) return warn('no peer to compare with: pass --peer URL (a validator, miner or the chain)');
  const worst = samples.reduce((a, b) => (Math.abs(b.skewSeconds) > Math.abs(a.skewSeconds) ? b : a));
  const s = worst.skewSeconds;
  const text = `${Math.abs(s).toFixed(1)} s ${s >= 0 ? 'behind' : 'ahead of'} ${worst.peer} (±${worst.errorSeconds.toFixed(1)} s)`;
  const why = `signed requests carry a nonce timestamp that peers accept within ±${windowSeconds} s of their own clock`;
  if (Math.abs(s) - worst.errorSeconds >= windowSeconds / 2) return fail(`${text}: ${why}; fix time sync (NTP/chrony) before running a role`);
  if (Math.abs(s) - worst.errorSeconds >= CLOCK_OK_SECONDS) return warn(`${text}: ${why}; enable time sync`);
  return ok(`${text}${samples.length > 1 ? ` (worst of ${samples.length} peers)` : ''}`);
}

export function clockCheck(peers: readonly string[], windowSeconds: number, fetchImpl?: typeof fetch): HealthCheck {
  return {
    name: 'clock',
    async run(signal) {
      const samples: ClockSample[] = [];
      const unreachable: string[] = [];
      for (const peer of peers) {
        try {
          samples.push(await sampleClock(peer, { signal, ...(fetchImpl ? { fetch: fetchImpl } : {}) }));
        } catch {
          unreachable.push(peer);
        }
      }
      const verdict = judgeSkew(samples, windowSeconds);
      if (unreachable.length > 0 && samples.length === 0 && peers.length > 0) return warn(`could not read the time of ${unreachable.join(', ')}`);
      return verdict;
    },
  };
}

export type KeySource = { suri: string } | { root: string; wallet: string; hotkey: string };

export function keysCheck(source: KeySource, load: (source: KeySource) => Promise<Sr25519Keypair>, keyPath?: string): HealthCheck {
  return {
    name: 'keys',
    async run() {
      const keypair = await load(source);
      const where = 'suri' in source ? 'from --suri' : `wallet ${source.wallet}/${source.hotkey}`;
      if (keyPath && existsSync(keyPath) && (statSync(keyPath).mode & 0o077) !== 0) {
        return warn(`hotkey ${keypair.ss58Address} (${where}) is readable, but ${keyPath} is accessible to other users (chmod 600)`);
      }
      return ok(`hotkey ${keypair.ss58Address} (${where})`);
    },
  };
}

export function chainCheck(target: ChainTarget, netuid: number, connect: (t: ChainTarget) => Promise<Chain>, hotkey?: () => Promise<string | null>): HealthCheck {
  const where = target.network === 'devnet' ? target.url : target.endpoint;
  return {
    name: 'chain',
    async run() {
      const chain = await connect(target);
      try {
        const block = await chain.getBlock();
        const params = await chain.getSubnetParams(netuid);
        const parts = [`${target.network} at ${where}: block ${block}, netuid ${netuid} has ${params.n} uid(s)`];
        const address = hotkey ? await hotkey().catch(() => null) : null;
        let status: CheckOutcome['status'] = 'ok';
        if (address) {
          const uid = await chain.getUid(netuid, address);
          if (uid === null) {
            status = 'warn';
            parts.push(`our hotkey is not registered on netuid ${netuid}`);
          } else parts.push(`our uid ${uid}`);
        }
        if (params.commit_reveal_weights_enabled) {
          status = 'warn';
          parts.push('CommitRevealWeightsEnabled is on: a validator cannot set weights here (commit-reveal is not implemented, see docs/operations.md)');
        }
        return { status, detail: parts.join('; ') };
      } finally {
        await chain.close();
      }
    },
  };
}

export type DbTargetInfo = { driver: 'postgres'; location: string } | { driver: 'pglite'; dataDir: string | undefined; location: string };

export function databaseCheck(
  target: DbTargetInfo,
  open: () => Promise<Db>,
  status: (db: Db) => Promise<{ version: number; latest: number; pending: unknown[]; problems: string[] }>,
): HealthCheck {
  return {
    name: 'database',
    async run() {
      if (target.driver === 'pglite' && target.dataDir && !existsSync(join(target.dataDir, 'PG_VERSION'))) {
        return warn(`no database at ${target.location} yet (the first role to start creates it; or run god db migrate)`);
      }
      let db: Db;
      try {
        db = await open();
      } catch (err) {
        const message = (err as Error).message;
        // PGlite serves one process: a running role holding it is not a fault.
        if (/is in use/.test(message)) return warn(`${target.location} is open in a running process; stop it to check, or use PostgreSQL`);
        return fail(`${target.driver} at ${target.location}: ${message}`);
      }
      try {
        const s = await status(db);
        if (s.problems.length > 0) return fail(`${target.driver} at ${target.location}: ${s.problems.join('; ')}`);
        if (s.pending.length > 0) return warn(`${target.driver} at ${target.location}: schema version ${s.version}, ${s.pending.length} migration(s) pending (god db migrate)`);
        return ok(`${target.driver} at ${target.location}: schema version ${s.version} (latest)`);
      } finally {
        await db.close();
      }
    },
  };
}

export function storageCheck(options: { blobDir: string; urls: readonly string[]; fetch?: typeof fetch }): HealthCheck {
  return {
    name: 'storage',
    async run(signal) {
      const parts: string[] = [];
      let status: CheckOutcome['status'] = 'ok';
      const dir = resolve(options.blobDir);
      if (!existsSync(dir)) {
        status = 'warn';
        parts.push(`blob directory ${dir} does not exist yet`);
      } else {
        await access(dir, constants.W_OK);
        const probe = join(dir, `.doctor-${process.pid}-${Date.now()}`);
        await writeFile(probe, 'ok');
        await rm(probe, { force: true });
        parts.push(`blob directory ${dir} is writable`);
      }
      for (const url of options.urls) {
        try {
          const response = await (options.fetch ?? fetch)(url, { method: 'GET', redirect: 'manual', signal });
          await response.body?.cancel();
          // Any answer proves the service is there; S3 answers 403 to anonymous requests.
          parts.push(`${url} answers (HTTP ${response.status})`);
        } catch (err) {
          status = 'fail';
          parts.push(`${url} is unreachable (${(err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name})`);
        }
      }
      return { status, detail: parts.join('; ') };
    },
  };
}

/** The storage URLs configured for this installation (S3 endpoint, a remote hub or storage server). */
export function storageUrls(config: Config): string[] {
  return [config.services.s3Endpoint, config.storage.hubUrl].filter((u): u is string => typeof u === 'string' && /^https?:/i.test(u));
}
