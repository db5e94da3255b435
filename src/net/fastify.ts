/**
 * fiber authentication as a Fastify preHandler. The server must keep the exact request bytes in
 * `request.rawBody` (a Buffer), e.g. with a content-type parser using `parseAs: 'buffer'`; without them a POST is
 * hashed as an empty body and fails the signature check (fails closed).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { verifyRequest } from './verify.ts';
import type { VerifyAccepted, VerifyContext, VerifyRejected } from './verify.ts';

const accepted = new WeakMap<FastifyRequest, VerifyAccepted>();

/** The authenticated validator of a request that passed the preHandler. */
export function fiberAuthOf(request: FastifyRequest): VerifyAccepted | undefined {
  return accepted.get(request);
}

export interface FiberAuthHookOptions {
  /** Called on every refusal, e.g. to log `reason` at debug level (never the headers: they carry a signature). */
  onReject?: (request: FastifyRequest, rejected: VerifyRejected) => void;
}

export function fiberAuthPreHandler(ctx: VerifyContext, options: FiberAuthHookOptions = {}) {
  return async function fiberAuth(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const rawBody = (request as FastifyRequest & { rawBody?: unknown }).rawBody;
    const outcome = await verifyRequest(
      {
        headers: request.headers,
        rawBody: rawBody instanceof Uint8Array ? rawBody : null,
        method: request.method,
        path: request.url,
      },
      ctx,
    );
    if (!outcome.ok) {
      options.onReject?.(request, outcome);
      await reply.code(outcome.status).send(outcome.body);
      return;
    }
    accepted.set(request, outcome);
  };
}
