/**
 * `SubnetInfoRuntimeApi.get_metagraph` → fiber 2.4.0 nodes (miner-protocol-chain.md §6.1). The decoded struct is
 * taken through `toPrimitive()` and validated here, so a runtime that changes a field's shape is a
 * `ChainError('decode')` naming the field, not a wrong number in the node table.
 */
import { z } from 'zod';
import { decodeError } from '../errors.ts';
import type { Node } from '../types.ts';

/** A u64/u128 as polkadot-js gives it: a number while it fits 53 bits, a decimal or hex string beyond. */
const big = z.union([z.number().int().min(0), z.string().regex(/^(\d+|0x[0-9a-fA-F]+)$/), z.bigint().min(0n)]).transform((v) => BigInt(v));
const u16 = z.number().int().min(0).max(65_535);

const AxonSchema = z.object({
  block: big,
  version: z.number().int().min(0),
  ip: big,
  port: u16,
  ipType: z.union([z.literal(0), z.literal(4), z.literal(6)]),
  protocol: z.number().int().min(0).max(255),
});

export const MetagraphSchema = z
  .object({
    netuid: u16,
    block: big,
    tempo: u16,
    weightsVersion: big,
    weightsRateLimit: big,
    commitRevealWeightsEnabled: z.boolean(),
    numUids: u16,
    hotkeys: z.array(z.string().min(1)),
    coldkeys: z.array(z.string().min(1)),
    axons: z.array(AxonSchema),
    incentives: z.array(u16),
    consensus: z.array(u16),
    trust: z.array(u16),
    lastUpdate: z.array(big),
    alphaStake: z.array(big),
    taoStake: z.array(big),
    totalStake: z.array(big),
  })
  .superRefine((m, ctx) => {
    const n = m.hotkeys.length;
    for (const key of ['coldkeys', 'axons', 'incentives', 'consensus', 'lastUpdate', 'alphaStake', 'taoStake', 'totalStake'] as const) {
      if (m[key].length !== n) ctx.addIssue({ code: 'custom', path: [key], message: `has ${m[key].length} entries for ${n} hotkeys` });
    }
    // `trust` was removed from the chain's storage (Dec 2025); the vector may come back empty. Anything else is wrong.
    if (m.trust.length !== 0 && m.trust.length !== n) ctx.addIssue({ code: 'custom', path: ['trust'], message: `has ${m.trust.length} entries for ${n} hotkeys` });
  });
export type Metagraph = z.output<typeof MetagraphSchema>;

/** rao → TAO/alpha exactly as fiber's `int * 1e-9` (the int rounded to a double first). */
function units(rao: bigint): number {
  return Number(rao) * 1e-9;
}

export function parseMetagraph(primitive: unknown, netuid: number): Metagraph {
  const parsed = MetagraphSchema.safeParse(primitive);
  if (!parsed.success) throw decodeError(`get_metagraph(${netuid})`, parsed.error);
  if (parsed.data.netuid !== netuid) throw decodeError(`get_metagraph(${netuid})`, `answer is for netuid ${parsed.data.netuid}`);
  return parsed.data;
}

export function metagraphToNodes(m: Metagraph): Node[] {
  return m.hotkeys.map((hotkey, uid) => {
    const axon = m.axons[uid] as Metagraph['axons'][number];
    return {
      hotkey,
      coldkey: m.coldkeys[uid] as string,
      node_id: uid,
      incentive: m.incentives[uid] as number,
      netuid: m.netuid,
      alpha_stake: units(m.alphaStake[uid] as bigint),
      tao_stake: units(m.taoStake[uid] as bigint),
      stake: units(m.totalStake[uid] as bigint),
      trust: m.trust[uid] ?? 0,
      vtrust: m.consensus[uid] as number,
      last_updated: Number(m.lastUpdate[uid]),
      ip: axon.ip.toString(),
      ip_type: axon.ipType,
      port: axon.port,
      protocol: axon.protocol,
    };
  });
}
