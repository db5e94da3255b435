/**
 * The devnet chain over HTTP (what `god chain` serves): JSON reads and one POST for signed writes. Loopback by
 * default; a ChainError becomes `{ detail: { code, message, chain_error } }` with a status that says who is at
 * fault, and the client turns it back into the same ChainError.
 */
import { z } from 'zod';
import { createServer, HttpError, route } from '../../http/index.ts';
import type { GodServer } from '../../http/index.ts';
import type { Logger } from '../../log/index.ts';
import { ChainError, type ChainErrorCode } from '../errors.ts';
import { NodeListSchema, SubnetParamsSchema } from '../types.ts';
import { MAX_PAYLOAD_CHARS } from './auth.ts';
import type { DevnetChainService } from './service.ts';
import { BlockSchema, InfoSchema, LastUpdateSchema, NeuronSchema, ReceiptSchema, WeightsAnswerSchema } from './wire.ts';

const STATUS: Partial<Record<ChainErrorCode, number>> = {
  unauthorised: 401,
  not_found: 404,
  not_registered: 404,
  rejected: 422,
  invalid_weights: 422,
  invalid_axon: 422,
  version_key: 422,
};

function toHttp(err: unknown): unknown {
  if (!(err instanceof ChainError)) return err;
  const detail: Record<string, unknown> = { code: err.code, message: err.message };
  if (err.chainError) detail.chain_error = err.chainError;
  if (typeof err.details.last_nonce === 'number') detail.last_nonce = err.details.last_nonce;
  return new HttpError(STATUS[err.code] ?? 409, detail);
}

async function answer<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toHttp(err);
  }
}

const NetuidParams = z.object({ netuid: z.coerce.number().int().min(0).max(65_535) });
const NeuronParams = NetuidParams.extend({ hotkey: z.string().min(1).max(64) });
const UidParams = NetuidParams.extend({ uid: z.coerce.number().int().min(0).max(65_535) });

export function devnetChainRoutes(service: DevnetChainService) {
  return [
    route({ method: 'GET', url: '/info', summary: 'Chain id, current block, block time and subnets', response: InfoSchema, handler: () => service.info() }),
    route({ method: 'GET', url: '/block', summary: 'Current block number', response: BlockSchema, handler: () => service.block() }),
    route({
      method: 'GET',
      url: '/subnets/{netuid}',
      summary: 'Hyperparameters weight setting depends on',
      params: NetuidParams,
      response: SubnetParamsSchema,
      handler: ({ params }) => answer(() => service.subnet(params.netuid)),
    }),
    route({
      method: 'GET',
      url: '/subnets/{netuid}/nodes',
      summary: 'The metagraph as fiber 2.4.0 nodes',
      params: NetuidParams,
      response: NodeListSchema,
      handler: ({ params }) => answer(() => service.nodes(params.netuid)),
    }),
    route({
      method: 'GET',
      url: '/subnets/{netuid}/last_update',
      summary: 'LastUpdate per uid',
      params: NetuidParams,
      response: LastUpdateSchema,
      handler: ({ params }) => answer(() => service.lastUpdate(params.netuid)),
    }),
    route({
      method: 'GET',
      url: '/subnets/{netuid}/neurons/{hotkey}',
      summary: 'One hotkey: uid, stake, last update, validator permit',
      params: NeuronParams,
      response: NeuronSchema,
      handler: ({ params }) => answer(() => service.neuron(params.netuid, params.hotkey)),
    }),
    route({
      method: 'GET',
      url: '/subnets/{netuid}/weights/{uid}',
      summary: 'Weights(netuid, uid): the (uid, u16 weight) pairs that neuron last set',
      params: UidParams,
      response: WeightsAnswerSchema,
      handler: ({ params }) => answer(() => service.weights(params.netuid, params.uid)),
    }),
    route({
      method: 'POST',
      url: '/extrinsics',
      summary: 'A signed write: register, set_stake, set_weights or serve_axon',
      description: 'Body: {op, hotkey, nonce, payload (JSON text), signature}; see docs/chain.md for the signed message.',
      bodyLimit: MAX_PAYLOAD_CHARS * 2,
      response: ReceiptSchema,
      handler: ({ body }) => answer(() => service.submit(body)),
    }),
  ];
}

export interface DevnetChainServerOptions {
  host?: string;
  port?: number;
  logger?: Logger;
}

/** Serves the chain; returns the server and its base URL. */
export async function serveDevnetChain(service: DevnetChainService, options: DevnetChainServerOptions = {}): Promise<{ server: GodServer; url: string }> {
  const server = createServer({ ...(options.logger ? { logger: options.logger } : {}), info: { title: 'god devnet chain' }, logRequests: false });
  server.routes(devnetChainRoutes(service));
  const url = await server.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  return { server, url };
}
