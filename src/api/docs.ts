/**
 * Interactive API docs at `/docs`: one static page (src/api/docs.html) whose inline script fetches the OpenAPI
 * document and renders every operation with a "Send" form. Nothing is loaded from elsewhere; the page's
 * Content-Security-Policy allows only its own script (by hash) and requests to this origin.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { route, type RouteDefinition } from '../http/route.ts';

const page = readFileSync(new URL('./docs.html', import.meta.url), 'utf8');

function scriptHash(html: string): string {
  const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
  return createHash('sha256').update(script, 'utf8').digest('base64');
}

export function docsPage(openapiPath: string): string {
  return page.replace('<html lang="en">', `<html lang="en" data-spec="${openapiPath.replace(/[^A-Za-z0-9/._-]/g, '')}">`);
}

export function docsRoutes(openapiPath: string): RouteDefinition[] {
  const html = docsPage(openapiPath);
  const csp = `default-src 'none'; script-src 'sha256-${scriptHash(html)}'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'`;
  return [
    route({
      method: 'GET',
      url: '/docs',
      hidden: true,
      responseContentType: 'text/html',
      summary: 'Interactive API documentation',
      handler: ({ reply }) => reply.type('text/html; charset=utf-8').header('content-security-policy', csp).send(html),
    }),
  ];
}
