/**
 * The miner's memory of used nonces, bounded in time and size. fiber keeps every nonce forever (its cleanup is
 * never called) and records nonces before checking signatures, so anyone could grow a miner's memory.
 *
 * Here a nonce is forgotten once its own timestamp has left the acceptance window: from then on the time check
 * refuses it anyway, so forgetting it cannot reopen a replay. When the store is full of live nonces it refuses
 * new ones instead of evicting, because evicting a live nonce would make its request replayable.
 */
import { protocolRules } from '../core/rules/protocol.ts';
import { secondsToNs } from './nonce.ts';

export type ConsumeResult = 'ok' | 'replay' | 'full';

interface Entry {
  expiresAtNs: bigint;
  nonce: string;
}

export interface NonceStoreOptions {
  maxEntries?: number;
  windowNs?: bigint;
}

export class NonceStore {
  readonly maxEntries: number;
  readonly windowNs: bigint;
  private readonly expiry = new Map<string, bigint>();
  /** Min-heap on expiresAtNs: purging costs O(log n) per expired nonce, never a scan. */
  private readonly heap: Entry[] = [];

  constructor(options: NonceStoreOptions = {}) {
    this.maxEntries = options.maxEntries ?? protocolRules.maxNonceEntries;
    this.windowNs = options.windowNs ?? secondsToNs(protocolRules.nonceWindowSeconds);
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) throw new Error('maxEntries must be a positive integer');
  }

  get size(): number {
    return this.expiry.size;
  }

  /** Whether the nonce was used and is still remembered. Read-only: a look before the signature is checked. */
  has(nonce: string, nowNs: bigint): boolean {
    this.purge(nowNs);
    return this.expiry.has(nonce);
  }

  /**
   * Records a nonce as used, atomically with the replay check (two concurrent requests with one nonce cannot
   * both pass). Call only for a request whose signature verified.
   */
  consume(nonce: string, timestampNs: bigint, nowNs: bigint): ConsumeResult {
    this.purge(nowNs);
    if (this.expiry.has(nonce)) return 'replay';
    if (this.expiry.size >= this.maxEntries) return 'full';
    const expiresAtNs = timestampNs + this.windowNs;
    this.expiry.set(nonce, expiresAtNs);
    this.push({ expiresAtNs, nonce });
    return 'ok';
  }

  /** Forgets nonces whose timestamp is more than the window in the past (the time check refuses them now). */
  purge(nowNs: bigint): void {
    while (this.heap.length > 0 && (this.heap[0] as Entry).expiresAtNs < nowNs) {
      const top = this.pop();
      this.expiry.delete(top.nonce);
    }
  }

  private push(entry: Entry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((heap[parent] as Entry).expiresAtNs <= entry.expiresAtNs) break;
      heap[i] = heap[parent] as Entry;
      i = parent;
    }
    heap[i] = entry;
  }

  private pop(): Entry {
    const heap = this.heap;
    const top = heap[0] as Entry;
    const last = heap.pop() as Entry;
    if (heap.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && (heap[right] as Entry).expiresAtNs < (heap[left] as Entry).expiresAtNs ? right : left;
      if ((heap[child] as Entry).expiresAtNs >= last.expiresAtNs) break;
      heap[i] = heap[child] as Entry;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}
