/**
 * PostgreSQL text cannot hold the NUL character: a string with `\u0000` reaching a query fails inside the driver
 * (a 500). Every path parameter, query value and JSON body string is checked before validation and refused with a
 * 422 that names where it was.
 */
import type { FastifyRequest } from 'fastify';
import { RequestValidationError, type Location } from '../http/errors.ts';

/** Path to the first string (or object key) containing NUL, or null. */
export function findNul(value: unknown, path: (string | number)[] = [], depth = 0): (string | number)[] | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (depth > 64 || value === null || typeof value !== 'object') return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNul(value[i], [...path, i], depth + 1);
      if (found) return found;
    }
    return null;
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k.includes('\u0000')) return [...path, k];
    const found = findNul(v, [...path, k], depth + 1);
    if (found) return found;
  }
  return null;
}

export function nulGuard(options: { skipBody?: (path: string) => boolean } = {}) {
  return async (request: FastifyRequest) => {
    const url = (request.raw.url ?? '/').split('?')[0] ?? '/';
    const parts: [Location, unknown][] = [
      ['path', request.params],
      ['query', request.query],
    ];
    if (!options.skipBody?.(url)) parts.push(['body', request.body]);
    for (const [location, value] of parts) {
      const at = findNul(value);
      if (at) {
        throw new RequestValidationError([
          { type: 'string_pattern_mismatch', loc: [location, ...at], msg: 'String should not contain the NUL character (\\u0000)' },
        ]);
      }
    }
  };
}
