/**
 * Where synced nodes live. `SqlNodeStore` writes the `nodes` table the way the original's `refresh_nodes` does
 * (copy the subnet's rows to `nodes_history`, delete them, insert the fresh snapshot) but in one transaction, so
 * a reader never sees the table empty or half-filled (miner-protocol-chain.md §11 item 15). `MemoryNodeStore` is
 * the same contract for a process without a database (a miner's stake lookups).
 */
import type { Db, Queryable } from '../db/types.ts';
import type { NodeRow } from './convert.ts';

export interface StoredNodes {
  rows: NodeRow[];
  /** When this snapshot was written; null when there is none. */
  refreshedAt: Date | null;
}

export interface NodeStore {
  /** Replaces the subnet's snapshot atomically. */
  replaceNodes(netuid: number, rows: readonly NodeRow[], now: Date): Promise<void>;
  listNodes(netuid: number): Promise<StoredNodes>;
}

export class MemoryNodeStore implements NodeStore {
  private readonly snapshots = new Map<number, StoredNodes>();

  async replaceNodes(netuid: number, rows: readonly NodeRow[], now: Date): Promise<void> {
    this.snapshots.set(netuid, { rows: rows.map((r) => ({ ...r })), refreshedAt: now });
  }

  async listNodes(netuid: number): Promise<StoredNodes> {
    const s = this.snapshots.get(netuid);
    return s ? { rows: s.rows.map((r) => ({ ...r })), refreshedAt: s.refreshedAt } : { rows: [], refreshedAt: null };
  }
}

const COLUMNS = [
  'hotkey', 'netuid', 'node_id', 'coldkey', 'ip', 'ip_type', 'port', 'protocol', 'trust', 'vtrust',
  'stake', 'alpha_stake', 'tao_stake', 'incentive', 'last_updated', 'our_validator',
] as const satisfies readonly (keyof NodeRow)[];

/** Rows per INSERT: 16 parameters each keeps a statement far below Postgres's 65 535-parameter limit. */
const CHUNK = 1000;

async function insertRows(tx: Queryable, rows: readonly NodeRow[], now: Date): Promise<void> {
  for (let start = 0; start < rows.length; start += CHUNK) {
    const chunk = rows.slice(start, start + CHUNK);
    const params: unknown[] = [];
    const tuples = chunk.map((row) => {
      const base = params.length;
      for (const c of COLUMNS) params.push(row[c]);
      params.push(now);
      const slots = COLUMNS.map((_, i) => `$${base + i + 1}`);
      const at = `$${base + COLUMNS.length + 1}`;
      return `(${slots.join(', ')}, ${at}, ${at})`;
    });
    await tx.query(`INSERT INTO nodes (${COLUMNS.join(', ')}, created_timestamp, updated_timestamp) VALUES ${tuples.join(', ')}`, params);
  }
}

interface NodeDbRow extends Omit<NodeRow, 'trust' | 'vtrust' | 'incentive' | 'last_updated' | 'protocol' | 'our_validator'> {
  trust: number | null;
  vtrust: number | null;
  incentive: number | null;
  last_updated: number | null;
  protocol: number | null;
  our_validator: boolean | null;
  updated_timestamp: Date | null;
}

export class SqlNodeStore implements NodeStore {
  constructor(private readonly db: Db) {}

  async replaceNodes(netuid: number, rows: readonly NodeRow[], now: Date): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO nodes_history (hotkey, netuid, coldkey, node_id, incentive, stake, trust, vtrust, last_updated,
                                    ip, ip_type, port, protocol, our_validator, expired_at, alpha_stake, tao_stake)
         SELECT hotkey, netuid, coldkey, node_id, COALESCE(incentive, 0), stake, COALESCE(trust, 0), COALESCE(vtrust, 0),
                last_updated, ip, ip_type, port, COALESCE(protocol, 4), COALESCE(our_validator, false), $2, alpha_stake, tao_stake
         FROM nodes WHERE netuid = $1`,
        [netuid, now],
      );
      await tx.query('DELETE FROM nodes WHERE netuid = $1', [netuid]);
      if (rows.length > 0) await insertRows(tx, rows, now);
    });
  }

  async listNodes(netuid: number): Promise<StoredNodes> {
    const { rows } = await this.db.query<NodeDbRow>(
      `SELECT ${COLUMNS.join(', ')}, updated_timestamp FROM nodes WHERE netuid = $1 ORDER BY node_id`,
      [netuid],
    );
    let refreshedAt: Date | null = null;
    const out = rows.map(({ updated_timestamp, ...r }) => {
      if (updated_timestamp && (!refreshedAt || updated_timestamp > refreshedAt)) refreshedAt = updated_timestamp;
      return {
        ...r,
        trust: r.trust ?? 0,
        vtrust: r.vtrust ?? 0,
        incentive: r.incentive ?? 0,
        last_updated: r.last_updated ?? 0,
        protocol: r.protocol ?? 4,
        our_validator: r.our_validator ?? false,
      };
    });
    return { rows: out, refreshedAt };
  }
}
