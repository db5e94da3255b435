/**
 * A route is declared once, as data: method, path, zod schemas for what comes in and goes out, who may
 * call it, and the handler. The server turns the same declaration into validation and into OpenAPI.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { ApiKeyPrincipal } from '../auth/service.ts';
import type { Logger } from '../log/index.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';
export type ApiKeyScopeRequirement = 'customer' | 'admin';

/**
 * Custom authentication (e.g. a miner's signed-request check). Runs after the body has been read, so
 * `request.rawBody` holds the exact bytes; throw an HttpError to refuse, return the principal to accept.
 */
export type CustomAuth<P = unknown> = (request: FastifyRequest, reply: FastifyReply) => P | Promise<P>;

export type RouteAuth = 'none' | ApiKeyScopeRequirement | CustomAuth;

export type PrincipalOf<A> = A extends ApiKeyScopeRequirement
  ? ApiKeyPrincipal
  : A extends CustomAuth<infer P>
    ? Awaited<P>
    : undefined;

type SchemaSlot = z.ZodType | undefined;
type Out<S, Fallback = unknown> = S extends z.ZodType ? z.output<S> : Fallback;
type In<S> = S extends z.ZodType ? z.input<S> : unknown;

export interface RouteContext<B, Q, P, A> {
  /** The parsed and validated body (the parsed JSON as is when the route declares no body schema). */
  body: B;
  query: Q;
  params: P;
  /** Who is calling: the API-key principal, what a custom auth returned, or undefined for `auth: 'none'`. */
  auth: A;
  /** The exact bytes received, when the request had a body. */
  rawBody: Buffer | undefined;
  request: FastifyRequest;
  reply: FastifyReply;
  log: Logger;
}

export interface RouteDefinition<
  B extends SchemaSlot = SchemaSlot,
  Q extends SchemaSlot = SchemaSlot,
  P extends SchemaSlot = SchemaSlot,
  R extends SchemaSlot = SchemaSlot,
  A extends RouteAuth = RouteAuth,
> {
  method: HttpMethod | readonly HttpMethod[];
  /** Path as the original spells it, trailing slash included; parameters as `{name}` or `:name`. */
  url: string;
  body?: B;
  query?: Q;
  params?: P;
  /** The success body. Handler output is parsed through it (unknown keys dropped, as FastAPI's response_model does). */
  response?: R;
  /** Default `'none'`. `customer`/`admin` use the server's API keys (admin implies customer). */
  auth?: A;
  summary: string;
  description?: string;
  tags?: string[];
  operationId?: string;
  /** Success status code (default 200). */
  status?: number;
  /** Content type of the success body in the OpenAPI document (default application/json). */
  responseContentType?: string;
  /** Left out of the OpenAPI document. */
  hidden?: boolean;
  /** Overrides the server's body size limit for this route, in bytes. */
  bodyLimit?: number;
  /**
   * Returns the body to send (parsed through `response` when there is one), or the reply after sending
   * something itself (plain text, a stream, another status).
   */
  handler(ctx: RouteContext<Out<B>, Out<Q, Record<string, unknown>>, Out<P, Record<string, string>>, PrincipalOf<A>>): unknown;
}

/**
 * Declares a route with its types inferred from the schemas. Returns the declaration unchanged; register
 * it with `server.route(...)` or collect several into an array for `server.routes([...])`.
 */
export function route<
  B extends SchemaSlot = undefined,
  Q extends SchemaSlot = undefined,
  P extends SchemaSlot = undefined,
  R extends SchemaSlot = undefined,
  A extends RouteAuth = 'none',
>(
  def: RouteDefinition<B, Q, P, R, A> & {
    handler(ctx: RouteContext<Out<B>, Out<Q, Record<string, unknown>>, Out<P, Record<string, string>>, PrincipalOf<A>>): In<R> | FastifyReply | Promise<In<R> | FastifyReply>;
  },
): RouteDefinition<B, Q, P, R, A> {
  return def;
}

/** `{task_id}` → `:task_id` for the router. */
export function toFastifyPath(url: string): string {
  return url.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, ':$1');
}

/** `:task_id` → `{task_id}` for OpenAPI. */
export function toOpenApiPath(url: string): string {
  return url.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

/** A matcher for concrete request paths, used to tell 405 from 404. */
export function pathMatcher(url: string): RegExp {
  const pattern = toFastifyPath(url)
    .split('/')
    .map((segment) => {
      if (segment.startsWith(':')) return '[^/]+';
      if (segment === '*') return '.*';
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${pattern}$`);
}
