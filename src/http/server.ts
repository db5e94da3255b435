/**
 * The HTTP server every role uses: fastify 5 with zod-validated routes, the original's `{detail}` error
 * bodies, API-key auth, the raw body bytes kept for signature checks, and `/openapi.json`.
 */
import Fastify, { LogController } from 'fastify';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { extractApiKey, hasScope } from '../auth/keys.ts';
import type { ApiKeyVerifier } from '../auth/service.ts';
import { silentLogger } from '../log/index.ts';
import type { Logger } from '../log/index.ts';
import { HttpError, jsonDecodeError, RequestValidationError, zodErrorToDetails } from './errors.ts';
import type { Location, ValidationDetail } from './errors.ts';
import { buildOpenApiDocument } from './openapi.ts';
import type { OpenApiDocument, OpenApiInfo } from './openapi.ts';
import { pathMatcher, toFastifyPath } from './route.ts';
import type { HttpMethod, RouteAuth, RouteDefinition } from './route.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request body exactly as received (undefined when the request had none). */
    rawBody: Buffer | undefined;
    /** Set by the route's auth: an ApiKeyPrincipal or what a custom auth returned. */
    principal: unknown;
  }
}

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export interface ServerOptions {
  logger?: Logger;
  /** OpenAPI info; title defaults to "god". */
  info?: Partial<OpenApiInfo>;
  /** Largest accepted request body in bytes (default 1 MiB); larger bodies get 413. */
  bodyLimit?: number;
  /** Verifies API keys for routes with `auth: 'customer' | 'admin'`. */
  apiKeys?: ApiKeyVerifier;
  /** Log each request and its completion at info (default true). */
  logRequests?: boolean;
  /** Where the OpenAPI document is served; false to not serve it (default `/openapi.json`). */
  openapiPath?: string | false;
  /** Parse handler results through the route's response schema (default true). */
  validateResponses?: boolean;
  /**
   * How long close() lets in-flight requests finish before it drops every connection (default 5 s). Without
   * it a client socket that never sent a request keeps close() waiting for Node's 60 s headers timeout.
   */
  closeGraceMs?: number;
}

export interface GodServer {
  readonly app: FastifyInstance;
  route(def: RouteDefinition): GodServer;
  routes(defs: readonly RouteDefinition[]): GodServer;
  openapi(): OpenApiDocument;
  /** Starts listening; returns the base URL (`http://127.0.0.1:PORT`). */
  listen(options?: { port?: number; host?: string }): Promise<string>;
  close(): Promise<void>;
}

function isJsonType(contentType: string | undefined): boolean {
  if (contentType === undefined || contentType === '') return true;
  const media = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return media === 'application/json' || media.endsWith('+json');
}

function statusText(status: number): string {
  return (
    { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 413: 'Request body too large', 415: 'Unsupported Media Type' }[status] ??
    'Error'
  );
}

function validatePart(schema: z.ZodType | undefined, value: unknown, location: Location, errors: ValidationDetail[]): unknown {
  if (!schema) return value;
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  errors.push(...zodErrorToDetails(result.error, location));
  return undefined;
}

