import type { IncomingMessage, ServerResponse } from 'node:http';
import { Gauge } from 'prom-client';
import { database } from '../db/client.ts';
import { registry } from '../metrics/metrics.ts';
import { countBuilds } from '../queue/stats.ts';

// Queue depth is read from the database at scrape time: it is the same on every process.
// Finished builds are not counted here (that would read the whole history at every scrape):
// free_agent_build_transitions_total counts them as they finish.
new Gauge({
  name: 'free_agent_builds',
  help: 'Builds pending, assigned or building, by status and platform (read at scrape time).',
  labelNames: ['status', 'platform'] as const,
  registers: [registry],
  async collect() {
    this.reset();
    for (const group of await countBuilds(database())) this.set({ status: group.status, platform: group.platform }, group.count);
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
