import { describe, expect, it } from 'vitest';
import { createServer, route } from '../http/index.ts';
import { fail, ok, warn } from './health.ts';
import { createMetrics } from './metrics.ts';
import { mountOperations } from './mount.ts';

describe('metrics and health on a role server', () => {
  it('serves Prometheus text with per-route request counts and the role label', async () => {
    const metrics = createMetrics('validator');
    const server = createServer();
    server.route(route({ method: 'GET', url: '/things/{id}', summary: 'x', handler: () => ({ ok: true }) }));
    mountOperations(server, { metrics });
    const url = await server.listen({ port: 0, host: '127.0.0.1' });
    try {
      await fetch(`${url}/things/1`);
      await fetch(`${url}/things/2`);
      metrics.offers.inc({ task_type: 'InstructTextTask', outcome: 'accepted' });
      metrics.evaluationSeconds.observe({ task_type: 'DpoTask', outcome: 'ok' }, 42);
      metrics.setTaskCounts({ training: 2, success: 5 });
      metrics.setTaskCounts({ success: 6 });
      const response = await fetch(`${url}/metrics`);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await response.text();
      // Two ids, one route pattern: the label set does not grow with the URLs.
      expect(text).toContain('god_http_requests_total{method="GET",route="/things/:id",status="200",role="validator"} 2');
      expect(text).toContain('god_offers_total{task_type="InstructTextTask",outcome="accepted",role="validator"} 1');
      expect(text).toContain('god_evaluation_duration_seconds_bucket{le="60",role="validator",task_type="DpoTask",outcome="ok"} 1');
      expect(text).toContain('god_tasks{status="training",role="validator"} 0');
      expect(text).toContain('god_tasks{status="success",role="validator"} 6');
      expect(text).toContain('god_process_cpu_user_seconds_total');
    } finally {
      await server.close();
    }
  });

  it('refreshes read-elsewhere gauges before each scrape, and still answers when the refresh fails', async () => {
    const metrics = createMetrics('api', { processMetrics: false });
    const server = createServer();
    let n = 0;
    mountOperations(server, {
      metrics,
      beforeScrape: async () => {
        n++;
        if (n === 2) throw new Error('database down');
        metrics.setTaskCounts({ pending: n });
      },
    });
    const url = await server.listen({ port: 0, host: '127.0.0.1' });
    try {
      expect(await (await fetch(`${url}/metrics`)).text()).toContain('god_tasks{status="pending",role="api"} 1');
      const second = await fetch(`${url}/metrics`);
      expect(second.status).toBe(200);
      expect(await second.text()).toContain('god_tasks{status="pending",role="api"} 1');
      expect(await (await fetch(`${url}/metrics`)).text()).toContain('god_tasks{status="pending",role="api"} 3');
    } finally {
      await server.close();
    }
  });

  it('answers /health from the role checks: 200 healthy or degraded, 503 when one fails', async () => {
    let state = ok('fine');
    const server = createServer();
    mountOperations(server, { metrics: createMetrics('miner', { processMetrics: false }), checks: [{ name: 'db', run: async () => state }, { name: 'slow', run: () => new Promise(() => {}) }], checkTimeoutMs: 50 });
    const url = await server.listen({ port: 0, host: '127.0.0.1' });
    try {
      let r = await fetch(`${url}/health`);
      // The hung check fails by its budget rather than hanging the endpoint.
      expect(r.status).toBe(503);
      expect(await r.json()).toMatchObject({ status: 'unhealthy', role: 'miner', checks: [{ name: 'db', status: 'ok' }, { name: 'slow', status: 'fail', detail: 'no answer within 0.05 s' }] });
      const server2 = createServer();
      mountOperations(server2, { metrics: createMetrics('miner', { processMetrics: false }), checks: [{ name: 'db', run: async () => state }] });
      const url2 = await server2.listen({ port: 0, host: '127.0.0.1' });
      state = warn('lagging');
      r = await fetch(`${url2}/health`);
      expect(r.status).toBe(200);
      expect(await r.json()).toMatchObject({ status: 'degraded' });
      state = fail('down');
      expect((await fetch(`${url2}/health`)).status).toBe(503);
      await server2.close();
    } finally {
      await server.close();
    }
  });

  it("keeps a role's own /health (the API's original body) and still adds /metrics", async () => {
    const server = createServer();
    server.route(route({ method: 'GET', url: '/health', summary: 'h', handler: () => ({ status: 'healthy' }) }));
    mountOperations(server, { metrics: createMetrics('api', { processMetrics: false }) });
    const url = await server.listen({ port: 0, host: '127.0.0.1' });
    try {
      expect(await (await fetch(`${url}/health`)).json()).toEqual({ status: 'healthy' });
      expect((await fetch(`${url}/metrics`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
