import { database } from '../db/client.ts';
import { queueStats, type Percentiles, type QueueStats } from '../queue/stats.ts';
import { trackSubscription } from '../metrics/metrics.ts';
import { builder } from './builder.ts';
import { BuildStatusEnum, PlatformEnum, WorkerStatusEnum } from './scalars.ts';

const PercentilesType = builder.objectRef<Percentiles>('Percentiles').implement({
  description: 'Percentiles of a duration in seconds; null when nothing was measured.',
  fields: (t) => ({
    p50: t.exposeFloat('p50', { nullable: true, description: 'The median.' }),
    p95: t.exposeFloat('p95', { nullable: true, description: 'The 95th percentile.' }),
    p99: t.exposeFloat('p99', { nullable: true, description: 'The 99th percentile.' }),
  }),
});

const BuildCount = builder.objectRef<QueueStats['byStatusAndPlatform'][number]>('BuildCount').implement({
  description: 'How many builds have a status on a platform.',
  fields: (t) => ({
    status: t.expose('status', { type: BuildStatusEnum, description: 'The status.' }),
    platform: t.expose('platform', { type: PlatformEnum, description: 'The platform.' }),
    count: t.exposeInt('count', { description: 'How many builds.' }),
  }),
});

const WorkerCount = builder.objectRef<QueueStats['workersByStatus'][number]>('WorkerCount').implement({
  description: 'How many workers have a status.',
  fields: (t) => ({
    status: t.expose('status', { type: WorkerStatusEnum, description: 'The status.' }),
    count: t.exposeInt('count', { description: 'How many workers (revoked ones are not counted).' }),
  }),
});

export const QueueStatsType = builder.objectRef<QueueStats>('QueueStats').implement({
  description: 'The state of the queue and the fleet.',
  fields: (t) => ({
    builds: t.field({
      type: [BuildCount],
      description: 'Builds by status and platform: every pending, assigned and building one, and those that finished in the last 24 hours.',
      resolve: (stats) => stats.byStatusAndPlatform,
    }),
    workers: t.field({ type: [WorkerCount], description: 'Workers by status.', resolve: (stats) => stats.workersByStatus }),
    finishedToday: t.exposeInt('finishedToday', { description: 'Builds finished since midnight (database time zone).' }),
    queueWaitSeconds: t.field({
      type: PercentilesType,
      description: 'Submit-to-claim wait of the builds submitted in the last 24 hours that were claimed.',
      resolve: (stats) => stats.queueWaitSeconds,
    }),
    buildDurationSeconds: t.field({
      type: PercentilesType,
      description: 'Start-to-finish time of builds completed in the last 24 hours.',
      resolve: (stats) => stats.buildDurationSeconds,
    }),
  }),
});

builder.queryFields((t) => ({
  queueStats: t.field({
    type: QueueStatsType,
    description: 'Counts by status and platform, workers by status, and wait and duration percentiles.',
    authScopes: { reader: true },
    resolve: () => queueStats(database()),
  }),
}));

builder.subscriptionFields((t) => ({
  queueStats: t.field({
    type: QueueStatsType,
    description: 'queueStats, pushed when it changes (at most about once a second).',
    authScopes: { reader: true },
    subscribe: (_root, _args, ctx) => trackSubscription('queueStats', ctx.services.bus.queueStats.subscribe()),
    resolve: (stats) => stats,
  }),
}));
