/**
 * Random requests against every documented route: random JSON bodies, bodies shaped like the route's schema
 * with random values, random path parameters and query strings. Whatever comes in, the answer is never a 5xx.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../../src/sandbox/index.ts';
import { MemoryBlobStore } from '../../src/validator/adapters/blob-stores.ts';
import { json, seedTask, startHarness, type Harness } from './harness.ts';

let h: Harness;
let sandbox: Sandbox;
let existingTask: string;

interface Operation {
  method: string;
  path: string;
  params: { name: string; in: string; schema: Record<string, unknown> }[];
  bodyProps: string[];
}
let operations: Operation[] = [];

beforeAll(async () => {
  sandbox = await Sandbox.start({ rules: { poolSize: 1, memoryLimitMb: 768, validationTimeoutSeconds: 3 } });
  h = await startHarness({ rewards: sandbox, uploads: new MemoryBlobStore(), rules: { rateLimitBurst: 1_000_000, rateLimitPerSecond: 1_000_000 } });
  // A finished task, so that routes given its id reach their handlers (a running one would keep a stream open).
  existingTask = await seedTask(h.db, h.customer.accountId, 'success');
  const doc = await json(await fetch(`${h.base}/openapi.json`));
  const resolve = (s: Record<string, unknown>): Record<string, unknown> =>
    typeof s.$ref === 'string' ? resolve(doc.components.schemas[s.$ref.split('/').pop() as string]) : s;
  for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, Record<string, unknown>>>)) {
    for (const [method, op] of Object.entries(ops)) {
      const body = (op.requestBody as { content: Record<string, { schema: Record<string, unknown> }> } | undefined)?.content['application/json']?.schema;
      const resolved = body ? resolve(body) : undefined;
      const props = resolved?.properties ?? (resolved?.anyOf as Record<string, unknown>[] | undefined)?.[0]?.properties ?? {};
      operations.push({ method: method.toUpperCase(), path, params: (op.parameters as Operation['params']) ?? [], bodyProps: Object.keys(props as object) });
    }
  }
  operations = operations.filter((o) => !o.path.endsWith('/events/stream'));
});
afterAll(async () => {
  await h?.close();
  await sandbox?.close();
});

const junk = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.uuid(),
  fc.constantFrom('8a4e3f0c-5d1b-4c2a-9e7f-0123456789ab', 'hf', 's3', 'sdxl', '', ' ', '-1', '1e309', 'def f(completions, **kwargs):\n    return [0.0]*len(completions)'),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 12 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 4 }),
);

function shapedBody(op: Operation) {
  return fc.record(Object.fromEntries(op.bodyProps.map((p) => [p, junk])), { requiredKeys: [] });
}

function pathValue() {
  return fc.oneof(fc.uuid(), fc.constant(existingTask), fc.string({ minLength: 1, maxLength: 20 }).map(encodeURIComponent), fc.constant('%00'), fc.constant('..'));
}

const anyBody = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 60 }),
  fc.constant('{"account_id": '),
  fc.constant(''),
);

describe('fuzz: no route answers 5xx', () => {
  it('random and schema-shaped bodies, path parameters and query strings on every route', async () => {
    const seen = new Map<string, Set<number>>();
    const headers = { authorization: `Bearer ${h.admin.key}`, 'content-type': 'application/json' };
    for (const op of operations) {
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            body: op.bodyProps.length > 0 ? fc.oneof(shapedBody(op).map((b) => JSON.stringify(b)), anyBody) : anyBody,
            pathValues: fc.array(pathValue(), { minLength: 3, maxLength: 3 }),
            query: fc.array(fc.tuple(fc.constantFrom(...op.params.filter((p) => p.in === 'query').map((p) => p.name), 'x'), junk.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))), { maxLength: 3 }),
          }),
          async ({ body, pathValues, query }) => {
            let i = 0;
            const path = op.path.replace(/\{[^}]+\}/g, () => pathValues[i++] as string);
            const qs = query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
            const res = await fetch(`${h.base}${path}${qs ? `?${qs}` : ''}`, {
              method: op.method,
              headers,
              ...(op.method === 'GET' || op.method === 'DELETE' ? {} : { body }),
            });
            await res.arrayBuffer();
            const key = `${op.method} ${op.path}`;
            (seen.get(key) ?? seen.set(key, new Set()).get(key))?.add(res.status);
            expect(res.status, `${op.method} ${path}?${qs} ${body.slice(0, 200)}`).toBeLessThan(500);
          },
        ),
        { numRuns: Number(process.env.FUZZ_RUNS ?? 15) },
      );
    }
    expect(seen.size).toBe(operations.length);
    expect(operations.length).toBeGreaterThan(35);
  }, 300_000);
});
