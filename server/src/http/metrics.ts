import type { IncomingMessage, ServerResponse } from 'node:http';
import { Gauge } from 'prom-client';
import type { Database } from '../db/client.ts';
import { registry } from '../metrics/metrics.ts';
import { countBuilds } from '../queue/stats.ts';

// Queue depth is read from the database at scrape time: it is the same on every process.
// Finished builds are not counted here (that would read the whole history at every scrape):
// free_agent_build_transitions_total counts them as they finish.
const builds = new Gauge({
  name: 'free_agent_builds',
  help: 'Builds pending, assigned or building, by status and platform (read at scrape time).',
  labelNames: ['status', 'platform'] as const,
  registers: [registry],
});

const workers = new Gauge({
  name: 'free_agent_workers',
  help: 'Workers by status (revoked ones excluded), read at scrape time.',
  labelNames: ['status'] as const,
  registers: [registry],
});

/**
 * `/metrics` in the Prometheus text format, its database gauges read from `db` at each scrape
 * (here rather than in the gauges' `collect`, which could reach only a module-level database).
 */
export function createMetricsHandler(db: Database) {
  return async function handleMetrics(_req: IncomingMessage, res: ServerResponse): Promise<void> {
    const [buildCounts, workerCounts] = await Promise.all([
      countBuilds(db),
      db.worker.groupBy({ by: ['status'], where: { revokedAt: null }, _count: true }),
    ]);
    builds.reset();
    for (const group of buildCounts) builds.set({ status: group.status, platform: group.platform }, group.count);
    workers.reset();
    for (const group of workerCounts) workers.set({ status: group.status }, group._count);
    const body = await registry.metrics();
    res.writeHead(200, { 'content-type': registry.contentType });
    res.end(body);
  };
}
