import { buildHistory, HISTORY_LIMITS, type HistoryBucket } from '../queue/history.ts';
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
    finishedTodayByStatus: t.field({
      type: [BuildCount],
      description: 'Builds finished since midnight (database time zone) by status (COMPLETED, FAILED, CANCELLED) and platform.',
      resolve: (stats) => stats.finishedTodayByStatus,
    }),
    oldestPendingSeconds: t.float({
      nullable: true,
      description:
        'Age in seconds of the oldest PENDING build when these statistics were computed; null when none waits. Pushed ' +
        'statistics are recomputed only when something changes: count on from oldestPendingSubmittedAt between pushes.',
      resolve: (stats) => stats.oldestPending?.seconds ?? null,
    }),
    oldestPendingSubmittedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the oldest PENDING build was submitted; null when none waits.',
      resolve: (stats) => stats.oldestPending?.submittedAt ?? null,
    }),
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

const BuildHistoryBucketType = builder.objectRef<HistoryBucket>('BuildHistoryBucket').implement({
  description: 'What happened in one time bucket of buildHistory.',
  fields: (t) => ({
    at: t.expose('at', { type: 'DateTime', description: 'Where the bucket starts; it ends where the next one starts.' }),
    completed: t.exposeInt('completed', { description: 'Builds that completed in it.' }),
    failed: t.exposeInt('failed', { description: 'Builds that failed in it (including timed out and out of attempts).' }),
    cancelled: t.exposeInt('cancelled', { description: 'Builds cancelled in it.' }),
    claimed: t.exposeInt('claimed', { description: 'Claims made in it (a requeued build is claimed again).' }),
    queueWaitSeconds: t.field({
      type: PercentilesType,
      description: "Submit-to-claim wait of its claims (a requeued build's later claim counts from its submission).",
      resolve: (bucket) => bucket.queueWaitSeconds,
    }),
  }),
});

builder.queryFields((t) => ({
  buildHistory: t.field({
    type: [BuildHistoryBucketType],
    description:
      'Builds finished and claimed per time bucket over the last hours, oldest first, for charts. Buckets start at multiples ' +
      'of their width since the epoch (UTC); the last holds now and is still filling. ' +
      `hours: 1 to ${HISTORY_LIMITS.maxHours}; bucketMinutes: 1 to ${HISTORY_LIMITS.maxBucketMinutes}; at most ` +
      `${HISTORY_LIMITS.maxBuckets} buckets (BAD_USER_INPUT otherwise).`,
    authScopes: { reader: true },
    args: {
      hours: t.arg.int({ required: false, defaultValue: 6, description: 'How far back, in hours (default 6; null: the default).' }),
      bucketMinutes: t.arg.int({
        required: false,
        defaultValue: 5,
        description: 'How wide a bucket is, in minutes (default 5; null: the default).',
      }),
    },
    resolve: (_root, args, ctx) => buildHistory(ctx.services.db.sql, args.hours ?? 6, args.bucketMinutes ?? 5),
  }),
  queueStats: t.field({
    type: QueueStatsType,
    description: 'Counts by status and platform, workers by status, and wait and duration percentiles.',
    authScopes: { reader: true },
    resolve: (_root, _args, ctx) => queueStats(ctx.services.db.reads),
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
