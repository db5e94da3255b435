import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ApiKeyPrincipal, ApiKeyVerifier } from '../auth/service.ts';
import { createLogger } from '../log/index.ts';
import { createServer, HttpError, route } from './index.ts';
import type { GodServer } from './index.ts';

// An in-memory verifier: the SQL-backed one is tested in src/auth; here the server's use of it is what matters.
const keys: Record<string, ApiKeyPrincipal> = {
  god_customer: { kind: 'api_key', accountId: 'a1', accountName: 'shop', keyId: 'k1', keyPrefix: 'god_cust', scopes: ['customer'] },
  god_admin: { kind: 'api_key', accountId: 'a2', accountName: 'ops', keyId: 'k2', keyPrefix: 'god_admi', scopes: ['customer', 'admin'] },
};
const verifier: ApiKeyVerifier = { authenticate: async (key) => keys[key] };

const TaskRequest = z.object({
  model_repo: z.string().min(1),
  hours_to_complete: z.number().int().positive(),
  ds_repo: z.string().nullable().optional(),
  file_format: z.enum(['hf', 's3']).default('hf'),
});
const NewTaskResponse = z.object({ success: z.boolean(), task_id: z.uuid() });

function buildServer(): GodServer {
  const logs: string[] = [];
  const logger = createLogger({ name: 'http-test', level: 'warn', destination: { write: (s: string) => void logs.push(s) } });
  const server = createServer({ logger, apiKeys: verifier, bodyLimit: 1024, info: { title: 'test api', version: '9.9.9' } });
  server.routes([
    route({
      method: 'POST',
      url: '/v1/tasks/create',
      auth: 'customer',
      body: TaskRequest,
      response: NewTaskResponse,
      summary: 'Create a task',
      tags: ['tasks'],
      handler: ({ body, auth }) => {
        expect(auth.accountName.length).toBeGreaterThan(0);
        // Extra keys are dropped by the response schema, as FastAPI's response_model does.
        return { success: body.hours_to_complete > 0, task_id: '8a4e3f0c-5d1b-4c2a-9e7f-0123456789ab', internal: 'x' };
      },
    }),
    route({
      method: 'GET',
      url: '/v1/tasks/{task_id}',
      auth: 'customer',
      params: z.object({ task_id: z.uuid() }),
      query: z.object({ limit: z.coerce.number().int().min(1).default(100), page: z.coerce.number().int().min(1).default(1) }),
      summary: 'Task details',
      handler: ({ params, query }) => ({ id: params.task_id, limit: query.limit, page: query.page }),
    }),
    route({
      method: 'DELETE',
      url: '/v1/tasks/delete/{task_id}',
      auth: 'admin',
      params: z.object({ task_id: z.string() }),
      summary: 'Delete a task',
      responseContentType: 'text/plain',
      handler: ({ reply, params }) => {
        if (params.task_id === 'missing') throw new HttpError(404, 'Task not found');
        return reply.type('text/plain').send('Success');
      },
    }),
    route({
      method: 'POST',
      url: '/task_offer/',
      auth: async (request) => {
        // A stand-in for signed-request checks: hash the exact bytes, compare with a header.
        const digest = createHash('sha256').update(request.rawBody ?? Buffer.alloc(0)).digest('hex');
        if (request.headers['x-body-sha256'] !== digest) throw new HttpError(401, 'Oi, invalid signature, you\'re not who you said you were!');
        return { hotkey: String(request.headers['validator-hotkey']) };
      },
      body: z.object({ a: z.number() }),
      summary: 'Offer a task',
      handler: ({ auth, rawBody, body }) => ({ hotkey: auth.hotkey, raw: rawBody?.toString('utf8'), a: body.a }),
    }),
    route({
      method: 'POST',
      url: '/echo',
      summary: 'Echo the raw body',
      bodyLimit: 64,
      handler: ({ rawBody, request }) => ({ hex: rawBody?.toString('hex') ?? null, type: request.headers['content-type'] ?? null }),
    }),
    route({
      method: 'POST',
      url: '/self-answering/',
      auth: async (_request, reply) => {
        await reply.code(403).send({ detail: 'Hotkey not found in metagraph' });
      },
      summary: 'Custom auth that sends its own refusal',
      handler: () => {
        throw new Error('the handler must not run after a refusal');
      },
    }),
    route({ method: ['GET', 'POST'], url: '/health', summary: 'Health', handler: () => ({ status: 'healthy' }) }),
    route({ method: 'GET', url: '/boom', summary: 'Fails', hidden: true, handler: () => { throw new Error('secret internals'); } }),
    route({
      method: 'GET',
      url: '/bad-response',
      summary: 'Returns the wrong shape',
      hidden: true,
      response: z.object({ n: z.number() }),
      handler: () => ({ n: 'not a number' }) as unknown as { n: number },
    }),
  ]);
  return server;
}

