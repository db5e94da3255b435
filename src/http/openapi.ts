/**
 * OpenAPI 3.1 from the route declarations. zod 4 writes JSON Schema draft 2020-12, which is what 3.1
 * uses, so schemas go in as `z.toJSONSchema` writes them; only `$defs` are hoisted into
 * `components.schemas` so that references resolve from the document root.
 */
import { z } from 'zod';
import { toOpenApiPath } from './route.ts';
import type { HttpMethod, RouteDefinition } from './route.ts';

type JsonSchema = Record<string, unknown>;

export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: OpenApiInfo;
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, unknown> };
}

const VALIDATION_ERROR: JsonSchema = {
  type: 'object',
  title: 'ValidationError',
  properties: {
    loc: { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'integer' }] } },
    msg: { type: 'string' },
    type: { type: 'string' },
  },
  required: ['loc', 'msg', 'type'],
};
const HTTP_VALIDATION_ERROR: JsonSchema = {
  type: 'object',
  title: 'HTTPValidationError',
  properties: { detail: { type: 'array', items: { $ref: '#/components/schemas/ValidationError' } } },
  required: ['detail'],
};
const HTTP_ERROR: JsonSchema = {
  type: 'object',
  title: 'HTTPError',
  properties: { detail: { type: 'string' } },
  required: ['detail'],
};

function rewriteRefs(value: unknown, rename: Map<string, string>, rootName?: string): unknown {
  if (Array.isArray(value)) return value.map((v) => rewriteRefs(v, rename, rootName));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')) {
      const name = v.slice('#/$defs/'.length);
      out[k] = `#/components/schemas/${rename.get(name) ?? name}`;
    } else if (k === '$ref' && v === '#' && rootName !== undefined) {
      out[k] = `#/components/schemas/${rootName}`;
    } else {
      out[k] = rewriteRefs(v, rename, rootName);
    }
  }
  return out;
}

class SchemaCollector {
  readonly components: Record<string, JsonSchema> = {};
  private anonymous = 0;

  convert(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
    const { $schema: _schema, $defs, ...rest } = json as JsonSchema & { $defs?: Record<string, JsonSchema> };
    const rename = new Map<string, string>();
    for (const [name, def] of Object.entries($defs ?? {})) {
      let target = name;
      const same = (n: string) => JSON.stringify(this.components[n]) === JSON.stringify(def);
      for (let i = 2; this.components[target] !== undefined && !same(target); i++) target = `${name}_${i}`;
      rename.set(name, target);
    }
    // A schema that refers to its own root (`$ref: "#"`) must become a component, or the reference would
    // point at the OpenAPI document itself.
    const rootName = JSON.stringify(rest).includes('"$ref":"#"') ? `Recursive_${++this.anonymous}` : undefined;
    for (const [name, def] of Object.entries($defs ?? {})) {
      this.components[rename.get(name) as string] = rewriteRefs(def, rename, rootName) as JsonSchema;
    }
    const converted = rewriteRefs(rest, rename, rootName) as JsonSchema;
    if (rootName === undefined) return converted;
    this.components[rootName] = converted;
    return { $ref: `#/components/schemas/${rootName}` };
  }
}

function parametersOf(schema: z.ZodType | undefined, where: 'path' | 'query', collector: SchemaCollector): unknown[] {
  if (!schema) return [];
  const json = collector.convert(schema, 'input');
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, propSchema]) => {
    const { description, ...rest } = propSchema;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      schema: rest,
      ...(typeof description === 'string' ? { description } : {}),
    };
  });
}

function methodsOf(def: RouteDefinition): HttpMethod[] {
  return typeof def.method === 'string' ? [def.method] : [...def.method];
}

export function buildOpenApiDocument(info: OpenApiInfo, routes: readonly RouteDefinition[]): OpenApiDocument {
  const collector = new SchemaCollector();
  const paths: OpenApiDocument['paths'] = {};
  for (const def of routes) {
    if (def.hidden) continue;
    const path = toOpenApiPath(def.url);
    const auth = def.auth ?? 'none';
    for (const method of methodsOf(def)) {
      const status = String(def.status ?? 200);
      const responses: Record<string, unknown> = {
        [status]: {
          description: 'Successful Response',
          content: { [def.responseContentType ?? 'application/json']: { schema: def.response ? collector.convert(def.response, 'output') : {} } },
        },
      };
      const parameters = [...parametersOf(def.params, 'path', collector), ...parametersOf(def.query, 'query', collector)];
      if (parameters.length > 0 || def.body) {
        responses['422'] = {
          description: 'Validation Error',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/HTTPValidationError' } } },
        };
      }
      const errorBody = { content: { 'application/json': { schema: { $ref: '#/components/schemas/HTTPError' } } } };
      if (auth !== 'none') responses['401'] = { description: 'Not authenticated', ...errorBody };
      if (auth === 'admin' || typeof auth === 'function') responses['403'] = { description: 'Forbidden', ...errorBody };
      const operation: Record<string, unknown> = {
        summary: def.summary,
        operationId: def.operationId ?? `${method.toLowerCase()}_${path.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '')}`,
        ...(def.description ? { description: def.description } : {}),
        ...(def.tags && def.tags.length > 0 ? { tags: def.tags } : {}),
        ...(parameters.length > 0 ? { parameters } : {}),
        ...(def.body
          ? { requestBody: { required: true, content: { 'application/json': { schema: collector.convert(def.body, 'input') } } } }
          : {}),
        responses,
        ...(auth === 'customer' || auth === 'admin'
          ? { security: [{ bearerAuth: [] }, { apiKeyHeader: [] }], 'x-required-scope': auth }
          : {}),
      };
      (paths[path] ??= {})[method.toLowerCase()] = operation;
    }
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: {
      schemas: {
        ...collector.components,
        ValidationError: VALIDATION_ERROR,
        HTTPValidationError: HTTP_VALIDATION_ERROR,
        HTTPError: HTTP_ERROR,
      },
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <API key>' },
        apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
    },
  };
}
