/**
 * The devnet chain's JSON API, as zod schemas shared by the server (validating what comes in) and the client
 * (validating what comes back). Field names are snake_case like the rest of the wire.
 */
import { z } from 'zod';
import { isSs58Address } from '../../keys/keypair.ts';
import { NodeListSchema, StakeSchema, SubnetParamsSchema } from '../types.ts';

const u16 = z.number().int().min(0).max(65_535);
const units = z.number().finite().min(0).max(1e12);
const ss58 = z.string().refine(isSs58Address, 'not an SS58 address with prefix 42');

export const RegisterPayloadSchema = z.object({
  netuid: u16,
  coldkey: ss58,
  /** Stake in alpha / TAO units; the devnet mints it (no balances). */
  alpha_stake: units.default(0),
  tao_stake: units.default(0),
});
export type RegisterPayload = z.infer<typeof RegisterPayloadSchema>;

export const SetStakePayloadSchema = z.object({ netuid: u16, alpha_stake: units, tao_stake: units });
export type SetStakePayload = z.infer<typeof SetStakePayloadSchema>;

export const SetWeightsPayloadSchema = z.object({
  netuid: u16,
  uids: z.array(u16).max(65_535),
  weights: z.array(u16).max(65_535),
  /** u64 as a decimal string (JSON numbers lose precision above 2^53). */
  version_key: z.string().regex(/^\d{1,20}$/),
});
export type SetWeightsPayload = z.infer<typeof SetWeightsPayloadSchema>;

export const ServeAxonPayloadSchema = z.object({
  netuid: u16,
  version: z.number().int().min(0).max(0xffff_ffff),
  /** u128 as a decimal string. */
  ip: z.string().regex(/^\d{1,39}$/),
  port: z.number().int().min(0).max(65_535),
  ip_type: z.number().int().min(0).max(255),
  protocol: z.number().int().min(0).max(255),
});
export type ServeAxonPayload = z.infer<typeof ServeAxonPayloadSchema>;

export const InfoSchema = z.object({
  chain_id: z.string(),
  block: z.number().int().min(0),
  block_time_ms: z.number().positive(),
  netuids: z.array(u16),
});
export type Info = z.infer<typeof InfoSchema>;

export const BlockSchema = z.object({ block: z.number().int().min(0) });
export const LastUpdateSchema = z.object({ last_update: z.array(z.number().int().min(0)) });
export const WeightsAnswerSchema = z.object({ weights: z.array(z.tuple([u16, u16])) });

export const NeuronSchema = StakeSchema.extend({
  uid: u16,
  coldkey: z.string(),
  last_update: z.number().int().min(0),
  validator_permit: z.boolean(),
});
export type NeuronAnswer = z.infer<typeof NeuronSchema>;

export const ReceiptSchema = z.object({
  status: z.literal('applied'),
  block: z.number().int().min(0),
  uid: u16,
});
export type Receipt = z.infer<typeof ReceiptSchema>;

/** Every error body: `{ detail: { code, message, chain_error? } }`. */
export const ErrorBodySchema = z.object({
  detail: z.object({ code: z.string(), message: z.string(), chain_error: z.string().optional(), last_nonce: z.number().optional() }),
});

export { NodeListSchema, SubnetParamsSchema };
