/**
 * A chain `Node` (fiber 2.4.0 shape, integer IP as a decimal string) → the row the `nodes` table keeps, with the
 * address in text form. fiber 2.4.0 stores the decimal integer and relies on the URL parser accepting it, which
 * fails for IPv6 (miner-protocol-chain.md §6.2); here IPv4 becomes a dotted quad and IPv6 its RFC 5952 text,
 * as Python's `ipaddress` prints them. A node that serves no axon (ip 0) keeps its row (its stake matters for
 * the miners' validator check and for `our_validator`), with ip `0.0.0.0`, and `isServing` is false for it.
 */
import { ipToText } from '../chain/ip.ts';
import type { Node } from '../chain/types.ts';

/** The columns of `nodes` that the sync writes (src/db/migrations/0002_nodes_and_results.sql). */
export interface NodeRow {
  hotkey: string;
  netuid: number;
  node_id: number;
  coldkey: string;
  ip: string;
  ip_type: number;
  port: number;
  protocol: number;
  trust: number;
  vtrust: number;
  stake: number;
  alpha_stake: number;
  tao_stake: number;
  incentive: number;
  last_updated: number;
  our_validator: boolean;
}

/** What an unserved axon's address reads as (Python: `ipaddress.ip_address(0)`). */
export const NO_AXON_IP = '0.0.0.0';

export function nodeToRow(node: Node, ourHotkey?: string): NodeRow {
  const text = ipToText(node.ip, node.ip_type);
  return {
    hotkey: node.hotkey,
    netuid: node.netuid,
    node_id: node.node_id,
    coldkey: node.coldkey,
    ip: text ?? NO_AXON_IP,
    // An address that does not convert (ip 0, or an IPv4 type with a value ≥ 2^32) is stored as no axon.
    ip_type: text === null ? 0 : node.ip_type,
    port: text === null ? 0 : node.port,
    protocol: node.protocol,
    trust: node.trust,
    vtrust: node.vtrust,
    stake: node.stake,
    alpha_stake: node.alpha_stake,
    tao_stake: node.tao_stake,
    incentive: node.incentive,
    last_updated: node.last_updated,
    our_validator: ourHotkey !== undefined && node.hotkey === ourHotkey,
  };
}

/** True when the node can be contacted: it posted an address and a port. */
export function isServing(row: Pick<NodeRow, 'ip' | 'ip_type' | 'port'>): boolean {
  return row.ip_type !== 0 && row.ip !== NO_AXON_IP && row.ip !== '::' && row.port > 0;
}

/** `http://ip:port`, IPv6 bracketed; null for a node without an axon. */
export function rowUrl(row: Pick<NodeRow, 'ip' | 'ip_type' | 'port'>): string | null {
  if (!isServing(row)) return null;
  return row.ip_type === 6 ? `http://[${row.ip}]:${row.port}` : `http://${row.ip}:${row.port}`;
}
