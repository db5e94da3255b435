/**
 * The metagraph sync loop (validator and miner): every `intervalMs` fetch the subnet's nodes from the chain and
 * replace the stored snapshot. A fetch that fails, hangs past `timeoutMs`, comes back empty or inconsistent
 * leaves the last good snapshot in place, is logged, and is retried after `retryMs` — a chain hiccup never
 * empties the node table (the original's loop died on any error but a timeout; miner-protocol-chain.md §6.3).
 */
import { systemClock } from '../clock/index.ts';
import type { Clock } from '../clock/index.ts';
import { validatorRules } from '../core/rules/validator.ts';
import type { Chain, Node } from '../chain/types.ts';
import { silentLogger } from '../log/index.ts';
import type { Logger } from '../log/index.ts';
import { isServing, nodeToRow, type NodeRow } from './convert.ts';
import type { NodeStore } from './store.ts';

export interface MetagraphSyncOptions {
  chain: Pick<Chain, 'getNodes'>;
  store: NodeStore;
  netuid: number;
  clock?: Pick<Clock, 'now' | 'sleep'>;
  /** Between successful refreshes (default validator.nodeRefreshIntervalSeconds, 15 min). */
  intervalMs?: number;
  /** Limit on one fetch (default validator.nodeRefreshTimeoutSeconds, 5 min). */
  timeoutMs?: number;
  /** Wait after a failed refresh (default validator.nodeRefreshRetrySeconds, 60 s). */
  retryMs?: number;
  /** Rows with this hotkey get `our_validator = true`. */
  ourHotkey?: string;
  log?: Logger;
}

export type SyncFailure = 'timeout' | 'chain_error' | 'empty' | 'inconsistent' | 'store_error';

export type SyncOutcome =
  | { ok: true; at: Date; nodes: number; serving: number }
  | { ok: false; at: Date; reason: SyncFailure; message: string };

const TIMED_OUT: unique symbol = Symbol('timed out');

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Why a snapshot cannot be right, or null when it can be stored. */
export function snapshotProblem(rows: readonly NodeRow[], netuid: number): string | null {
  const hotkeys = new Set<string>();
  const uids = new Set<number>();
  for (const row of rows) {
    if (row.netuid !== netuid) return `node ${row.hotkey} belongs to netuid ${row.netuid}, not ${netuid}`;
    if (hotkeys.has(row.hotkey)) return `hotkey ${row.hotkey} appears twice`;
    if (uids.has(row.node_id)) return `uid ${row.node_id} appears twice`;
    hotkeys.add(row.hotkey);
    uids.add(row.node_id);
  }
  return null;
}

export class MetagraphSync {
  private readonly options: Required<Omit<MetagraphSyncOptions, 'ourHotkey' | 'log' | 'clock'>> & Pick<MetagraphSyncOptions, 'ourHotkey'>;
  private readonly clock: Pick<Clock, 'now' | 'sleep'>;
  private readonly log: Logger;
  private controller: AbortController | undefined;
  private loop: Promise<void> | undefined;
  /** The outcome of the most recent refresh attempt. */
  lastOutcome: SyncOutcome | undefined;
  /** When the stored snapshot was last replaced successfully. */
  lastSuccessAt: Date | undefined;

  constructor(options: MetagraphSyncOptions) {
    this.options = {
      chain: options.chain,
      store: options.store,
      netuid: options.netuid,
      intervalMs: options.intervalMs ?? validatorRules.nodeRefreshIntervalSeconds * 1000,
      timeoutMs: options.timeoutMs ?? validatorRules.nodeRefreshTimeoutSeconds * 1000,
      retryMs: options.retryMs ?? validatorRules.nodeRefreshRetrySeconds * 1000,
      ourHotkey: options.ourHotkey,
    };
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? silentLogger();
  }

  /** One refresh: fetch, check, store. Never throws; the outcome says what happened. */
  async syncOnce(): Promise<SyncOutcome> {
    const outcome = await this.attempt();
    this.lastOutcome = outcome;
    if (outcome.ok) {
      this.lastSuccessAt = outcome.at;
      this.log.info({ netuid: this.options.netuid, nodes: outcome.nodes, serving: outcome.serving }, 'metagraph synced');
    } else {
      this.log.warn({ netuid: this.options.netuid, reason: outcome.reason, err: outcome.message }, 'metagraph sync failed; keeping the last good snapshot');
    }
    return outcome;
  }

  private async attempt(): Promise<SyncOutcome> {
    const { chain, store, netuid, timeoutMs } = this.options;
    const failed = (reason: SyncFailure, text: string): SyncOutcome => ({ ok: false, at: new Date(this.clock.now()), reason, message: text });
    const timer = new AbortController();
    let fetched: Node[] | typeof TIMED_OUT;
    try {
      fetched = await Promise.race([
        chain.getNodes(netuid),
        // Aborted once the race is settled; the rejection then has no reader and must not surface as unhandled.
        this.clock.sleep(timeoutMs, timer.signal).then(
          (): typeof TIMED_OUT => TIMED_OUT,
          (): typeof TIMED_OUT => TIMED_OUT,
        ),
      ]);
    } catch (err) {
      return failed('chain_error', message(err));
    } finally {
      timer.abort();
    }
    if (fetched === TIMED_OUT) return failed('timeout', `no answer from the chain within ${timeoutMs} ms`);
    // A live subnet always has neurons (the owner's at least); an empty answer is a node that is not synced.
    if (fetched.length === 0) return failed('empty', `the chain returned no nodes for netuid ${netuid}`);
    const rows = fetched.map((node) => nodeToRow(node, this.options.ourHotkey));
    const problem = snapshotProblem(rows, netuid);
    if (problem) return failed('inconsistent', problem);
    const at = new Date(this.clock.now());
    try {
      await store.replaceNodes(netuid, rows, at);
    } catch (err) {
      return failed('store_error', message(err));
    }
    return { ok: true, at, nodes: rows.length, serving: rows.filter(isServing).length };
  }

  /** Starts the loop (first refresh at once). */
  start(): void {
    if (this.loop) return;
    const controller = new AbortController();
    this.controller = controller;
    this.loop = (async () => {
      while (!controller.signal.aborted) {
        const outcome = await this.syncOnce();
        try {
          await this.clock.sleep(outcome.ok ? this.options.intervalMs : this.options.retryMs, controller.signal);
        } catch {
          return;
        }
      }
    })();
  }

  /** Stops the loop; resolves once the refresh in progress (if any) has finished. */
  async stop(): Promise<void> {
    this.controller?.abort();
    await this.loop;
    this.loop = undefined;
    this.controller = undefined;
  }
}
