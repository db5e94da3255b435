/**
 * What every role calls on its HTTP server before `listen`: `GET /metrics` (Prometheus text), `GET /health`
 * (unless the role already serves one, as the public API does with the original's `{"status": "healthy"}`), and a
 * hook that counts and times every request by its route pattern (not the raw URL, so ids do not explode the
 * label set).
 */
import { z } from 'zod';
import { route, type GodServer } from '../http/index.ts';
import { overall, runChecks, type HealthCheck } from './health.ts';
import type { GodMetrics } from './metrics.ts';

export interface MountOptions {
  metrics: GodMetrics;
  /** Run on each `GET /health`; any `fail` answers 503. */
  checks?: readonly HealthCheck[];
  /** Per check (default 5 s). */
  checkTimeoutMs?: number;
  /** Where the metrics are served (default `/metrics`). */
  metricsPath?: string;
  /** Refreshes gauges read from elsewhere (e.g. tasks by status from the database) before each scrape. */
  beforeScrape?: () => Promise<void>;
}

export const HealthResponseSchema = z.object({
  status: z.enum(['healthy', 'degraded', 'unhealthy']),
  role: z.string(),
  uptime_seconds: z.number(),
  checks: z.array(z.object({ name: z.string(), status: z.enum(['ok', 'warn', 'fail']), detail: z.string(), ms: z.number() })),
});

const started = Date.now();

export function mountOperations(server: GodServer, options: MountOptions): void {
  const { metrics } = options;
  const metricsPath = options.metricsPath ?? '/metrics';
  server.app.addHook('onResponse', async (request, reply) => {
    const routePattern = request.routeOptions.url ?? 'unmatched';
    const labels = { method: request.method, route: routePattern };
    metrics.httpRequests.inc({ ...labels, status: String(reply.statusCode) });
    metrics.httpSeconds.observe(labels, reply.elapsedTime / 1000);
  });
  server.route(
    route({
      method: 'GET',
      url: metricsPath,
      summary: 'Prometheus metrics',
      tags: ['operations'],
      responseContentType: 'text/plain',
      handler: async ({ reply }) => {
        // A failed refresh leaves the previous values: the scrape itself still answers.
        await options.beforeScrape?.().catch(() => undefined);
        return reply.header('content-type', metrics.registry.contentType).send(await metrics.text());
      },
    }),
  );
  if (server.app.hasRoute({ method: 'GET', url: '/health' })) return;
  const checks = options.checks ?? [];
  server.route(
    route({
      method: 'GET',
      url: '/health',
      summary: 'Liveness and the role\'s own checks; 503 when one fails',
      tags: ['operations'],
      response: HealthResponseSchema,
      handler: async ({ reply }) => {
        const results = await runChecks(checks, options.checkTimeoutMs ?? 5000);
        const worst = overall(results);
        if (worst === 'fail') reply.code(503);
        const status: z.infer<typeof HealthResponseSchema>['status'] = worst === 'fail' ? 'unhealthy' : worst === 'warn' ? 'degraded' : 'healthy';
        return {
          status,
          role: metrics.role,
          uptime_seconds: Math.round((Date.now() - started) / 1000),
          checks: results,
        };
      },
    }),
  );
}