export function createServer(options: ServerOptions = {}): GodServer {
  const logger = options.logger ?? silentLogger();
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const validateResponses = options.validateResponses ?? true;
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit,
    logController: new LogController({ disableRequestLogging: options.logRequests === false }),
    // Paths are matched exactly as declared: `/task_offer/` and `/task_offer` are different routes, and
    // nothing redirects (the original's miner paths end in a slash; its clients send them that way).
    routerOptions: { ignoreTrailingSlash: false, ignoreDuplicateSlashes: false },
  }) as unknown as FastifyInstance;

  const declared: RouteDefinition[] = [];
  const matchers: { re: RegExp; methods: Set<string> }[] = [];
  let openapiCache: OpenApiDocument | undefined;
  const info: OpenApiInfo = { title: 'god', version: '0.1.0', ...options.info };

  app.decorateRequest('rawBody', undefined);
  app.decorateRequest('principal', undefined);

  // One parser for every content type: keep the exact bytes (signed requests hash them) and parse JSON
  // ourselves, so a malformed body answers like FastAPI does.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (request, payload, done) => {
    const raw = payload as Buffer;
    request.rawBody = raw;
    if (!isJsonType(request.headers['content-type'])) return done(null, raw);
    if (raw.length === 0) return done(null, undefined);
    const text = raw.toString('utf8');
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(jsonDecodeError(err, text), undefined);
    }
  });

  app.setNotFoundHandler((request, reply) => {
    const path = (request.raw.url ?? '/').split('?')[0] ?? '/';
    const allowed = new Set<string>();
    for (const m of matchers) if (m.re.test(path)) for (const method of m.methods) allowed.add(method);
    if (allowed.size > 0 && !allowed.has(request.method)) {
      return reply.code(405).header('allow', [...allowed].sort().join(', ')).send({ detail: 'Method Not Allowed' });
    }
    return reply.code(404).send({ detail: 'Not Found' });
  });

  app.setErrorHandler((error: FastifyError | HttpError, request, reply) => {
    if (error instanceof HttpError) {
      if (error.statusCode >= 500) request.log.error({ err: error }, 'request failed');
      return reply.code(error.statusCode).headers(error.headers).send({ detail: error.detail });
    }
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const limit = request.routeOptions.bodyLimit ?? bodyLimit;
      return reply.code(413).send({ detail: `Request body too large (limit ${limit} bytes)` });
    }
    if (status < 500) return reply.code(status).send({ detail: error.message || statusText(status) });
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ detail: 'Internal Server Error' });
  });

  function apiKeyHook(required: 'customer' | 'admin') {
    const verifier = options.apiKeys;
    if (!verifier) throw new Error(`a route needs '${required}' API keys but createServer was given no apiKeys verifier`);
    return async (request: FastifyRequest) => {
      const key = extractApiKey(request.headers);
      if (key === undefined) throw new HttpError(401, 'Not authenticated', { 'www-authenticate': 'Bearer' });
      const principal = await verifier.authenticate(key);
      if (!principal) throw new HttpError(401, 'Invalid API key', { 'www-authenticate': 'Bearer' });
      if (!hasScope(principal.scopes, required)) throw new HttpError(403, `This API key lacks the '${required}' scope`);
      request.principal = principal;
    };
  }

  function customAuthHook(auth: Exclude<RouteAuth, string>) {
    return async (request: FastifyRequest, reply: FastifyReply) => {
      const principal = await auth(request, reply);
      // An auth function may answer the refusal itself (as the fiber preHandler in src/net does).
      if (reply.sent) return reply;
      request.principal = principal;
      return undefined;
    };
  }

  function addRoute(def: RouteDefinition): void {
    const methods: HttpMethod[] = typeof def.method === 'string' ? [def.method] : [...def.method];
    const auth = def.auth ?? 'none';
    const url = toFastifyPath(def.url);
    const onRequest = auth === 'customer' || auth === 'admin' ? [apiKeyHook(auth)] : [];
    const preValidation = typeof auth === 'function' ? [customAuthHook(auth)] : [];

    app.route({
      method: methods,
      url,
      ...(def.bodyLimit !== undefined ? { bodyLimit: def.bodyLimit } : {}),
      onRequest,
      preValidation,
      handler: async (request, reply) => {
        const errors: ValidationDetail[] = [];
        // FastAPI's order: path, then query, then body; every problem is reported at once.
        const params = validatePart(def.params, request.params, 'path', errors);
        const query = validatePart(def.query, request.query, 'query', errors);
        const body = validatePart(def.body, request.body, 'body', errors);
        if (errors.length > 0) throw new RequestValidationError(errors);

        const result = await def.handler({
          body,
          query: query as Record<string, unknown>,
          params: params as Record<string, string>,
          auth: request.principal as never,
          rawBody: request.rawBody,
          request,
          reply,
          log: request.log as Logger,
        });
        if (result === reply || reply.sent) return reply;
        if (def.status !== undefined) reply.code(def.status);
        if (def.response && validateResponses) {
          const checked = def.response.safeParse(result);
          if (!checked.success) {
            request.log.error({ issues: checked.error.issues, url: def.url }, 'handler returned a body that does not match its response schema');
            throw new HttpError(500, 'Internal Server Error');
          }
          return checked.data;
        }
        return result;
      },
    });
    declared.push(def);
    matchers.push({ re: pathMatcher(def.url), methods: new Set(methods.flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m]))) });
    openapiCache = undefined;
  }

  const server: GodServer = {
    app,
    route(def) {
      addRoute(def);
      return server;
    },
    routes(defs) {
      for (const def of defs) addRoute(def);
      return server;
    },
    openapi() {
      openapiCache ??= buildOpenApiDocument(info, declared);
      return openapiCache;
    },
    async listen(listenOptions = {}) {
      await app.listen({ port: listenOptions.port ?? 0, host: listenOptions.host ?? '127.0.0.1' });
      const address = app.server.address();
      if (address === null || typeof address === 'string') throw new Error(`unexpected listen address ${String(address)}`);
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      return `http://${host}:${address.port}`;
    },
    async close() {
      const force = setTimeout(() => app.server.closeAllConnections(), options.closeGraceMs ?? 5_000);
      try {
        await app.close();
      } finally {
        clearTimeout(force);
      }
    },
  };

  if (options.openapiPath !== false) {
    app.get(options.openapiPath ?? '/openapi.json', async () => server.openapi());
    matchers.push({ re: pathMatcher(options.openapiPath ?? '/openapi.json'), methods: new Set(['GET', 'HEAD']) });
  }
  return server;
}
