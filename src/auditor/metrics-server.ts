/**
 * `/metrics` and `/health` for `god auditor` in loop mode (`--metrics-port`): the auditor serves nothing else, so
 * this is its only HTTP surface, and a one-shot `--once` run has none (it reports through its exit code).
 */
import { createServer } from '../http/index.ts';
import type { Logger } from '../log/index.ts';
import { mountOperations } from '../ops/mount.ts';
import { createMetrics, type GodMetrics } from '../ops/metrics.ts';

export interface AuditorMetricsServer {
  metrics: GodMetrics;
  /** Base URL it listens on (`/metrics`, `/health` below it). */
  url: string;
  close(): Promise<void>;
}

export async function serveAuditorMetrics(listen: { host: string; port: number }, logger?: Logger): Promise<AuditorMetricsServer> {
  const metrics = createMetrics('auditor');
  const server = createServer({ ...(logger ? { logger } : {}), info: { title: 'god auditor' }, logRequests: false });
  mountOperations(server, { metrics });
  const url = await server.listen(listen);
  return { metrics, url, close: () => server.close() };
}
