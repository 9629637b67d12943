import type { IncomingMessage, ServerResponse } from 'node:http';
import { Gauge } from 'prom-client';
import { database } from '../db/client.ts';
import { registry } from '../metrics/metrics.ts';

// Queue depth is read from the database at scrape time: it is the same on every process.
new Gauge({
  name: 'free_agent_builds',
  help: 'Builds by status and platform (the whole queue, read at scrape time).',
  labelNames: ['status', 'platform'] as const,
  registers: [registry],
  async collect() {
    this.reset();
    const groups = await database().build.groupBy({ by: ['status', 'platform'], _count: true });
    for (const group of groups) this.set({ status: group.status, platform: group.platform }, group._count);
  },
});

new Gauge({
  name: 'free_agent_workers',
  help: 'Workers by status (revoked ones excluded), read at scrape time.',
  labelNames: ['status'] as const,
  registers: [registry],
  async collect() {
    this.reset();
    const groups = await database().worker.groupBy({ by: ['status'], where: { revokedAt: null }, _count: true });
    for (const group of groups) this.set({ status: group.status }, group._count);
  },
});

/** `/metrics` in the Prometheus text format. */
export async function handleMetrics(_req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await registry.metrics();
  res.writeHead(200, { 'content-type': registry.contentType });
  res.end(body);
}