describe('HTTP server on loopback', () => {
  let server: GodServer;
  let base: string;
  beforeAll(async () => {
    server = buildServer();
    base = await server.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await server.close();
  });

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(base + path, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  const customer = { authorization: 'Bearer god_customer' };

  it('validates a good body, applies defaults and filters the response through its schema', async () => {
    const res = await post('/v1/tasks/create', JSON.stringify({ model_repo: 'unsloth/Llama', hours_to_complete: 3 }), customer);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ success: true, task_id: '8a4e3f0c-5d1b-4c2a-9e7f-0123456789ab' });
  });

  it('answers an invalid body with 422 and FastAPI-style detail naming every bad field', async () => {
    const res = await post('/v1/tasks/create', JSON.stringify({ hours_to_complete: 1.5, file_format: 'zip', ds_repo: 7 }), customer);
    expect(res.status).toBe(422);
    const body = (await res.json()) as { detail: { loc: unknown[]; type: string; msg: string }[] };
    const byField = Object.fromEntries(body.detail.map((d) => [d.loc.join('.'), d]));
    expect(byField['body.model_repo']).toMatchObject({ type: 'missing', msg: 'Field required' });
    expect(byField['body.hours_to_complete']).toMatchObject({ type: 'int_type', msg: 'Input should be a valid integer' });
    expect(byField['body.ds_repo']).toMatchObject({ type: 'string_type' });
    expect(byField['body.file_format']).toMatchObject({ type: 'enum', msg: "Input should be 'hf' or 's3'" });
    expect(body.detail).toHaveLength(4);
  });

  it('reports a missing body, a non-object body and malformed JSON as 422', async () => {
    const missing = await fetch(`${base}/v1/tasks/create`, { method: 'POST', headers: customer });
    expect(missing.status).toBe(422);
    expect(await missing.json()).toEqual({ detail: [{ type: 'missing', loc: ['body'], msg: 'Field required' }] });

    const list = await post('/v1/tasks/create', '[1,2]', customer);
    expect(list.status).toBe(422);
    expect(((await list.json()) as { detail: { type: string }[] }).detail[0]?.type).toBe('dict_type');

    const broken = await post('/v1/tasks/create', '{"model_repo": ', customer);
    expect(broken.status).toBe(422);
    const detail = ((await broken.json()) as { detail: { type: string; loc: unknown[]; msg: string }[] }).detail;
    expect(detail[0]).toMatchObject({ type: 'json_invalid', msg: 'JSON decode error' });
    expect(detail[0]?.loc[0]).toBe('body');
    expect(typeof detail[0]?.loc[1]).toBe('number');
  });

  it('validates path and query parameters with loc path/query', async () => {
    const ok = await fetch(`${base}/v1/tasks/8a4e3f0c-5d1b-4c2a-9e7f-0123456789ab?limit=5`, { headers: customer });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ id: '8a4e3f0c-5d1b-4c2a-9e7f-0123456789ab', limit: 5, page: 1 });

    const bad = await fetch(`${base}/v1/tasks/not-a-uuid?limit=0&page=x`, { headers: customer });
    expect(bad.status).toBe(422);
    const detail = ((await bad.json()) as { detail: { loc: unknown[]; type: string }[] }).detail;
    expect(detail.map((d) => [d.loc.join('.'), d.type])).toEqual([
      ['path.task_id', 'uuid_parsing'],
      ['query.limit', 'greater_than_equal'],
      ['query.page', 'float_type'],
    ]);
  });

  it('auth: 401 without a key, 401 with a wrong key, 403 without the scope, 200 with it', async () => {
    const url = `${base}/v1/tasks/delete/abc`;
    const none = await fetch(url, { method: 'DELETE' });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(await none.json()).toEqual({ detail: 'Not authenticated' });

    const wrong = await fetch(url, { method: 'DELETE', headers: { authorization: 'Bearer god_nope' } });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ detail: 'Invalid API key' });

    const cust = await fetch(url, { method: 'DELETE', headers: customer });
    expect(cust.status).toBe(403);
    expect(await cust.json()).toEqual({ detail: "This API key lacks the 'admin' scope" });

    const admin = await fetch(url, { method: 'DELETE', headers: { authorization: 'Bearer god_admin' } });
    expect(admin.status).toBe(200);
    expect(await admin.text()).toBe('Success');

    // X-API-Key works too, and admin implies customer.
    const viaHeader = await fetch(`${base}/v1/tasks/8a4e3f0c-5d1b-4c2a-9e7f-0123456789ab`, { headers: { 'x-api-key': 'god_admin' } });
    expect(viaHeader.status).toBe(200);

    const notFound = await fetch(`${base}/v1/tasks/delete/missing`, { method: 'DELETE', headers: { authorization: 'Bearer god_admin' } });
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toEqual({ detail: 'Task not found' });
  });

  it('checks auth before reading the body: an unauthenticated bad body gets 401, not 422', async () => {
    const res = await post('/v1/tasks/create', '{not json');
    expect(res.status).toBe(401);
  });

  it('keeps the raw body byte-exact for custom auth and handlers', async () => {
    // Python-style separators and odd spacing: a re-serialised body would hash differently.
    const raw = '{"a":  1 ,\n "ignored": "é\\u00e9"}';
    const digest = createHash('sha256').update(Buffer.from(raw, 'utf8')).digest('hex');
    const res = await post('/task_offer/', raw, { 'x-body-sha256': digest, 'validator-hotkey': '5Grw' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ hotkey: '5Grw', raw, a: 1 });

    const tampered = await post('/task_offer/', raw.replace('1', '2'), { 'x-body-sha256': digest });
    expect(tampered.status).toBe(401);
    expect(await tampered.json()).toEqual({ detail: "Oi, invalid signature, you're not who you said you were!" });

    const refused = await post('/self-answering/', '{}');
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ detail: 'Hotkey not found in metagraph' });

    const bytes = Buffer.from([0x00, 0xff, 0x10, 0x80, 0x7b]);
    const echo = await fetch(`${base}/echo`, { method: 'POST', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
    expect(await echo.json()).toEqual({ hex: '00ff10807b', type: 'application/octet-stream' });
  });

  it('keeps trailing slashes exactly as declared and never redirects', async () => {
    const withoutSlash = await post('/task_offer', '{"a":1}', { redirect: 'manual' });
    expect(withoutSlash.status).toBe(404);
    expect(await withoutSlash.json()).toEqual({ detail: 'Not Found' });
    const extraSlash = await fetch(`${base}/health/`, { redirect: 'manual' });
    expect(extraSlash.status).toBe(404);
  });

  it('404 and 405 use the detail shape; 405 lists the allowed methods', async () => {
    const nf = await fetch(`${base}/nowhere`);
    expect(nf.status).toBe(404);
    expect(await nf.json()).toEqual({ detail: 'Not Found' });

    const na = await fetch(`${base}/task_offer/`);
    expect(na.status).toBe(405);
    expect(na.headers.get('allow')).toBe('POST');
    expect(await na.json()).toEqual({ detail: 'Method Not Allowed' });

    const paramRoute = await fetch(`${base}/v1/tasks/delete/abc`, { method: 'PUT' });
    expect(paramRoute.status).toBe(405);
    expect(paramRoute.headers.get('allow')).toBe('DELETE');

    expect((await fetch(`${base}/health`, { method: 'POST' })).status).toBe(200);
  });

  it('rejects bodies over the limit with 413 and a detail naming the limit', async () => {
    const big = JSON.stringify({ model_repo: 'x'.repeat(2000), hours_to_complete: 1 });
    const res = await post('/v1/tasks/create', big, customer);
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ detail: 'Request body too large (limit 1024 bytes)' });

    const perRoute = await fetch(`${base}/echo`, { method: 'POST', body: 'y'.repeat(100), headers: { 'content-type': 'text/plain' } });
    expect(perRoute.status).toBe(413);
    expect(await perRoute.json()).toEqual({ detail: 'Request body too large (limit 64 bytes)' });
  });

  it('hides internal errors behind a 500 detail', async () => {
    const res = await fetch(`${base}/boom`);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ detail: 'Internal Server Error' });
    expect(text).not.toContain('secret internals');
    const bad = await fetch(`${base}/bad-response`);
    expect(bad.status).toBe(500);
    expect(await bad.json()).toEqual({ detail: 'Internal Server Error' });
  });

  it('serves an OpenAPI 3.1 document with every visible route, its schemas, parameters and security', async () => {
    const res = await fetch(`${base}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      info: { title: string; version: string };
      paths: Record<string, Record<string, Record<string, unknown>>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toEqual({ title: 'test api', version: '9.9.9' });
    expect(Object.keys(doc.paths).sort()).toEqual(
      ['/echo', '/health', '/self-answering/', '/task_offer/', '/v1/tasks/create', '/v1/tasks/delete/{task_id}', '/v1/tasks/{task_id}'].sort(),
    );
    expect(Object.keys(doc.paths['/health'] ?? {}).sort()).toEqual(['get', 'post']);

    const create = doc.paths['/v1/tasks/create']?.post as Record<string, unknown>;
    expect(create.summary).toBe('Create a task');
    expect(create.tags).toEqual(['tasks']);
    expect(create.security).toEqual([{ bearerAuth: [] }, { apiKeyHeader: [] }]);
    const reqSchema = (create.requestBody as { content: Record<string, { schema: Record<string, unknown> }> }).content['application/json']?.schema;
    expect(reqSchema).toMatchObject({
      type: 'object',
      required: ['model_repo', 'hours_to_complete'],
      properties: { model_repo: { type: 'string', minLength: 1 }, hours_to_complete: { type: 'integer' }, file_format: { enum: ['hf', 's3'] } },
    });
    const responses = create.responses as Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }>;
    expect(responses['200']?.content?.['application/json']?.schema).toMatchObject({
      properties: { success: { type: 'boolean' }, task_id: { type: 'string', format: 'uuid' } },
    });
    expect(responses['422']?.content?.['application/json']?.schema).toEqual({ $ref: '#/components/schemas/HTTPValidationError' });
    expect(doc.components.schemas.HTTPValidationError).toBeDefined();

    const details = doc.paths['/v1/tasks/{task_id}']?.get as { parameters: Record<string, unknown>[] };
    expect(details.parameters).toEqual([
      { name: 'task_id', in: 'path', required: true, schema: expect.objectContaining({ type: 'string', format: 'uuid' }) },
      { name: 'limit', in: 'query', required: false, schema: expect.objectContaining({ type: 'integer', minimum: 1 }) },
      { name: 'page', in: 'query', required: false, schema: expect.objectContaining({ type: 'integer', minimum: 1 }) },
    ]);
    expect(doc.paths['/v1/tasks/delete/{task_id}']?.delete?.['x-required-scope']).toBe('admin');
    expect(doc.paths['/boom']).toBeUndefined();
  });
});

describe('closing', () => {
  it('does not wait for a client that connected and never sent a request', async () => {
    const server = createServer({ logRequests: false, closeGraceMs: 100 });
    const url = new URL(await server.listen());
    const socket = connect(Number(url.port), url.hostname);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    // Half a request: Node counts the connection as busy until its headers timeout (60 s).
    socket.write('GET /openapi.json HTTP/1.1\r\nHost: x\r\n');
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const started = Date.now();
    await server.close();
    await closed;
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('createServer configuration', () => {
  it('refuses an API-key route when no verifier was given', () => {
    const server = createServer();
    expect(() => server.route(route({ method: 'GET', url: '/x', auth: 'admin', summary: 'x', handler: () => 1 }))).toThrow(/no apiKeys verifier/);
  });

  it('hoists recursive schemas into components so references resolve', () => {
    type Node = { name: string; children: Node[] };
    const NodeSchema: z.ZodType<Node> = z.object({ name: z.string(), get children() { return z.array(NodeSchema); } });
    const server = createServer();
    server.route(route({ method: 'POST', url: '/tree', body: z.object({ left: NodeSchema, right: NodeSchema }), summary: 't', handler: () => null }));
    server.route(route({ method: 'POST', url: '/node', body: NodeSchema, summary: 'n', handler: () => null }));
    const doc = server.openapi();
    const text = JSON.stringify(doc);
    for (const [, ref] of text.matchAll(/"\$ref":"([^"]+)"/g)) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      const name = (ref as string).slice('#/components/schemas/'.length);
      expect(doc.components.schemas[name]).toBeDefined();
    }
  });
});

describe('createServer with the SQL API-key store', () => {
  it('accepts a freshly issued key, records its scope, and refuses it once revoked', async () => {
    const { openTestDb } = await import('../db/testing.ts');
    const { ApiKeyAuthenticator, SqlApiKeyStore, createAccountWithKey, keyPrefixOf } = await import('../auth/index.ts');
    const t = await openTestDb('pglite');
    const store = new SqlApiKeyStore(t.db);
    const server = createServer({ apiKeys: new ApiKeyAuthenticator(store) });
    server.route(route({ method: 'GET', url: '/v1/leaderboard', auth: 'customer', summary: 'l', handler: ({ auth }) => ({ who: auth.accountName }) }));
    server.route(route({ method: 'GET', url: '/admin', auth: 'admin', summary: 'a', handler: () => ({ ok: true }) }));
    const base = await server.listen();
    try {
      const { key } = await createAccountWithKey(store, 'gradients-frontend', ['customer']);
      const headers = { authorization: `Bearer ${key}` };
      const ok = await fetch(`${base}/v1/leaderboard`, { headers });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ who: 'gradients-frontend' });
      expect((await fetch(`${base}/admin`, { headers })).status).toBe(403);
      await store.revokeByPrefix(keyPrefixOf(key), new Date());
      const revoked = await fetch(`${base}/v1/leaderboard`, { headers });
      expect(revoked.status).toBe(401);
      expect(await revoked.json()).toEqual({ detail: 'Invalid API key' });
    } finally {
      await server.close();
      await t.cleanup();
    }
  });
});

describe('route() typing', () => {
  it('infers handler inputs and checks outputs against the schemas (checked by tsc)', () => {
    const body = z.object({ a: z.number() });
    const response = z.object({ b: z.string() });
    const defs = [
      route({ method: 'POST', url: '/t', body, response, summary: 't', handler: ({ body: b }) => ({ b: String(b.a) }) }),
      route({
        method: 'POST', url: '/t', body, response, summary: 't',
        // @ts-expect-error the response schema wants a string
        handler: ({ body: b }) => ({ b: b.a }),
      }),
      route({
        method: 'POST', url: '/t', body, summary: 't',
        handler: ({ body: b, auth }) => {
          // @ts-expect-error body.a is a number
          const s: string = b.a;
          const none: undefined = auth;
          return { s, none };
        },
      }),
      route({
        method: 'GET', url: '/t', auth: 'admin', summary: 't',
        handler: ({ auth }) => auth.scopes.includes('admin'),
      }),
    ];
    expect(defs).toHaveLength(4);
  });
});
